"""The chart model of a Job run: rows of pod bars, back-off gaps and the run's figures.

Owns reading the facts a pod carries — ``creationTimestamp``, each
container's ``state``/``lastState`` (``running.startedAt``,
``terminated.startedAt/finishedAt/exitCode/reason``), the pod's phase and
reason, the completion-index annotation — into seconds from the Job's start.
One row per completion index (Indexed; retries of an index on its row) or per
pod in creation order (NonIndexed). Does not own drawing (``text``, ``svg``,
``trace``) nor fetching (``minik.cli.cmd_timeline``).

The Job's own events add marks: Suspended, Resumed and every Warning
(``BackoffLimitExceeded``, ``DeadlineExceeded``, …) at the time it last
happened. Pure: :func:`build_timeline` takes the Job, its pods, its events
and ``now`` and never mutates them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from minik.k8s import Obj, meta, parse_time
from minik.resources import COMPLETION_INDEX_KEY

WAITING = "waiting"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"


@dataclass(frozen=True)
class ContainerRun:
    """One run of one container (a restart is another run)."""

    name: str
    init: bool
    start: float
    end: float | None  # None: still running
    exit_code: int | None = None
    reason: str = ""
    attempt: int = 0  # 0 for the first run, restartCount for the current one

    @property
    def failed(self) -> bool:
        return self.end is not None and (self.exit_code or 0) != 0


@dataclass(frozen=True)
class PodBar:
    """One pod: created → (waiting) → first container start → finished."""

    name: str
    index: int | None
    created: float
    started: float | None  # the first container's start; None while waiting
    end: float | None  # None while the pod is not finished
    outcome: str  # WAITING | RUNNING | SUCCEEDED | FAILED
    exit_code: int | None = None
    reason: str = ""
    runs: tuple[ContainerRun, ...] = ()
    attempt: int = 0  # 0 for an index's first pod, 1 for its first retry, …

    @property
    def waited(self) -> float | None:
        """Seconds between creation and the first container start (None: not started)."""
        return None if self.started is None else max(0.0, self.started - self.created)

    @property
    def run_time(self) -> float | None:
        """Seconds the pod ran (first container start → finish), once finished."""
        if self.started is None or self.end is None:
            return None
        return max(0.0, self.end - self.started)

    @property
    def failure(self) -> str:
        """``exit 1 (Error)``, ``DeadlineExceeded``, … for a failed pod; ``""`` otherwise."""
        if self.outcome != FAILED:
            return ""
        words = []
        if self.exit_code is not None:
            words.append(f"exit {self.exit_code}")
        if self.reason:
            words.append(f"({self.reason})" if words else self.reason)
        return " ".join(words) or "failed"


@dataclass(frozen=True)
class Gap:
    """A back-off gap: a failed run ended, the retry had not been created (or restarted) yet."""

    start: float
    end: float


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
class Row:
    label: str
    index: int | None
    pods: tuple[PodBar, ...]
    gaps: tuple[Gap, ...]

    @property
    def span(self) -> tuple[float, float] | None:
        """From the row's first pod's creation to its last pod's end (None: no pods)."""
        if not self.pods:
            return None
        ends = [p.end for p in self.pods if p.end is not None]
        return self.pods[0].created, max(ends) if ends else self.pods[0].created


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


def _seconds(t0: datetime, s: str | None) -> float | None:
    t = parse_time(s)
    return None if t is None else (t - t0).total_seconds()


def pod_index(pod: Obj) -> int | None:
    m = meta(pod)
    raw = (m.get("annotations") or {}).get(COMPLETION_INDEX_KEY) or (m.get("labels") or {}).get(
        COMPLETION_INDEX_KEY
    )
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _runs(pod: Obj, t0: datetime, now: float) -> list[ContainerRun]:
    status = pod.get("status") or {}
    out: list[ContainerRun] = []
    for init, key in ((True, "initContainerStatuses"), (False, "containerStatuses")):
        for cs in status.get(key) or []:
            name = str(cs.get("name") or "")
            restarts = int(cs.get("restartCount") or 0)
            last = (cs.get("lastState") or {}).get("terminated")
            if last:
                out.extend(_terminated(name, init, last, t0, attempt=max(0, restarts - 1)))
            state = cs.get("state") or {}
            if "running" in state:
                start = _seconds(t0, (state["running"] or {}).get("startedAt"))
                if start is not None:
                    out.append(ContainerRun(name, init, start, None, attempt=restarts))
            elif "terminated" in state:
                out.extend(_terminated(name, init, state["terminated"] or {}, t0, attempt=restarts))
    return sorted(out, key=lambda r: (r.start, not r.init))


