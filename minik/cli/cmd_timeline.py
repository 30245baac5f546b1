"""``minik timeline job/NAME|cronjob/NAME``: where a Job's time went (issue 34).

Requests: ``GET /apis/batch/v1/namespaces/<ns>/jobs/<job>`` (for a CronJob:
``GET .../cronjobs/<name>`` and ``GET .../jobs``, its latest Job), then
``GET /api/v1/namespaces/<ns>/pods?labelSelector=<job selector>`` and the
Job's events (``GET .../events?fieldSelector=involvedObject.name=…,uid=…``,
as ``describe``). With
``-w`` it redraws after each pod change (``GET .../pods?watch=true&…
&timeoutSeconds=2`` is only a wake-up) until the Job has finished.

Builds the model with :func:`minik.printing.timeline.build_timeline` and
prints the terminal chart, or writes ``--html`` (a self-contained page) and
``--trace`` (Chrome trace-event JSON). Owns fetching, the terminal (width,
colour, redraws) and the files; the drawing lives in ``minik.printing``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path
from typing import Any

from minik.cli.cmd_describe import events_for
from minik.cli.cmd_logs import latest_job
from minik.cli.common import Ctx, add_namespace
from minik.cli.kinds import CRONJOBS, JOBS, PODS, lookup
from minik.cli.printers import format_label_selector
from minik.errors import MinikError, UsageError
from minik.k8s import Obj, meta
from minik.printing.timeline import Timeline, build_timeline
from minik.printing.timeline.svg import render_html
from minik.printing.timeline.text import render_text
from minik.printing.timeline.trace import render_trace

CLEAR = "\x1b[H\x1b[2J"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "timeline", help="chart a job's pods over time (terminal, --html page, --trace for Perfetto)"
    )
    p.add_argument("target", metavar="job/NAME|cronjob/NAME")
    p.add_argument("-w", "--watch", action="store_true", help="redraw until the job has finished")
    p.add_argument("--html", metavar="FILE", default=None, help="write a self-contained HTML page")
    p.add_argument("--trace", metavar="FILE", default=None, help="write Chrome trace-event JSON")
    p.add_argument("--width", type=int, default=0, help="chart width in columns (default: the terminal's)")
    add_namespace(p)
    p.set_defaults(func=run)


def _job(ctx: Ctx, target: str) -> Obj:
    kind, sep, name = target.partition("/")
    if not sep:
        kind, name = "job", target
    if not name:
        raise UsageError("timeline needs job/NAME or cronjob/NAME")
    resource = lookup(kind)
    if resource is CRONJOBS:
        return latest_job(ctx, name)
    if resource is not JOBS:
        raise UsageError(f"cannot chart {resource.plural}; use job/NAME or cronjob/NAME")
    job: Obj = ctx.client.get(JOBS.path(ctx.namespace, name))
    return job


def _pods(ctx: Ctx, job: Obj) -> tuple[list[Obj], str]:
    selector = format_label_selector((job.get("spec") or {}).get("selector"))
    if selector == "<none>":
        raise MinikError(f"job {meta(job).get('name')} has no selector")
    body = ctx.client.get(PODS.path(ctx.namespace), {"labelSelector": selector})
    rv = str((body.get("metadata") or {}).get("resourceVersion") or "")
    return list(body.get("items") or []), rv


def _isatty(stream: Any) -> bool:
    return bool(getattr(stream, "isatty", None) and stream.isatty())


def _width(ctx: Ctx, args: argparse.Namespace) -> int:
    if args.width:
        return max(20, int(args.width))
    fallback = shutil.get_terminal_size((100, 24)).columns if _isatty(ctx.out) else 100
    return max(20, int(os.environ.get("COLUMNS") or fallback))


def _write(ctx: Ctx, tl: Timeline, args: argparse.Namespace) -> None:
    if args.html:
        _save(args.html, render_html(tl))
        ctx.eprint(f"wrote {args.html}")
    if args.trace:
        _save(args.trace, json.dumps(render_trace(tl), separators=(",", ":")) + "\n")
        ctx.eprint(f"wrote {args.trace} (open it in https://ui.perfetto.dev or chrome://tracing)")


def _save(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise MinikError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _shape(tl: Timeline) -> tuple[object, ...]:
    """What a watcher without a terminal is shown a new frame for: pods' phases, not the clock."""
    return (tl.finished, tuple((p.name, p.outcome, p.started is not None) for r in tl.rows for p in r.pods))


def run(ctx: Ctx, args: argparse.Namespace) -> int:
    files = bool(args.html or args.trace)
    live = _isatty(ctx.out)
    fancy = live and not os.environ.get("NO_COLOR")
    width = _width(ctx, args)
    job = _job(ctx, args.target)
    name = str(meta(job).get("name") or "")
    shown: tuple[object, ...] | None = None
    while True:
        pods, rv = _pods(ctx, job)
        tl = build_timeline(job, pods, ctx.clock(), events_for(ctx, job))
        if not files and (not args.watch or live or _shape(tl) != shown):
            frame = render_text(tl, width=width, fancy=fancy)
            if args.watch and live:
                frame = CLEAR + frame
            elif shown is not None:
                frame = "\n" + frame
            ctx.print(frame, end="")
            shown = _shape(tl)
        if not args.watch or tl.finished:
            break
        _wait_for_change(ctx, job, rv)
        job = ctx.client.get(JOBS.path(ctx.namespace, name))
    if files:
        _write(ctx, tl, args)
    return 0


def _wait_for_change(ctx: Ctx, job: Obj, rv: str) -> None:
    """Return after the next change to the Job's pods, or after two seconds."""
    selector = format_label_selector((job.get("spec") or {}).get("selector"))
    query = {"labelSelector": selector, "resourceVersion": rv or None, "timeoutSeconds": 2}
    events = ctx.client.watch(PODS.path(ctx.namespace), query)
    try:
        for _ in events:
            return
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()  # the generator's finally closes its connection now, not at collection
