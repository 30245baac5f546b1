"""Pod-failure backoff: how long the controller waits before replacing failed pods.

Owns R4.6: the finish time of a pod, the 10 s × 2^(n−1) delay capped at
10 minutes (scaled by ``MINIK_TIME_SCALE``), the global "failures since the
last success" record and the per-index variant used with
``backoffLimitPerIndex``. As upstream's ``backoffStore``, the global record
is fed only by pods that finished while still carrying the tracking
finalizer, and it outlives the pod objects: the control plane keeps it in
memory and hands it to each sync (:func:`next_record` is the pure step).
Pods released by suspend or scale-down never feed it; a user-deleted pod
does, so its replacement waits out the delay even once its object is gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from minik.controllers.job import podutil
from minik.k8s import meta, parse_time

DEFAULT_BACKOFF_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 600.0


def finished_time(pod: Mapping[str, Any]) -> datetime:
    """When the pod finished: latest container ``finishedAt`` when every
    container terminated, else the Ready=False transition, else the deletion
    time minus grace period, else the creation time."""
    latest: datetime | None = None
    statuses = podutil.container_statuses(pod)
    for s in statuses:
        t = parse_time(((s.get("state") or {}).get("terminated") or {}).get("finishedAt"))
        if t is None:
            latest = None
            break
        latest = t if latest is None or t > latest else latest
    if latest is not None:
        return latest
    ready = podutil.ready_condition(pod)
    if ready is not None and ready.get("status") == "False":
        t = parse_time(ready.get("lastTransitionTime"))
        if t is not None:
            return t
    deleted = parse_time(meta(pod).get("deletionTimestamp"))
    if deleted is not None:
        return deleted - timedelta(seconds=int(meta(pod).get("deletionGracePeriodSeconds") or 0))
    return podutil.creation_time(pod)


def delay_seconds(failures: int, *, time_scale: float = 1.0) -> float:
    """10 s × 2^(failures−1), capped at 10 min, times ``time_scale``; 0 for no failures."""
    if failures <= 0:
        return 0.0
    delay = DEFAULT_BACKOFF_SECONDS
    for _ in range(1, failures):
        delay *= 2
        if delay >= MAX_BACKOFF_SECONDS:
            delay = MAX_BACKOFF_SECONDS
            break
    return delay * time_scale


def remaining_seconds(
    failures: int, last_failure: datetime | None, now: datetime, *, time_scale: float = 1.0
) -> float:
    """Seconds still to wait after ``failures`` failures, the last at ``last_failure``."""
    if failures <= 0 or last_failure is None:
        return 0.0
    left = delay_seconds(failures, time_scale=time_scale) - (now - last_failure).total_seconds()
    return max(left, 0.0)


@dataclass(frozen=True)
class BackoffRecord:
    """Failed pods seen since the most recent success, and when the last one finished."""

    failures_after_last_success: int
    last_failure_time: datetime | None

    def remaining(self, now: datetime, *, time_scale: float = 1.0) -> float:
        """Seconds until replacements may be created (0 = now)."""
        return remaining_seconds(
            self.failures_after_last_success, self.last_failure_time, now, time_scale=time_scale
        )


NO_FAILURES = BackoffRecord(0, None)


def next_record(
    previous: BackoffRecord | None,
    new_succeeded: Iterable[Mapping[str, Any]],
    new_failed: Iterable[Mapping[str, Any]],
) -> BackoffRecord:
    """Upstream ``newBackoffRecord``: the record after the pods that finished since the last sync."""
    old = previous or NO_FAILURES
    success_times = sorted(finished_time(p) for p in new_succeeded)
    failure_times = sorted(finished_time(p) for p in new_failed)
    if not success_times:
        if not failure_times:
            return old
        return BackoffRecord(old.failures_after_last_success + len(failure_times), failure_times[-1])
    after = [t for t in failure_times if t > success_times[-1]]
    return BackoffRecord(len(after), after[-1] if after else None)


def backoff_record(
    succeeded: Iterable[Mapping[str, Any]], failed: Iterable[Mapping[str, Any]]
) -> BackoffRecord:
    """Count failures that finished after the latest success (a record started from nothing)."""
    return next_record(None, succeeded, failed)


def remaining_for_index(
    last_failed: Mapping[str, Any] | None, now: datetime, *, time_scale: float = 1.0
) -> float:
    """Per-index delay (backoffLimitPerIndex): n = the failed pod's absolute failure count + 1."""
    if last_failed is None:
        return 0.0
    n = podutil.failure_count(last_failed) + podutil.ignored_failure_count(last_failed) + 1
    return remaining_seconds(n, finished_time(last_failed), now, time_scale=time_scale)
