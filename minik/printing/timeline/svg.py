"""The timeline as one self-contained HTML page: inline SVG and CSS, no script, no network.

Each row is a ``<g class="row">``; each pod a ``<g class="pod …">`` whose
bars (waiting, each container run) carry a ``<title>`` — the browser's own
tooltip shows pod name, index, container, start/finish, exit code and reason
on hover, without JavaScript. Failed bars are hatched and end in a ``✗``, so
they stand out without colour; back-off gaps are dashed lines. Under the
chart: the pods running over time against ``spec.parallelism``, and the
run's figures. Pure: a value in, a string out.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from html import escape

from minik.k8s import rfc3339
from minik.printing.timeline.bars import FAILED, ContainerRun, PodBar
from minik.printing.timeline.model import Timeline
from minik.printing.timeline.stats import running_steps
from minik.printing.timeline.text import LEGEND, seconds, summary_lines, tick

ROW_H = 16
BAR_H = 10
CHART_W = 960
TOP = 30

CSS = """
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #1b1f24; background: #fff; }
h1 { font-size: 16px; margin: 0 0 4px; }
.sub { color: #57606a; margin: 0 0 12px; }
svg text { font: 11px ui-monospace, monospace; fill: #1b1f24; }
svg .axis line { stroke: #d0d7de; }
svg .axis text { fill: #57606a; }
svg .label { text-anchor: end; }
.waiting { fill: #d0d7de; }
.init { fill: #8250df; }
.run { fill: #0969da; }
.succeeded .run { fill: #1a7f37; }
.failed .run, .run.failedrun { fill: url(#hatch); stroke: #cf222e; stroke-width: 1; }
.mark { font-weight: bold; font-size: 13px; }
.failed .mark, .failmark { fill: #cf222e; }
.backoff { stroke: #bf8700; stroke-width: 2; stroke-dasharray: 3 2; }
.jobmark { stroke: #57606a; stroke-width: 2; stroke-dasharray: 1 3; }
.jobmark.warning { stroke: #cf222e; }
.pod:hover rect { stroke: #1b1f24; stroke-width: 1.5; }
.row:hover .label { font-weight: bold; }
.par path { fill: #0969da33; stroke: #0969da; }
.par .limit { stroke: #cf222e; stroke-dasharray: 4 3; }
table.figures td { padding: 1px 12px 1px 0; }
.legend span { margin-right: 14px; white-space: nowrap; }
.legend svg { vertical-align: middle; }
"""


def _when(tl: Timeline, s: float) -> str:
    return _stamp(tl.t0, s)


@functools.lru_cache(maxsize=8192)
def _stamp(t0: datetime, s: float) -> str:
    """``2026-03-01T09:00:04Z (+4.0s)``; cached: a big run repeats the same seconds many times."""
    return f"{rfc3339(t0 + timedelta(seconds=s))} (+{seconds(s)})"


def _run_title(tl: Timeline, pod: PodBar, run: ContainerRun) -> str:
    lines = [
        f"pod {pod.name}",
        f"index {pod.index}" if pod.index is not None else "",
        f"{'init container' if run.init else 'container'} {run.name}"
        + (f" (restart {run.attempt})" if run.attempt else ""),
        f"started {_when(tl, run.start)}",
        f"finished {_when(tl, run.end)}" if run.end is not None else "running",
        f"exit code {run.exit_code}" if run.exit_code is not None else "",
        f"reason {run.reason}" if run.reason else "",
    ]
    return "\n".join(x for x in lines if x)


def _pod_title(tl: Timeline, pod: PodBar) -> str:
    lines = [
        f"pod {pod.name}",
        f"index {pod.index}" + (f", retry {pod.attempt}" if pod.attempt else "")
        if pod.index is not None
        else "",
        f"created {_when(tl, pod.created)}",
        f"waiting {seconds(pod.waited)}" if pod.waited is not None else "waiting (not started)",
        f"finished {_when(tl, pod.end)}" if pod.end is not None else "",
        f"{pod.outcome}" + (f": {pod.failure}" if pod.outcome == FAILED else ""),
    ]
    return "\n".join(x for x in lines if x)


def _defs() -> str:
    return (
        "<defs><pattern id='hatch' width='6' height='6' patternUnits='userSpaceOnUse' "
        "patternTransform='rotate(45)'><rect width='6' height='6' fill='#ffebe9'/>"
        "<line x1='0' y1='0' x2='0' y2='6' stroke='#cf222e' stroke-width='3'/></pattern></defs>"
    )


def _ticks(end: float) -> list[float]:
    steps = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400)
    step = next((s for s in steps if end / s <= 12), steps[-1])
    out, t = [], 0.0
    while t <= end + 1e-9:
        out.append(t)
        t += step
    return out


def render_svg(tl: Timeline) -> str:
    """The chart as an ``<svg>`` element."""
    label_w = 8 + 7 * max([7, *(len(r.label) for r in tl.rows)])
    end = tl.end if tl.end > 0 else 1.0
    scale = CHART_W / end

    def x(t: float) -> float:
        return round(label_w + max(0.0, t) * scale, 1)

    height = TOP + ROW_H * len(tl.rows) + 10
    parts: list[str] = []
    add = parts.append
    add(_defs())
    add("<g class='axis'>")
    for t in _ticks(end):
        add(f"<line x1='{x(t)}' y1='{TOP - 6}' x2='{x(t)}' y2='{height - 10}'/>")
        add(f"<text x='{x(t) + 2}' y='{TOP - 10}'>{escape(tick(round(t)))}</text>")
    add(f"<text class='label' x='{label_w - 6}' y='{TOP - 10}'>{'index' if tl.indexed else 'pod'}</text>")
    add("</g>")
    for m in tl.marks:
        add(
            f"<line class='jobmark{' warning' if m.warning else ''}' x1='{x(m.time)}' y1='{TOP - 6}' "
            f"x2='{x(m.time)}' y2='{height - 10}'><title>{escape(m.reason)}: {escape(m.message)}\n"
            f"{escape(_when(tl, m.time))}</title></line>"
        )
    for i, row in enumerate(tl.rows):
        y = TOP + i * ROW_H
        mid = y + ROW_H / 2
        add(f"<g class='row' data-row='{escape(row.label)}'>")
        add(f"<text class='label' x='{label_w - 6}' y='{mid + 4}'>{escape(row.label)}</text>")
        for gap in row.gaps:
            add(
                f"<line class='backoff' x1='{x(gap.start)}' y1='{mid}' x2='{x(gap.end)}' y2='{mid}'>"
                f"<title>back-off {escape(seconds(gap.end - gap.start))}: "
                f"{escape(_when(tl, gap.start))} to {escape(_when(tl, gap.end))}</title></line>"
            )
        for pod in row.pods:
            parts.extend(_pod(tl, pod, x, y, end))
        add("</g>")
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' class='chart' width='{label_w + CHART_W + 20}' "
        f"height='{height}' role='img' aria-label='timeline of job {escape(tl.job)}'>"
        + "".join(parts)
        + "</svg>"
    )


def _pod(tl: Timeline, pod: PodBar, x: Callable[[float], float], y: float, end: float) -> list[str]:
    out = [f"<g class='pod {pod.outcome}' data-pod='{escape(pod.name)}'>"]
    out.append(f"<title>{escape(_pod_title(tl, pod))}</title>")
    top = y + (ROW_H - BAR_H) / 2
    wait_end = pod.started if pod.started is not None else (pod.end if pod.end is not None else end)
    if wait_end > pod.created:
        out.append(
            f"<rect class='waiting' x='{x(pod.created)}' y='{top + 3}' "
            f"width='{max(1.0, x(wait_end) - x(pod.created)):.1f}' height='{BAR_H - 6}'/>"
        )
    for run in pod.runs:
        stop = run.end if run.end is not None else end
        cls = "init" if run.init else "run"
        if run.failed and pod.outcome != FAILED:
            cls += " failedrun"
        out.append(
            f"<rect class='{cls}' x='{x(run.start)}' y='{top}' "
            f"width='{max(1.5, x(stop) - x(run.start)):.1f}' height='{BAR_H}'>"
            f"<title>{escape(_run_title(tl, pod, run))}</title></rect>"
        )
        if run.failed:
            out.append(f"<text class='mark failmark' x='{x(stop) + 1}' y='{top + BAR_H - 1}'>✗</text>")
    if pod.end is not None and pod.outcome == FAILED and not any(r.failed for r in pod.runs):
        out.append(f"<text class='mark' x='{x(pod.end) + 1}' y='{top + BAR_H - 1}'>✗</text>")
    out.append("</g>")
    return out


def render_parallelism(tl: Timeline) -> str:
    """Pods running over time (a step chart) with ``spec.parallelism`` as a dashed line."""
    steps = running_steps([b for r in tl.rows for b in r.pods], tl.end)
    end = tl.end if tl.end > 0 else 1.0
    peak = max([tl.stats.peak_running, tl.stats.parallelism or 0, 1])
    h = 60
    label_w = 8 + 7 * max([7, *(len(r.label) for r in tl.rows)])

    def x(t: float) -> float:
        return round(label_w + max(0.0, t) / end * CHART_W, 1)

    def y(level: float) -> float:
        return round(h + 4 - level / peak * h, 1)

    d = [f"M{x(0)},{y(0)}"]
    level = 0
    for t, new in steps:
        d.append(f"L{x(t)},{y(level)}L{x(t)},{y(new)}")
        level = new
    d.append(f"L{x(end)},{y(level)}L{x(end)},{y(0)}Z")
    limit = ""
    if tl.stats.parallelism is not None:
        ly = y(tl.stats.parallelism)
        limit = (
            f"<line class='limit' x1='{x(0)}' y1='{ly}' x2='{x(end)}' y2='{ly}'/>"
            f"<text x='{x(end) + 4}' y='{ly + 4}'>parallelism {tl.stats.parallelism}</text>"
        )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' class='par' width='{label_w + CHART_W + 100}' "
        f"height='{h + 10}'><text class='label' x='{label_w - 6}' y='{h / 2 + 4}' text-anchor='end'>"
        f"running</text><path d='{''.join(d)}'/>{limit}</svg>"
    )


def _legend() -> str:
    swatch = {
        "waiting": "<rect class='waiting' x='0' y='4' width='16' height='4'/>",
        "init": "<rect class='init' x='0' y='1' width='16' height='10'/>",
        "running": "<rect class='run' x='0' y='1' width='16' height='10'/>",
        "succeeded": "<g class='succeeded'><rect class='run' x='0' y='1' width='16' height='10'/></g>",
        "failed": "<g class='failed'><rect class='run' x='0' y='1' width='16' height='10'/>"
        "<text class='mark' x='17' y='10'>✗</text></g>",
        "backoff": "<line class='backoff' x1='0' y1='6' x2='16' y2='6'/>",
    }
    items = [
        f"<span><svg width='26' height='12'>{swatch[k]}</svg> {escape(words)}</span>" for k, words in LEGEND
    ]
    return "<p class='legend'>" + "".join(items) + "</p>"


def render_html(tl: Timeline) -> str:
    """One self-contained page: no script, no external resource."""
    figures = "".join(
        f"<tr><td>{escape(k.strip())}</td><td>{escape(v.strip())}</td></tr>"
        for k, _, v in (line.partition(":") for line in summary_lines(tl))
    )
    title = f"job/{tl.job} timeline"
    state = tl.condition or "running"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f"<p class='sub'>namespace {escape(tl.namespace)} · {escape(state)} · started {rfc3339(tl.t0)} · "
        f"{len(tl.rows)} {'indexes' if tl.indexed else 'pods'}</p>"
        + _legend()
        + render_svg(tl)
        + render_parallelism(tl)
        + f"<table class='figures'>{figures}</table>"
        + "</body></html>\n"
    )
