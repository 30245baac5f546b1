"""``minik describe job|cronjob|pod``: kubectl's describe pages (R11).

Requests: ``GET <object>`` (or ``GET <collection>?labelSelector=`` without a
name), then ``GET /api/v1/namespaces/<ns>/events?fieldSelector=involvedObject.name=<n>,
involvedObject.namespace=<ns>,involvedObject.uid=<uid>``.
"""

from __future__ import annotations

import argparse
from typing import Any

from minik.cli import describe, describe_access, describe_storage
from minik.cli.common import Ctx, add_namespace, no_resources
from minik.cli.describe_cronjob import describe_cronjob
from minik.cli.kinds import CRONJOBS, EVENTS, JOBS, PODS, parse_targets
from minik.errors import UsageError
from minik.k8s import Obj, meta


def register(sub: Any) -> None:
    p = sub.add_parser(
        "describe", help="show an object in detail (jobs, cronjobs and pods with their events)"
    )
    p.add_argument("targets", nargs="+", metavar="TYPE[/NAME] [NAME...]")
    p.add_argument("-l", "--selector", default=None)
    p.add_argument("--show-events", default="true", choices=("true", "false"))
    add_namespace(p, all_namespaces=True)
    p.set_defaults(func=run)


def events_for(ctx: Ctx, obj: Obj) -> list[Obj]:
    m = meta(obj)
    selector = (
        f"involvedObject.name={m.get('name', '')},involvedObject.namespace={m.get('namespace', '')},"
        f"involvedObject.uid={m.get('uid', '')}"
    )
    body = ctx.client.get(EVENTS.path(m.get("namespace") or ctx.namespace), {"fieldSelector": selector})
    return list(body.get("items") or [])


def _pods_of(ctx: Ctx, claim: Obj) -> list[Obj]:
    """The pods of a claim's namespace (its page lists those that use it)."""
    return list(ctx.client.get(PODS.path(meta(claim).get("namespace") or ctx.namespace)).get("items") or [])


def run(ctx: Ctx, args: argparse.Namespace) -> int:
    pages: list[str] = []
    for resource, name in parse_targets(args.targets):
        described = (*describe_access.DESCRIBED, *describe_storage.DESCRIBED)
        if resource not in (JOBS, CRONJOBS, PODS) and resource.plural not in described:
            raise UsageError(f"minik does not describe {resource.plural}")
        if name is not None:
            objs = [ctx.client.get(resource.path(ctx.namespace, name))]
        else:
            body = ctx.client.get(resource.path(ctx.ns()), {"labelSelector": args.selector})
            objs = list(body.get("items") or [])
        for obj in objs:
            events = events_for(ctx, obj) if args.show_events == "true" else None
            now = ctx.clock()
            if resource is JOBS:
                page = describe.describe_job(obj, events, now)
            elif resource is CRONJOBS:
                page = describe_cronjob(obj, events, now)
            elif resource is PODS:
                page = describe.describe_pod(obj, events, now)
            elif resource.plural in describe_storage.DESCRIBED:
                pods = _pods_of(ctx, obj) if resource.plural == "persistentvolumeclaims" else []
                page = describe_storage.describe_object(resource.plural, obj, events, now, pods)
            else:
                page = describe_access.describe_object(resource.plural, obj, events, now)
            pages.append(page)
    if not pages:
        no_resources(ctx)
        return 0
    ctx.print("\n\n".join(p.rstrip("\n") + "\n" for p in pages).rstrip("\n") + "\n", end="")
    return 0
