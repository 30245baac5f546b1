"""``minik create job NAME --from=cronjob/NAME``: run a CronJob's template now, as kubectl does.

Requests: ``GET`` the CronJob, then ``POST`` the Job that kubectl's
``createJobFromCronJob`` builds: the template's labels and annotations plus
``cronjob.kubernetes.io/instantiate: manual``, an ownerReference to the
CronJob (``controller: true``, no blockOwnerDeletion) and the template's spec.
"""

from __future__ import annotations

import argparse
import copy
from typing import Any

from minik.cli.common import Ctx, add_namespace
from minik.cli.resources import CRONJOBS, JOBS, lookup
from minik.errors import UsageError
from minik.k8s import Obj, meta

INSTANTIATE = "cronjob.kubernetes.io/instantiate"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "create", help="create a job from a cronjob's template (create job NAME --from=cronjob/NAME)"
    )
    kinds = p.add_subparsers(dest="kind", metavar="KIND")
    job = kinds.add_parser("job", help="a job from a cronjob: minik create job NAME --from=cronjob/NAME")
    job.add_argument("name", metavar="NAME")
    job.add_argument("--from", dest="source", required=True, metavar="cronjob/NAME")
    job.add_argument("-o", "--output", default=None, choices=("name",))
    add_namespace(job)
    p.set_defaults(func=_create)


def _create(ctx: Ctx, args: argparse.Namespace) -> int:
    if getattr(args, "kind", None) != "job":
        raise UsageError("minik create supports one kind: minik create job NAME --from=cronjob/NAME")
    return run(ctx, args)


def job_from_cronjob(name: str, cj: Obj) -> Obj:
    """kubectl's ``createJobFromCronJob``."""
    template = (cj.get("spec") or {}).get("jobTemplate") or {}
    tm = template.get("metadata") or {}
    m: Obj = {
        "name": name,
        "annotations": {INSTANTIATE: "manual", **(tm.get("annotations") or {})},
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": meta(cj).get("name", ""),
                "uid": meta(cj).get("uid", ""),
                "controller": True,
            }
        ],
    }
    if tm.get("labels"):
        m["labels"] = dict(tm["labels"])
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": m,
        "spec": copy.deepcopy(template.get("spec") or {}),
    }


def run(ctx: Ctx, args: argparse.Namespace) -> int:
    kind, sep, source = args.source.partition("/")
    if not sep or not source:
        raise UsageError("from must be of the form resource/name")
    try:
        resource = lookup(kind)
    except UsageError:
        resource = None
    if resource is not CRONJOBS:
        raise UsageError(f"unknown object type {kind}")
    cj = ctx.client.get(CRONJOBS.path(ctx.namespace, source))
    created = ctx.client.request("POST", JOBS.path(ctx.namespace), body=job_from_cronjob(args.name, cj)).body
    name = meta(created).get("name", args.name)
    ctx.print(f"job.batch/{name}" if args.output == "name" else f"job.batch/{name} created")
    return 0
