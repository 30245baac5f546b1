"""The timeline as Chrome trace-event JSON (opens in Perfetto and chrome://tracing).

One process (the Job), one thread track per row (index or pod), named and
sorted by the row; on it a complete (``"X"``) slice per pod, nested inside it
a ``waiting`` slice and a slice per container run, and a ``back-off`` slice
between a failed pod and its retry. A counter track shows the pods running;
the Job's marked events (suspended, resumed, warnings) are instant events.
Times are microseconds from the Job's start. Pure: a value in, a dict out.
"""

from __future__ import annotations

from typing import Any

from minik.k8s import rfc3339
from minik.printing.timeline.bars import FAILED, PodBar
from minik.printing.timeline.model import Timeline
from minik.printing.timeline.stats import running_steps

PID = 1


def _us(s: float) -> int:
    return round(s * 1_000_000)


def _slice(
    name: str, tid: int, start: float, end: float, *, cat: str, args: dict[str, Any]
) -> dict[str, Any]:
    return {
        "name": name,
        "cat": cat,
        "ph": "X",
        "pid": PID,
        "tid": tid,
        "ts": _us(start),
        "dur": max(0, _us(end) - _us(start)),
        "args": args,
    }


def _pod_events(pod: PodBar, tid: int, end: float) -> list[dict[str, Any]]:
    stop = pod.end if pod.end is not None else end
    args: dict[str, Any] = {"pod": pod.name, "outcome": pod.outcome}
    if pod.index is not None:
        args["index"] = pod.index
        args["retry"] = pod.attempt
    if pod.outcome == FAILED:
        args["exitCode"] = pod.exit_code
        args["reason"] = pod.reason
    label = pod.name + (f" ✗ {pod.failure}" if pod.outcome == FAILED else "")
    out = [_slice(label, tid, pod.created, stop, cat="pod", args=args)]
    wait_end = pod.started if pod.started is not None else stop
    if wait_end > pod.created:
        out.append(_slice("waiting", tid, pod.created, wait_end, cat="waiting", args={"pod": pod.name}))
    for run in pod.runs:
        run_args: dict[str, Any] = {"pod": pod.name, "container": run.name, "init": run.init}
        if run.attempt:
            run_args["restart"] = run.attempt
        if run.exit_code is not None:
            run_args["exitCode"] = run.exit_code
        if run.reason:
            run_args["reason"] = run.reason
        name = run.name + (" (init)" if run.init else "") + (f" ✗ exit {run.exit_code}" if run.failed else "")
        out.append(
            _slice(
                name, tid, run.start, run.end if run.end is not None else end, cat="container", args=run_args
            )
        )
    return out


def render_trace(tl: Timeline) -> dict[str, Any]:
    """The trace document (``json.dumps`` it)."""
    events: list[dict[str, Any]] = [
        {"name": "process_name", "ph": "M", "pid": PID, "tid": 0, "args": {"name": f"job/{tl.job}"}},
    ]
    for tid, row in enumerate(tl.rows, start=1):
        name = f"index {row.label}" if row.index is not None else row.label
        events.append({"name": "thread_name", "ph": "M", "pid": PID, "tid": tid, "args": {"name": name}})
        events.append(
            {"name": "thread_sort_index", "ph": "M", "pid": PID, "tid": tid, "args": {"sort_index": tid}}
        )
        for gap in row.gaps:
            events.append(_slice("back-off", tid, gap.start, gap.end, cat="backoff", args={}))
        for pod in row.pods:
            events.extend(_pod_events(pod, tid, tl.end))
    for m in tl.marks:
        events.append(
            {
                "name": m.reason,
                "cat": "event",
                "ph": "i",
                "s": "p",
                "pid": PID,
                "tid": 0,
                "ts": _us(m.time),
                "args": {"message": m.message, "type": "Warning" if m.warning else "Normal"},
            }
        )
    for t, level in running_steps([b for r in tl.rows for b in r.pods], tl.end):
        events.append(
            {"name": "pods running", "ph": "C", "pid": PID, "ts": _us(t), "args": {"running": level}}
        )
    return {
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "job": tl.job,
            "namespace": tl.namespace,
            "startTime": rfc3339(tl.t0),
            "condition": tl.condition,
            "parallelism": tl.stats.parallelism,
        },
    }
