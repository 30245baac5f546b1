"""The figures of a run: wall time, pods running over time, run and waiting times, the slowest row.

"Running" is a pod between its first container start and its end (a pod that
waits for its image or volumes is not yet running), so the average and peak
say how much of ``spec.parallelism`` was really used. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from minik.printing.timeline.bars import FAILED, PodBar, Row


@dataclass(frozen=True)
class Stats:
    wall: float
    parallelism: int | None  # spec.parallelism
    average_running: float
    peak_running: int
    mean_run: float | None
    p95_run: float | None
    waiting_total: float
    waiting_mean: float | None
    slowest: tuple[str, float] | None  # (row label, seconds)
    pods: int
    failed: int


def running_steps(bars: Iterable[PodBar], end: float) -> list[tuple[float, int]]:
    """(time, pods running from then on) at each change; a pod runs from its first container start."""
    deltas: dict[float, int] = {}
    for b in bars:
        if b.started is None:
            continue
        deltas[b.started] = deltas.get(b.started, 0) + 1
        stop = b.end if b.end is not None else end
        deltas[stop] = deltas.get(stop, 0) - 1
    out: list[tuple[float, int]] = []
    level = 0
    for t in sorted(deltas):
        level += deltas[t]
        out.append((t, level))
    return out


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (``p`` in 0–100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def compute_stats(rows: Sequence[Row], *, end: float, now: float, parallelism: int | None) -> Stats:
    bars = [b for r in rows for b in r.pods]
    steps = running_steps(bars, end)
    area = 0.0
    peak = 0
    for (t, level), nxt in zip(steps, [*steps[1:], (end, 0)], strict=False):
        area += level * max(0.0, min(nxt[0], end) - t)
        peak = max(peak, level)
    runs = [t for t in (b.run_time for b in bars) if t is not None]
    waits = [b.waited if b.waited is not None else max(0.0, min(now, end) - b.created) for b in bars]
    slowest: tuple[str, float] | None = None
    for r in rows:
        span = r.span
        if span is not None and (slowest is None or span[1] - span[0] > slowest[1]):
            slowest = (r.label, span[1] - span[0])
    return Stats(
        wall=end,
        parallelism=parallelism,
        average_running=area / end if end > 0 else 0.0,
        peak_running=peak,
        mean_run=sum(runs) / len(runs) if runs else None,
        p95_run=percentile(runs, 95),
        waiting_total=sum(waits),
        waiting_mean=sum(waits) / len(waits) if waits else None,
        slowest=slowest,
        pods=len(bars),
        failed=sum(1 for b in bars if b.outcome == FAILED),
    )
