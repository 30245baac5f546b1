"""Jobs and pods as the API serves them, for the timeline's tests, benchmark and browser check.

:func:`pod` writes one pod from times in seconds after ``T0``;
:func:`simulated_run` plays a whole Indexed Job — ``parallelism`` slots,
indexes in order, chosen indexes failing a number of times with a back-off
before each retry — and returns the Job and its pods as they would be read
at the end.
"""

from __future__ import annotations

import heapq
from datetime import UTC, datetime, timedelta
from typing import Any

from minik.k8s import Obj, rfc3339
from minik.resources import COMPLETION_INDEX_KEY

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)


def at(s: float) -> str:
    return rfc3339(T0 + timedelta(seconds=s))


def terminated(start: float, end: float, code: int = 0, reason: str = "") -> Obj:
    return {
        "terminated": {
            "startedAt": at(start),
            "finishedAt": at(end),
            "exitCode": code,
            "reason": reason or ("Completed" if code == 0 else "Error"),
        }
    }


def running(start: float) -> Obj:
    return {"running": {"startedAt": at(start)}}


WAITING: Obj = {"waiting": {"reason": "ContainerCreating"}}


def cs(name: str, state: Obj, *, restarts: int = 0, last: Obj | None = None) -> Obj:
    out: Obj = {"name": name, "state": state, "restartCount": restarts, "ready": False, "image": "busybox"}
    if last is not None:
        out["lastState"] = last
    return out


def pod(
    name: str,
    *,
    created: float,
    phase: str = "Pending",
    index: int | None = None,
    containers: list[Obj] | None = None,
    inits: list[Obj] | None = None,
    reason: str = "",
    conditions: list[Obj] | None = None,
) -> Obj:
    annotations = {COMPLETION_INDEX_KEY: str(index)} if index is not None else {}
    status: Obj = {"phase": phase, "containerStatuses": containers or []}
    if inits is not None:
        status["initContainerStatuses"] = inits
    if reason:
        status["reason"] = reason
    if conditions:
        status["conditions"] = conditions
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "creationTimestamp": at(created),
            "annotations": annotations,
            "labels": {"job-name": "work"},
        },
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
        "status": status,
    }


def job(
    name: str = "work",
    *,
    completions: int | None = None,
    parallelism: int = 1,
    indexed: bool = True,
    start: float = 0,
    finished: float | None = None,
    failed: str = "",
) -> Obj:
    spec: Obj = {
        "parallelism": parallelism,
        "completionMode": "Indexed" if indexed else "NonIndexed",
        "selector": {"matchLabels": {"job-name": name}},
        "template": {"spec": {"containers": [{"name": "main", "image": "busybox"}]}},
    }
    if completions is not None:
        spec["completions"] = completions
    status: Obj = {"startTime": at(start)}
    if finished is not None:
        kind = "Failed" if failed else "Complete"
        status["conditions"] = [
            {"type": kind, "status": "True", "reason": failed, "lastTransitionTime": at(finished)}
        ]
        if not failed:
            status["completionTime"] = at(finished)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "default", "uid": "u-1", "creationTimestamp": at(start)},
        "spec": spec,
        "status": status,
    }


def simulated_run(
    completions: int,
    parallelism: int,
    *,
    failures: dict[int, int] | None = None,
    wait: float = 1,
    init: float = 1,
    run: float = 3,
    backoff: float = 10,
) -> tuple[Obj, list[Obj]]:
    """A finished Indexed Job: ``failures[i]`` runs of index ``i`` fail (exit 1) before one succeeds."""
    failures = failures or {}
    ready: list[tuple[float, int, int]] = [
        (0.0, i, 0) for i in range(completions)
    ]  # (eligible, index, attempt)
    heapq.heapify(ready)
    free: list[float] = [0.0] * parallelism  # when each slot is free
    heapq.heapify(free)
    pods: list[Obj] = []
    end = 0.0
    while ready:
        eligible, index, attempt = heapq.heappop(ready)
        slot = heapq.heappop(free)
        created = max(eligible, slot)
        started = created + wait
        main_start = started + init
        length = run + index * 7 % 5
        finish = main_start + length
        fails = attempt < failures.get(index, 0)
        code = 1 if fails else 0
        pods.append(
            pod(
                f"work-{index}-{attempt}",
                created=created,
                phase="Failed" if fails else "Succeeded",
                index=index,
                inits=[cs("setup", terminated(started, main_start))],
                containers=[cs("main", terminated(main_start, finish, code))],
            )
        )
        heapq.heappush(free, finish)
        end = max(end, finish)
        if fails:
            heapq.heappush(ready, (finish + backoff * 2**attempt, index, attempt + 1))
    return job(completions=completions, parallelism=parallelism, finished=end + 1), pods


def names(rows: Any) -> list[list[str]]:
    return [[p.name for p in r.pods] for r in rows]
