"""``minik apply`` and ``minik delete`` (R14.1, R7.5).

apply, per object after client-side validation of every document:
``GET <object>``; absent → ``POST <collection>`` (``?dryRun=All`` for
``--dry-run=server``); present → ``PATCH <object>`` with
``Content-Type: application/strategic-merge-patch+json`` (three-way, as
kubectl computes it, see :mod:`minik.cli.applying`), nothing when the patch
is empty.

delete: ``DELETE <object>`` with body ``{"kind":"DeleteOptions","apiVersion":"v1",
"propagationPolicy":"Background|Foreground|Orphan"}`` (``--all``: ``GET
<collection>`` first), then with ``--wait`` ``GET <collection>?watch=true&
fieldSelector=metadata.name=<name>&resourceVersion=<rv>`` until DELETED.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from minik.cli import applying, printers
from minik.cli.common import Ctx, add_namespace, no_resources
from minik.cli.kinds import for_kind, lookup, parse_targets
from minik.errors import ApiError, NotFound, UsageError
from minik.k8s import Obj, meta
from minik.resources import Resource


def register(sub: Any) -> None:
    p = sub.add_parser("apply", help="create or update objects from YAML/JSON files")
    p.add_argument("-f", "--filename", action="append", required=True, help="file, directory or - for stdin")
    p.add_argument("-R", "--recursive", action="store_true")
    p.add_argument(
        "--dry-run", default="none", choices=("none", "client", "server"), nargs="?", const="client"
    )
    p.add_argument("-o", "--output", default="", choices=("", "yaml", "json", "name"))
    add_namespace(p)
    p.set_defaults(func=apply)

    d = sub.add_parser("delete", help="delete objects (by file, TYPE/NAME, TYPE NAME or TYPE --all)")
    d.add_argument("targets", nargs="*", metavar="TYPE[/NAME] [NAME...]")
    d.add_argument("-f", "--filename", action="append", default=None)
    d.add_argument("-R", "--recursive", action="store_true")
    d.add_argument("--all", action="store_true")
    d.add_argument("-l", "--selector", default=None)
    d.add_argument("--cascade", default="background", choices=("background", "foreground", "orphan"))
    d.add_argument("--wait", default="true", choices=("true", "false"), nargs="?", const="true")
    d.add_argument("--ignore-not-found", action="store_true")
    d.add_argument("--timeout", default="0", help="how long --wait waits (0: a week)")
    add_namespace(d, all_namespaces=True)
    d.set_defaults(func=delete)


def _load(ctx: Ctx, filenames: list[str], recursive: bool) -> list[Any]:
    from minik.manifest import load

    return list(load(filenames, recursive=recursive, stdin=sys.stdin))


def apply(ctx: Ctx, args: argparse.Namespace) -> int:
    results = apply_files(ctx, args.filename, recursive=args.recursive, dry_run=args.dry_run)
    for resource, obj, verb in results:
        if args.output == "name":
            ctx.print(printers.name_line(resource, obj))
        elif not args.output:
            ctx.print(f"{printers.name_line(resource, obj)} {verb}")
    if args.output in ("yaml", "json"):
        objs = [o for _, o, _ in results]
        data = objs[0] if len(objs) == 1 else printers.as_list(objs)
        ctx.print(printers.to_yaml(data) if args.output == "yaml" else printers.to_json(data), end="")
    return 0


@dataclass(frozen=True)
class Validated:
    """What ``-f`` named, validated: the objects as written, as defaulted, and the file each came from."""

    originals: list[Obj]
    defaulted: list[Obj]
    sources: list[str]
    warnings: list[Any]


def validate_files(ctx: Ctx, filenames: list[str], *, recursive: bool) -> Validated:
    """Load and validate every document (both layers); raises with every error before anything is sent."""
    from minik.manifest import validate_documents

    docs = _load(ctx, filenames, recursive)
    validated = validate_documents(docs)
    originals = [d.obj for d in docs] if len(docs) == len(validated.objects) else list(validated.objects)
    sources = [d.source for d in docs] if len(docs) == len(validated.objects) else [""] * len(originals)
    if not originals:
        raise UsageError("no objects passed to apply")
    for original in originals:
        m = meta(original)
        if not m.get("name") and m.get("generateName"):
            raise UsageError(
                f"from {m['generateName']}: cannot use generate name with apply "
                "(apply needs a name to find the object again; use `minik create -f` instead)"
            )
    return Validated(originals, list(validated.objects), sources, list(validated.warnings))


def apply_files(
    ctx: Ctx,
    filenames: list[str],
    *,
    recursive: bool,
    dry_run: str = "none",
    checked: Validated | None = None,
) -> list[tuple[Resource, Obj, str]]:
    """Apply every object of the files (``checked``: already validated); (resource, object, verb) each."""
    v = checked or validate_files(ctx, filenames, recursive=recursive)
    if dry_run == "client":
        for w in v.warnings:
            ctx.eprint(f"Warning: {w.render()}")
    results: list[tuple[Resource, Obj, str]] = []
    for original, defaulted, source in zip(v.originals, v.defaulted, v.sources, strict=True):
        resource = for_kind(str(original.get("kind", "")), str(original.get("apiVersion", "")))
        ns = meta(original).get("namespace") or ctx.namespace
        obj = dict(original)
        if resource.namespaced:
            obj["metadata"] = {**meta(original), "namespace": ns}
        obj = applying.with_last_applied(obj)
        if dry_run == "client":
            shown = dict(defaulted)
            if resource.namespaced:
                shown["metadata"] = {**meta(defaulted), "namespace": ns}
            results.append((resource, applying.with_last_applied(shown), "created (dry run)"))
            continue
        results.append(_apply_one(ctx, resource, ns, obj, source, server_dry_run=dry_run == "server"))
    return results


def _apply_one(
    ctx: Ctx, resource: Resource, ns: str, obj: Obj, source: str, *, server_dry_run: bool
) -> tuple[Resource, Obj, str]:
    name = meta(obj).get("name", "")
    query = {"dryRun": "All"} if server_dry_run else None
    suffix = " (server dry run)" if server_dry_run else ""
    try:
        live = ctx.client.get(resource.path(ns, name))
    except NotFound:
        try:
            created = ctx.client.request("POST", resource.path(ns), query=query, body=obj).body
        except ApiError as exc:
            raise _when(exc, "creating", source) from None
        return resource, created, "created" + suffix
    old_text = ((meta(live).get("annotations") or {}).get(applying.LAST_APPLIED)) or ""
    import json

    try:
        last = json.loads(old_text) if old_text else None
    except ValueError:
        last = None
    patch = applying.three_way_strategic_patch(last, obj, live)
    if not patch:
        return resource, live, "unchanged" + suffix
    try:
        patched = ctx.client.request(
            "PATCH",
            resource.path(ns, name),
            query=query,
            body=patch,
            content_type="application/strategic-merge-patch+json",
        ).body
    except ApiError as exc:
        raise _when(exc, "patching", source) from None
    return resource, patched, "configured" + suffix


def _when(exc: ApiError, verb: str, source: str) -> ApiError:
    """kubectl's ``error when creating "<file>": …`` wrapper (not for Invalid, R2.3)."""
    if exc.reason == "Invalid" or not source:
        return exc
    status = dict(exc.status)
    status["message"] = f'error when {verb} "{source}": {exc.message}'
    return type(exc)(status)


