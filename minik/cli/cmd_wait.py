"""``minik wait --for=condition=<Type>[=value]|delete TYPE/NAME`` (R13).

Requests: ``GET <object>``, then ``GET <collection>?watch=true&fieldSelector=
metadata.name=<name>&resourceVersion=<rv>&timeoutSeconds=<remaining>`` until
the condition holds. Exit 0 met, 1 timed out (WaitTimeout), 2 can never be met
(WaitImpossible: waiting for Complete on a Failed Job or vice versa).
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from typing import Any

from minik.cli.common import Ctx, add_namespace
from minik.cli.kinds import JOBS, parse_targets
from minik.errors import NotFound, UsageError, WaitImpossible, WaitTimeout
from minik.gotime import parse_flag_seconds
from minik.k8s import Obj, meta
from minik.resources import Resource

WEEK = 7 * 24 * 3600.0


@dataclass(frozen=True)
class Condition:
    type: str  # "" for --for=delete
    value: str = "true"

    @property
    def delete(self) -> bool:
        return not self.type


def parse_for(text: str) -> Condition:
    if text == "delete":
        return Condition("")
    if not text.startswith("condition="):
        raise UsageError(f"unrecognized condition: {text!r} (use condition=<Type>[=value] or delete)")
    rest = text[len("condition=") :]
    type_, _, value = rest.partition("=")
    if not type_:
        raise UsageError(f"unrecognized condition: {text!r}")
    return Condition(type_, value or "true")


def holds(obj: Obj, cond: Condition) -> bool:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if str(c.get("type", "")).lower() == cond.type.lower():
            return str(c.get("status", "")).lower() == cond.value.lower()
    return False


def impossible(resource: Resource, obj: Obj, cond: Condition) -> str | None:
    """Why ``cond`` can never hold on this Job (its opposite terminal condition is True)."""
    if resource is not JOBS or cond.delete or cond.value.lower() != "true":
        return None
    opposite = {"complete": "Failed", "failed": "Complete", "successcriteriamet": "Failed"}.get(
        cond.type.lower()
    )
    if opposite is None:
        return None
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == opposite and c.get("status") == "True":
            word = "failed" if opposite == "Failed" else "completed"
            detail = ": ".join(x for x in (c.get("reason"), c.get("message")) if x)
            return f"{resource.display}/{meta(obj).get('name')} {word}" + (f": {detail}" if detail else "")
    return None


def progress(obj: Obj) -> str:
    s = obj.get("status") or {}
    return (
        f"{meta(obj).get('name')}: {int(s.get('succeeded') or 0)}/{(obj.get('spec') or {}).get('completions') or 1} "
        f"succeeded, {int(s.get('failed') or 0)} failed, {int(s.get('active') or 0)} active"
    )


def register(sub: Any) -> None:
    p = sub.add_parser("wait", help="wait for a condition on a job (or for its deletion)")
    p.add_argument("targets", nargs="+", metavar="TYPE/NAME")
    p.add_argument("--for", dest="for_", required=True, help="condition=<Type>[=value] or delete")
    p.add_argument("--timeout", default="30s", help="how long to wait (0: check once; negative: a week)")
    add_namespace(p)
    p.set_defaults(func=run)


class _Progress:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.live = hasattr(ctx.err, "isatty") and ctx.err.isatty()
        self.shown = False

    def show(self, obj: Obj) -> None:
        if self.live and (obj.get("status") or {}).get("startTime") is not None:
            self.ctx.err.write("\r\x1b[2K" + progress(obj))
            self.ctx.err.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.ctx.err.write("\r\x1b[2K")
            self.ctx.err.flush()
            self.shown = False


def run(ctx: Ctx, args: argparse.Namespace) -> int:
    cond = parse_for(args.for_)
    try:
        timeout = parse_flag_seconds(args.timeout)
    except ValueError:
        raise UsageError(f"invalid --timeout {args.timeout!r} (e.g. 30s, 5m)") from None
    if timeout < 0:
        timeout = WEEK
    deadline = time.monotonic() + timeout
    for resource, name in parse_targets(args.targets):
        if name is None:
            raise UsageError("wait needs TYPE/NAME (e.g. job/pi)")
        wait_one(ctx, resource, name, cond, timeout=timeout, deadline=deadline)
    return 0


def wait_one(
    ctx: Ctx, resource: Resource, name: str, cond: Condition, *, timeout: float, deadline: float
) -> None:
    ref = f"{resource.plural}/{name}"
    bar = _Progress(ctx)

    def said() -> None:
        bar.clear()
        ctx.print(f"{resource.display}/{name} condition met")

    try:
        obj: Obj | None = ctx.client.get(resource.path(ctx.namespace, name))
    except NotFound:
        if cond.delete:
            said()
            return
        raise

    def met(o: Obj) -> bool:
        """The condition holds (said); raises when it never can; else the progress is shown."""
        if cond.delete:
            return False
        if holds(o, cond):
            said()
            return True
        why = impossible(resource, o, cond)
        if why is not None:
            bar.clear()
            raise WaitImpossible(why)
        bar.show(o)
        return False

    try:
        while True:
            assert obj is not None
            if met(obj):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                bar.clear()
                if timeout == 0:
                    raise WaitTimeout(f"condition not met for {ref}")
                raise WaitTimeout(f"timed out waiting for the condition on {ref}")
            query = {
                "fieldSelector": f"metadata.name={name}",
                "resourceVersion": meta(obj).get("resourceVersion"),
                "timeoutSeconds": max(1, math.ceil(remaining)),
            }
            changed = False
            for event in ctx.client.watch(resource.path(ctx.namespace), query):
                o = event.get("object") or {}
                if meta(o).get("name") != name:
                    continue
                if event.get("type") == "DELETED":
                    if cond.delete:
                        said()
                        return
                    continue
                obj, changed = o, True
                # Judged on the same watch: a new request per change cost a TLS
                # handshake on both sides for every status write of a busy Job.
                if met(obj):
                    return
            if not changed:
                try:
                    obj = ctx.client.get(resource.path(ctx.namespace, name))
                except NotFound:
                    if cond.delete:
                        said()
                        return
                    raise
    finally:
        bar.clear()
