"""The terminal chart of a :class:`~minik.printing.timeline.model.Timeline`.

One line per row, time across, fitted to ``width`` columns; each column
shows the most telling thing in its slice of time (a pod's end mark over
running over init over waiting over a back-off gap). ``fancy`` picks block
characters and ANSI colours (a terminal without ``NO_COLOR``); otherwise
plain ASCII, so the chart survives pipes, logs and CI. Under the chart: the
run's figures. Pure: a value in, a string out.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from minik.printing.timeline.bars import FAILED, SUCCEEDED, PodBar, Row
from minik.printing.timeline.model import Timeline


@dataclass(frozen=True)
class Glyphs:
    empty: str
    waiting: str
    init: str
    running: str
    succeeded: str
    failed: str
    backoff: str
    edge: str


PLAIN = Glyphs(" ", ".", ":", "=", "+", "X", "~", "|")
FANCY = Glyphs(" ", "░", "▒", "█", "✔", "✘", "┄", "│")

# What each mark means, in the order the legend lists them.
LEGEND = (
    ("waiting", "waiting (created, not started)"),
    ("init", "init containers"),
    ("running", "running"),
    ("succeeded", "succeeded"),
    ("failed", "failed"),
    ("backoff", "back-off before a retry"),
)

_COLOURS = {
    "waiting": "2",  # dim
    "init": "36",  # cyan
    "running": "34",  # blue
    "succeeded": "32",  # green
    "failed": "1;31",  # bold red
    "backoff": "33",  # yellow
}

# Painting priority: a later kind wins a column.
_ORDER = ("backoff", "waiting", "init", "running", "succeeded", "failed")
_RANK = {k: i + 1 for i, k in enumerate(_ORDER)}

_NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400)


def seconds(s: float | None) -> str:
    """``0.4s``, ``12.0s``, ``2m05s``, ``1h02m``; ``-`` for None."""
    if s is None:
        return "-"
    if s < 60:
        return f"{s:.1f}s"
    whole = round(s)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def tick(s: int) -> str:
    if s % 3600 == 0 and s:
        return f"{s // 3600}h"
    if s % 60 == 0 and s:
        return f"{s // 60}m"
    if s >= 60:
        return f"{s // 60}m{s % 60}s"
    return f"{s}s"


class _Canvas:
    """One row's columns: each column keeps the highest-ranked kind painted on it."""

    def __init__(self, cols: int, scale: float, end: float) -> None:
        self.cols = cols
        self.scale = scale
        self.end = end
        self.cells = [0] * cols

    def col(self, t: float) -> int:
        return max(0, min(self.cols - 1, int(t / self.scale)))

    def span(self, kind: str, start: float, end: float | None) -> None:
        stop = self.end if end is None else end
        rank = _RANK[kind]
        a = self.col(start)
        b = self.col(stop) if stop > start else a
        # An interval that ends exactly on a column boundary does not reach into it.
        if b > a and stop / self.scale == b:
            b -= 1
        cells = self.cells
        for i in range(a, b + 1):
            cells[i] = max(cells[i], rank)

    def mark(self, kind: str, t: float) -> None:
        i = self.col(t)
        self.cells[i] = max(self.cells[i], _RANK[kind])


def paint_row(row: Row, *, cols: int, scale: float, end: float) -> list[str]:
    """The kind shown in each column (``""`` for nothing), for tests and renderers alike."""
    canvas = _Canvas(cols, scale, end)
    for gap in row.gaps:
        canvas.span("backoff", gap.start, gap.end)
    for pod in row.pods:
        _paint_pod(canvas, pod)
    names = ("", *_ORDER)
    return [names[c] for c in canvas.cells]


def _paint_pod(canvas: _Canvas, pod: PodBar) -> None:
    waiting_end = pod.started if pod.started is not None else pod.end
    canvas.span("waiting", pod.created, waiting_end)
    for run in pod.runs:
        canvas.span("init" if run.init else "running", run.start, run.end)
    for run in pod.runs:
        if run.failed and run.end is not None:
            canvas.mark("failed", run.end)
    if pod.end is not None and pod.outcome == SUCCEEDED:
        canvas.mark("succeeded", pod.end)
    elif pod.end is not None and pod.outcome == FAILED:
        canvas.mark("failed", pod.end)


def _note(row: Row, indexed: bool) -> str:
    failed = [p for p in row.pods if p.outcome == FAILED]
    if not indexed:
        return failed[0].failure if failed else ""
    parts = [f"#{p.attempt} {p.failure}" for p in failed]
    return ", ".join(parts)


