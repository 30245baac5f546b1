"""The chart model of a Job run: rows of pod bars, back-off gaps, the Job's marks and figures.

One row per completion index (Indexed; retries of an index on its row, in
creation order) or per pod in creation order (NonIndexed); back-off gaps
between a failed pod and its retry and between a container's restarts. The
Job's own events add marks: Suspended, Resumed and every Warning
(``BackoffLimitExceeded``, ``DeadlineExceeded``, …) at the time it last
happened. Reading one pod is ``bars``; the figures are ``stats``. Does not
own drawing (``text``, ``svg``, ``trace``) nor fetching
(``minik.cli.cmd_timeline``).

Pure: :func:`build_timeline` takes the Job, its pods, its events and ``now``
and never mutates them.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from minik.k8s import Obj, meta, parse_time
from minik.printing.timeline.bars import (
    FAILED,
    ContainerRun,
    Gap,
    PodBar,
    Row,
    pod_bar,
    pod_index,
    seconds_since,
)
from minik.printing.timeline.stats import Stats, compute_stats


@dataclass(frozen=True)
class Mark:
    """A moment of the Job itself, from its events: suspended, resumed, or a Warning."""

    time: float
    reason: str
    message: str
    warning: bool = False


# Normal events of the Job worth a mark: the moments its pods stopped or started being made.
MARKED_REASONS = frozenset({"Suspended", "Resumed"})


@dataclass(frozen=True)
class Timeline:
    job: str
    namespace: str
    t0: datetime
    end: float  # the chart's right edge: the Job's end, or now while it runs
    finished: bool
    indexed: bool
    rows: tuple[Row, ...]
    stats: Stats
    condition: str = ""  # Complete / Failed (with reason) once finished
    marks: tuple[Mark, ...] = ()


def _gaps(pods: Sequence[PodBar]) -> list[Gap]:
    """Back-off gaps of one row: a failed pod's end → its retry's creation, and crash-loop restarts."""
    out: list[Gap] = []
    for before, after in itertools.pairwise(pods):
        if before.outcome == FAILED and before.end is not None and after.created > before.end:
            out.append(Gap(before.end, after.created))
    for p in pods:
        by_container: dict[tuple[str, bool], list[ContainerRun]] = {}
        for r in p.runs:
            by_container.setdefault((r.name, r.init), []).append(r)
        for runs in by_container.values():
            for a, b in itertools.pairwise(runs):
                if a.end is not None and b.start > a.end:
                    out.append(Gap(a.end, b.start))
    return sorted(out, key=lambda g: g.start)


def _replacements(bars: Sequence[PodBar]) -> dict[int, Gap]:
    """NonIndexed: the back-off before each failed pod's replacement, on the replacement's row.

    Pods of a NonIndexed Job are interchangeable, so the replacement of a
    failure is the first pod (in creation order) created when or after it
    ended that no earlier failure has claimed.
    """
    ends = sorted(b.end for b in bars if b.outcome == FAILED and b.end is not None)
    created = [b.created for b in bars]  # ascending: bars are in creation order
    out: dict[int, Gap] = {}
    claimed = 0  # a later failure's replacement is never before an earlier one's
    for end in ends:
        i = max(claimed, bisect.bisect_left(created, end))
        if i >= len(bars):
            break
        if bars[i].created > end:  # a replacement made within the same second has no gap to draw
            out[i] = Gap(end, bars[i].created)
        claimed = i + 1
    return out


def marks_of(events: Iterable[Obj], t0: datetime) -> list[Mark]:
    """The Job's Suspended/Resumed events and its Warnings, at their last occurrence, in time order."""
    out: list[Mark] = []
    for ev in events:
        reason = str(ev.get("reason") or "")
        warning = ev.get("type") == "Warning"
        if not warning and reason not in MARKED_REASONS:
            continue
        when = seconds_since(t0, ev.get("lastTimestamp") or ev.get("eventTime") or ev.get("firstTimestamp"))
        if when is not None:
            out.append(Mark(when, reason, str(ev.get("message") or ""), warning))
    return sorted(out, key=lambda m: (m.time, m.reason))


def _origin(job: Obj, pods: Iterable[Obj], now: datetime) -> datetime:
    """The chart's zero: the Job's startTime (or creation), or an earlier pod's creation."""
    candidates = [
        parse_time((job.get("status") or {}).get("startTime")),
        parse_time(meta(job).get("creationTimestamp")),
    ]
    first = next((t for t in candidates if t is not None), None)
    created = [t for t in (parse_time(meta(p).get("creationTimestamp")) for p in pods) if t is not None]
    if created and (first is None or min(created) < first):
        return min(created)
    return first if first is not None else now


def _finish(job: Obj) -> tuple[str | None, str]:
    """(the time the Job finished, ``Complete`` / ``Failed: Reason``) or (None, "")."""
    status = job.get("status") or {}
    for c in status.get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            word = str(c.get("type"))
            if c.get("reason") and word == "Failed":
                word += f": {c.get('reason')}"
            when = status.get("completionTime") if word == "Complete" else None
            return (when or c.get("lastTransitionTime") or status.get("completionTime")), word
    return None, ""


def build_timeline(job: Obj, pods: Sequence[Obj], now: datetime, events: Sequence[Obj] = ()) -> Timeline:
    """The chart model of ``job`` from its pods (any order) and its events, as of ``now``."""
    spec = job.get("spec") or {}
    t0 = _origin(job, pods, now)
    now_s = (now - t0).total_seconds()
    finished_at, condition = _finish(job)
    indexed = spec.get("completionMode") == "Indexed"
    ordered = sorted(
        pods, key=lambda p: (str(meta(p).get("creationTimestamp") or ""), meta(p).get("name", ""))
    )
    rows: list[Row] = []
    if indexed:
        by_index: dict[int, list[PodBar]] = {}
        for p in ordered:
            index = pod_index(p)
            if index is None:
                continue
            bars = by_index.setdefault(index, [])
            bars.append(pod_bar(p, t0, now_s, attempt=len(bars)))
        completions = int(spec.get("completions") or 0)
        for index in sorted(set(range(completions)) | set(by_index)):
            bars = by_index.get(index, [])
            rows.append(Row(str(index), index, tuple(bars), tuple(_gaps(bars))))
    else:
        bars = [pod_bar(p, t0, now_s) for p in ordered]
        retries = _replacements(bars)
        for i, bar in enumerate(bars):
            gaps = _gaps([bar]) + ([retries[i]] if i in retries else [])
            rows.append(Row(bar.name, None, (bar,), tuple(sorted(gaps, key=lambda g: g.start))))
    bars_all = [b for r in rows for b in r.pods]
    ends = [b.end for b in bars_all if b.end is not None]
    end_s = seconds_since(t0, finished_at) if finished_at else None
    if end_s is None:
        end_s = now_s
    end_s = max([end_s, *ends, *(b.created for b in bars_all), 0.0])
    parallelism = spec.get("parallelism")
    stats = compute_stats(
        rows, end=end_s, now=now_s, parallelism=int(parallelism) if parallelism is not None else None
    )
    return Timeline(
        job=str(meta(job).get("name") or ""),
        namespace=str(meta(job).get("namespace") or ""),
        t0=t0,
        end=end_s,
        finished=bool(finished_at),
        indexed=indexed,
        rows=tuple(rows),
        stats=stats,
        condition=condition,
        marks=tuple(m for m in marks_of(events, t0) if 0 <= m.time <= end_s),
    )
