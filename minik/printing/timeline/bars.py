"""What one pod and one row look like on the chart: bars read from a pod's own status.

Owns reading the facts a pod carries — ``creationTimestamp``, each
container's ``state``/``lastState`` (``running.startedAt``,
``terminated.startedAt/finishedAt/exitCode/reason``), the pod's phase and
reason, the completion-index annotation — into seconds from the Job's start.
Does not own which pods make a row, gaps or figures (``model``, ``stats``).
Pure.
"""

from __future__ import annotations

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


def seconds_since(t0: datetime, s: str | None) -> float | None:
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
                start = seconds_since(t0, (state["running"] or {}).get("startedAt"))
                if start is not None:
                    out.append(ContainerRun(name, init, start, None, attempt=restarts))
            elif "terminated" in state:
                out.extend(_terminated(name, init, state["terminated"] or {}, t0, attempt=restarts))
    return sorted(out, key=lambda r: (r.start, not r.init))


def _terminated(name: str, init: bool, term: Obj, t0: datetime, *, attempt: int) -> list[ContainerRun]:
    start = seconds_since(t0, term.get("startedAt"))
    end = seconds_since(t0, term.get("finishedAt"))
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
        seconds_since(t0, c.get("lastTransitionTime"))
        for c in (pod.get("status") or {}).get("conditions") or []
    ]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def pod_bar(pod: Obj, t0: datetime, now: float, *, attempt: int = 0) -> PodBar:
    """One pod's bar, its times in seconds from ``t0``."""
    m = meta(pod)
    status = pod.get("status") or {}
    created = seconds_since(t0, m.get("creationTimestamp")) or 0.0
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