def _terminated(name: str, init: bool, term: Obj, t0: datetime, *, attempt: int) -> list[ContainerRun]:
    start = _seconds(t0, term.get("startedAt"))
    end = _seconds(t0, term.get("finishedAt"))
    if start is None or end is None or start < -1e6:  # 1970: never started (kubelet's placeholder)
        return []
    code = term.get("exitCode")
    return [
        ContainerRun(
            name,
            init,
            start,
            max(start, end),
            exit_code=int(code) if code is not None else None,
            reason=str(term.get("reason") or ""),
            attempt=attempt,
        )
    ]


def _unrun_exit(pod: Obj) -> tuple[int | None, str]:
    """The exit code and reason the kubelet wrote for a container that never ran."""
    status = pod.get("status") or {}
    for cs in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
        term = (cs.get("state") or {}).get("terminated")
        if term:
            code = term.get("exitCode")
            return (int(code) if code is not None else None), str(term.get("reason") or "")
    return None, ""


def _terminal_time(pod: Obj, t0: datetime) -> float | None:
    """When a pod without container finish times ended: its latest condition change."""
    times = [
        _seconds(t0, c.get("lastTransitionTime")) for c in (pod.get("status") or {}).get("conditions") or []
    ]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def pod_bar(pod: Obj, t0: datetime, now: float, *, attempt: int = 0) -> PodBar:
    """One pod's bar, its times in seconds from ``t0``."""
    m = meta(pod)
    status = pod.get("status") or {}
    created = _seconds(t0, m.get("creationTimestamp")) or 0.0
    runs = _runs(pod, t0, now)
    started = min((r.start for r in runs), default=None)
    phase = status.get("phase") or "Pending"
    if phase in ("Succeeded", "Failed"):
        ends = [r.end for r in runs if r.end is not None]
        end = max(ends) if ends else _terminal_time(pod, t0)
        end = max(created, end if end is not None else created)
        outcome = SUCCEEDED if phase == "Succeeded" else FAILED
    else:
        end = None
        outcome = RUNNING if any(r.end is None for r in runs) or started is not None else WAITING
    exit_code: int | None = None
    reason = str(status.get("reason") or "")
    if outcome == FAILED:
        failed = [r for r in runs if r.failed]
        last = failed[-1] if failed else (runs[-1] if runs else None)
        if last is not None:
            exit_code = last.exit_code
            reason = reason or last.reason
        else:
            exit_code, why = _unrun_exit(pod)
            reason = reason or why
    return PodBar(
        name=str(m.get("name") or ""),
        index=pod_index(pod),
        created=created,
        started=started,
        end=end,
        outcome=outcome,
        exit_code=exit_code,
        reason=reason,
        runs=tuple(runs),
        attempt=attempt,
    )


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


def marks_of(events: Iterable[Obj], t0: datetime) -> list[Mark]:
    """The Job's Suspended/Resumed events and its Warnings, at their last occurrence, in time order."""
    out: list[Mark] = []
    for ev in events:
        reason = str(ev.get("reason") or "")
        warning = ev.get("type") == "Warning"
        if not warning and reason not in MARKED_REASONS:
            continue
        when = _seconds(t0, ev.get("lastTimestamp") or ev.get("eventTime") or ev.get("firstTimestamp"))
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
        for p in ordered:
            bar = pod_bar(p, t0, now_s)
            rows.append(Row(bar.name, None, (bar,), tuple(_gaps([bar]))))
    bars_all = [b for r in rows for b in r.pods]
    ends = [b.end for b in bars_all if b.end is not None]
    end_s = _seconds(t0, finished_at) if finished_at else None
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
