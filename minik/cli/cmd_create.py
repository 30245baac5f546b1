"""``minik create -f``: kubectl create's semantics, for objects with ``generateName`` too.

After client-side validation of every document (nothing is sent when one
is invalid): ``POST <collection>`` per object, in file order (``?dryRun=All``
for ``--dry-run=server``). The server names a ``generateName``-only object;
an existing name is the server's ``AlreadyExists``, reported as kubectl
does (``error when creating "<file>": …``) after the other objects were
created; the exit status is then 1. Prints ``job.batch/NAME created``.
"""

from __future__ import annotations

import argparse
from typing import Any

from minik.cli import cmd_create_job, printers
from minik.cli.cmd_apply import _load, _when
from minik.cli.common import Ctx, add_namespace, render_error
from minik.cli.kinds import for_kind
from minik.errors import ApiError, UsageError
from minik.k8s import Obj, meta
from minik.resources import Resource


def register(sub: Any) -> None:
    p = sub.add_parser(
        "create",
        help="create objects from files (honours generateName), or a job from a cronjob "
        "(create job NAME --from=cronjob/NAME)",
    )
    p.add_argument(
        "kind", nargs="?", metavar="job", help="with NAME and --from: a job from a cronjob's template"
    )
    p.add_argument("name", nargs="?", metavar="NAME")
    p.add_argument("--from", dest="source", metavar="cronjob/NAME")
    p.add_argument("-f", "--filename", action="append", help="file, directory or - for stdin")
    p.add_argument("-R", "--recursive", action="store_true")
    p.add_argument(
        "--dry-run", default="none", choices=("none", "client", "server"), nargs="?", const="client"
    )
    p.add_argument("-o", "--output", default="", choices=("", "yaml", "json", "name"))
    add_namespace(p)
    p.set_defaults(func=create)


def create(ctx: Ctx, args: argparse.Namespace) -> int:
    from minik.manifest import validate_documents

    if args.kind is not None:
        if args.kind != "job" or not args.name or not args.source or args.filename:
            raise UsageError("usage: minik create -f FILE, or minik create job NAME --from=cronjob/NAME")
        if args.output not in ("", "name"):
            raise UsageError("create job supports -o name only")
        args.output = args.output or None
        return cmd_create_job.run(ctx, args)
    if not args.filename:
        raise UsageError(
            "must specify one of -f and -k (minik supports -f), or create job NAME --from=cronjob/NAME"
        )

    docs = _load(ctx, args.filename, args.recursive)
    validated = validate_documents(docs)
    if not docs:
        raise UsageError("no objects passed to create")
    if args.dry_run == "client":
        for w in validated.warnings:
            ctx.eprint(f"Warning: {w.render()}")
    results: list[tuple[Resource, Obj, str]] = []
    failed = False
    for doc, defaulted in zip(docs, validated.objects, strict=True):
        resource = for_kind(str(doc.obj.get("kind", "")), str(doc.obj.get("apiVersion", "")))
        ns = meta(doc.obj).get("namespace") or ctx.namespace
        obj = dict(doc.obj if args.dry_run != "client" else defaulted)
        if resource.namespaced:
            obj["metadata"] = {**meta(obj), "namespace": ns}
        if args.dry_run == "client":
            results.append((resource, obj, "created (dry run)"))
            continue
        query = {"dryRun": "All"} if args.dry_run == "server" else None
        try:
            created = ctx.client.request("POST", resource.path(ns), query=query, body=obj).body
        except ApiError as exc:
            ctx.eprint(render_error(_when(exc, "creating", doc.source)))
            failed = True
            continue
        results.append((resource, created, "created" + (" (server dry run)" if query else "")))
    for resource, obj, verb in results:
        if args.output == "name":
            ctx.print(printers.name_line(resource, obj))
        elif not args.output:
            ctx.print(f"{printers.name_line(resource, obj)} {verb}")
    if args.output in ("yaml", "json") and results:
        objs = [o for _, o, _ in results]
        data = objs[0] if len(objs) == 1 else printers.as_list(objs)
        ctx.print(printers.to_yaml(data) if args.output == "yaml" else printers.to_json(data), end="")
    return 1 if failed else 0