# -- delete -------------------------------------------------------------------------------


def delete(ctx: Ctx, args: argparse.Namespace) -> int:
    targets: list[tuple[Resource, str, str]] = []  # (resource, namespace, name)
    if args.filename:
        if args.targets:
            raise UsageError("cannot give both -f and TYPE/NAME arguments")
        for doc in _load(ctx, args.filename, args.recursive):
            obj = doc.obj
            r = for_kind(str(obj.get("kind", "")), str(obj.get("apiVersion", "")))
            if not meta(obj).get("name"):  # a generateName-only object: never the whole collection
                raise UsageError("resource name may not be empty")
            targets.append((r, meta(obj).get("namespace") or ctx.namespace, meta(obj).get("name", "")))
    else:
        if not args.targets:
            raise UsageError("You must provide one or more resources by argument or filename.")
        for r, name in parse_targets(args.targets):
            if name is not None:
                targets.append((r, ctx.namespace, name))
                continue
            if not args.all and not args.selector:
                raise UsageError("resource(s) were provided, but no name was specified")
            body = ctx.client.get(r.path(ctx.ns()), {"labelSelector": args.selector})
            for o in body.get("items") or []:
                targets.append((r, meta(o).get("namespace") or ctx.namespace, meta(o).get("name", "")))
        if not targets:
            no_resources(ctx)
            return 0
    options = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": args.cascade.capitalize()}
    deleted: list[tuple[Resource, str, str, Obj]] = []
    failure: ApiError | None = None
    for r, ns, name in targets:
        try:
            obj = ctx.client.request("DELETE", r.path(ns, name), body=options).body
        except NotFound as exc:
            if not args.ignore_not_found:
                failure = exc
            continue
        ctx.print(f'{r.display} "{name}" deleted')
        deleted.append((r, ns, name, obj if isinstance(obj, dict) else {}))
    if args.wait == "true":
        for r, ns, name, obj in deleted:
            wait_gone(ctx, r, ns, name, obj)
    if failure is not None:
        raise failure
    return 0


def wait_gone(ctx: Ctx, r: Resource, ns: str, name: str, last: Obj) -> None:
    """Block until ``<r>/<name>`` no longer exists (watch, not polling)."""
    try:
        live = ctx.client.get(r.path(ns, name))
    except NotFound:
        return
    rv = meta(live).get("resourceVersion")
    query = {"fieldSelector": f"metadata.name={name}", "resourceVersion": rv}
    while True:
        for event in ctx.client.watch(r.path(ns), query):
            if event.get("type") == "DELETED" and meta(event.get("object") or {}).get("name") == name:
                return
        try:  # the watch timed out server-side: check, then watch again
            live = ctx.client.get(r.path(ns, name))
        except NotFound:
            return
        query["resourceVersion"] = meta(live).get("resourceVersion")


__all__ = ["apply", "delete", "lookup"]
