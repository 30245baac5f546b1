"""``minik get``: list or fetch objects and print them as kubectl does (R10).

Requests: ``GET <collection>?labelSelector=&fieldSelector=`` or ``GET <object>``;
with ``-w`` then ``GET <collection>?watch=true&resourceVersion=<list rv>``
(plus ``fieldSelector=metadata.name=<name>`` for one object).
"""

from __future__ import annotations

import argparse
from typing import Any

from minik.cli import printers
from minik.cli.common import Ctx, add_namespace, no_resources
from minik.cli.kinds import parse_targets
from minik.cli.tabwriter import TableWidths
from minik.errors import UsageError
from minik.k8s import Obj
from minik.resources import Resource

OUTPUTS = ("wide", "yaml", "json", "name")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "get", help="list or show objects (jobs, pods, services, configmaps, secrets, events, all)"
    )
    p.add_argument("targets", nargs="+", metavar="TYPE[/NAME] [NAME...]")
    p.add_argument("-o", "--output", default="", help="wide|yaml|json|name|jsonpath=TEMPLATE")
    p.add_argument("-l", "--selector", default=None, help="label selector (e.g. job-name=pi)")
    p.add_argument("--field-selector", default=None)
    p.add_argument("-w", "--watch", action="store_true", help="after listing, watch for changes")
    p.add_argument("--no-headers", action="store_true")
    add_namespace(p, all_namespaces=True)
    p.set_defaults(func=run)


def check_output(output: str) -> None:
    if output and output not in OUTPUTS and not output.startswith(("jsonpath=", "jsonpath-as-json=")):
        allowed = "json, jsonpath, name, wide, yaml"
        raise UsageError(
            f'unable to match a printer suitable for the output format "{output}", allowed formats are: {allowed}'
        )


def fetch(ctx: Ctx, resource: Resource, name: str | None, args: argparse.Namespace) -> tuple[list[Obj], str]:
    """The objects for one target and the list resourceVersion ('' for a single GET)."""
    if name is not None:
        obj = ctx.client.get(resource.path(ctx.namespace, name))
        return [obj], ""
    query = {"labelSelector": args.selector, "fieldSelector": args.field_selector}
    body = ctx.client.get(resource.path(ctx.ns()), query)
    items = [printers.with_kind(resource, o) for o in body.get("items") or []]
    return items, str((body.get("metadata") or {}).get("resourceVersion") or "")


def emit(
    ctx: Ctx, output: str, groups: list[tuple[Resource, list[Obj]]], single: bool, no_headers: bool
) -> None:
    now = ctx.clock()
    objs = [o for _, items in groups for o in items]
    if output == "name":
        for r, items in groups:
            for o in items:
                ctx.print(printers.name_line(r, o))
        return
    if output in ("json", "yaml") or output.startswith("jsonpath"):
        data: Any = objs[0] if single and len(objs) == 1 else printers.as_list(objs)
        if output == "json":
            ctx.print(printers.to_json(printers.omit_managed_fields(data)), end="")
        elif output == "yaml":
            ctx.print(printers.to_yaml(printers.omit_managed_fields(data)), end="")
        else:
            from minik.cli.jsonpath import evaluate

            template = output.split("=", 1)[1]
            ctx.print(evaluate(template, data), end="")
        return
    shown = [(r, items) for r, items in groups if items]
    kind_prefix = len(groups) > 1
    for i, (r, items) in enumerate(shown):
        if i:
            ctx.print()
        ctx.print(
            printers.render_table(
                r,
                items,
                now,
                wide=output == "wide",
                namespace_column=ctx.all_namespaces,
                kind_prefix=kind_prefix,
                no_headers=no_headers,
            ),
            end="",
        )


def run(ctx: Ctx, args: argparse.Namespace) -> int:
    check_output(args.output)
    targets = parse_targets(args.targets)
    groups: list[tuple[Resource, list[Obj]]] = []
    rv = ""
    for resource, name in targets:
        items, rv = fetch(ctx, resource, name, args)
        if groups and groups[-1][0] == resource:
            groups[-1][1].extend(items)
        else:
            groups.append((resource, items))
    single = len(targets) == 1 and targets[0][1] is not None
    if not any(items for _, items in groups):
        if not args.watch:
            if args.output in ("json", "yaml"):
                emit(ctx, args.output, groups, False, args.no_headers)
            no_resources(ctx)
            return 0
    else:
        emit(ctx, args.output, groups, single, args.no_headers)
    if args.watch:
        if len({r for r, _ in targets}) != 1:
            raise UsageError("you may only specify a single resource type with --watch")
        watch(ctx, args, targets[0][0], name=targets[0][1] if single else None, groups=groups, rv=rv)
    return 0


def watch(
    ctx: Ctx,
    args: argparse.Namespace,
    resource: Resource,
    *,
    name: str | None,
    groups: list[tuple[Resource, list[Obj]]],
    rv: str,
) -> None:
    wide = args.output == "wide"
    table = args.output in ("", "wide")
    widths = TableWidths()
    items = [o for _, objs in groups for o in objs]
    if table:
        rows = (
            []
            if items or args.no_headers
            else [printers.header(resource, wide=wide, namespace_column=ctx.all_namespaces)]
        )
        rows += [
            printers.row(resource, o, ctx.clock(), wide=wide, namespace_column=ctx.all_namespaces)
            for o in items
        ]
        # Remember the widths of what was printed, so the stream stays aligned.
        if items:
            widths.render([printers.header(resource, wide=wide, namespace_column=ctx.all_namespaces), *rows])
        elif rows:
            ctx.print(widths.render(rows), end="")
    if not rv and name is not None:
        rv = str(((items[0] if items else {}).get("metadata") or {}).get("resourceVersion") or "")
    fields = f"metadata.name={name}" if name else args.field_selector
    query = {"labelSelector": args.selector, "fieldSelector": fields, "resourceVersion": rv or None}
    for event in ctx.client.watch(resource.path(ctx.ns()), query):
        obj = printers.with_kind(resource, event.get("object") or {})
        if event.get("type") == "BOOKMARK":
            continue
        if table:
            row = printers.row(resource, obj, ctx.clock(), wide=wide, namespace_column=ctx.all_namespaces)
            ctx.print(widths.render([row]), end="")
        else:
            emit(ctx, args.output, [(resource, [obj])], True, True)