def _axis(cols: int, scale: float) -> str:
    span = cols * scale
    step = next((s for s in _NICE_STEPS if span / s <= max(1, cols // 10)), _NICE_STEPS[-1])
    line = [" "] * (cols + 8)
    t = 0
    while t <= span:
        i = int(t / scale)
        label = tick(t)
        if i + len(label) <= len(line) and all(c == " " for c in line[max(0, i - 1) : i + len(label)]):
            line[i : i + len(label)] = list(label)
        t += step
    return "".join(line).rstrip()


def _paint(kind: str, text: str, colour: bool) -> str:
    if not colour or not kind or kind not in _COLOURS:
        return text
    return f"\x1b[{_COLOURS[kind]}m{text}\x1b[0m"


def render_text(tl: Timeline, *, width: int = 80, fancy: bool = False) -> str:
    """The chart and its figures, at most ``width`` columns wide (colour codes aside)."""
    g = FANCY if fancy else PLAIN
    glyph = {k: getattr(g, k) for k in ("waiting", "init", "running", "succeeded", "failed", "backoff")}
    glyph[""] = g.empty
    label_w = max(
        [len("index" if tl.indexed else "pod"), 6 if tl.marks else 0, *(len(r.label) for r in tl.rows)]
    )
    notes = [_note(r, tl.indexed) for r in tl.rows]
    note_w = min(max([len(n) for n in notes] + [0]), 28)
    cols = max(10, width - label_w - 3 - (note_w + 1 if note_w else 0))
    end = tl.end if tl.end > 0 else 1.0
    scale = end / cols
    lines = [_header(tl)]
    lines.append(" " * (label_w + 2) + _axis(cols, scale))
    lines.append(f"{('index' if tl.indexed else 'pod'):>{label_w}} {g.edge}" + " " * cols + g.edge)
    if tl.marks:
        marked = [" "] * cols
        for m in tl.marks:
            marked[max(0, min(cols - 1, int(m.time / scale)))] = "!" if m.warning else "v"
        lines.append(f"{'events':>{label_w}} {g.edge}" + "".join(marked) + g.edge)
    for row, note in zip(tl.rows, notes, strict=True):
        kinds = paint_row(row, cols=cols, scale=scale, end=tl.end)
        chart = "".join(_paint(k, glyph[k] * len(list(run)), fancy) for k, run in itertools.groupby(kinds))
        tail = f" {note[:note_w]}" if note else ""
        lines.append(f"{row.label:>{label_w}} {g.edge}{chart}{g.edge}{tail}".rstrip())
    lines.extend(_legend(glyph, fancy, indent=label_w + 2, width=width))
    lines.append("")
    lines.extend(summary_lines(tl))
    return "\n".join(lines) + "\n"


def _legend(glyph: dict[str, str], fancy: bool, *, indent: int, width: int) -> list[str]:
    """The legend's entries, wrapped to ``width``."""
    out: list[str] = []
    line, used = "", indent
    for kind, words in LEGEND:
        entry = f"{_paint(kind, glyph[kind], fancy)} {words}"
        size = len(glyph[kind]) + 1 + len(words)
        if line and used + 2 + size > width:
            out.append(" " * indent + line)
            line, used = "", indent
        line, used = (f"{line}  {entry}", used + 2 + size) if line else (entry, used + size)
    if line:
        out.append(" " * indent + line)
    return out


def _header(tl: Timeline) -> str:
    state = tl.condition or "running"
    return f"job/{tl.job}  {state}  {len(tl.rows)} {'indexes' if tl.indexed else 'pods'}"


def summary_lines(tl: Timeline) -> list[str]:
    """The run's figures, one per line (the page shows the same lines)."""
    s = tl.stats
    of = f" of parallelism {s.parallelism}" if s.parallelism is not None else ""
    out = [
        f"Wall time:        {seconds(s.wall)}{'' if tl.finished else ' so far'}",
        f"Pods:             {s.pods} ({s.failed} failed)",
        f"Parallelism used: average {s.average_running:.1f}, peak {s.peak_running}{of}",
        f"Pod run time:     mean {seconds(s.mean_run)}, p95 {seconds(s.p95_run)}",
        f"Waiting:          {seconds(s.waiting_total)} in total, {seconds(s.waiting_mean)} per pod",
    ]
    if s.slowest is not None:
        word = "index" if tl.indexed else "pod"
        out.append(f"Slowest {word}:{' ' * (9 - len(word))}{s.slowest[0]} ({seconds(s.slowest[1])})")
    for m in tl.marks:
        out.append(f"Event:            +{seconds(m.time)} {m.reason}: {m.message}")
    instant = sum(1 for r in tl.rows for p in r.pods if p.run_time == 0)
    if instant:
        out.append(
            f"Note:             {instant} of {s.pods} pods started and ended within the same second; "
            "the API's times are whole seconds (as Kubernetes'), so they show as one column"
        )
    return out
