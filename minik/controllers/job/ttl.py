"""A finished Job (Complete or Failed): nothing to do but ttlSecondsAfterFinished (R7.4).

Owns the TTL arithmetic and the release of tracking finalizers left on pods
of a finished Job (upstream's orphan-pod finalizer cleanup). Counts nothing.
"""

from __future__ import annotations

import copy
from datetime import datetime

from minik.controllers.job import conditions as jc
from minik.controllers.job import podutil
from minik.controllers.job.result import SyncResult
from minik.k8s import Obj


def sync_finished_job(job: Obj, pods: list[Obj], now: datetime) -> SyncResult:
    """A Complete/Failed Job only waits for its TTL (R7.4); leftover finalizers are released."""
    status = copy.deepcopy(job.get("status") or {})
    finalize = [podutil.name(p) for p in pods if podutil.has_tracking_finalizer(p)]
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    cond = jc.finished_condition(status)
    finished_at = jc.transition_time(cond) if cond else None
    if ttl is None or finished_at is None:
        return SyncResult(status=status, finalize=finalize)
    left = float(ttl) - (now - finished_at).total_seconds()
    if left <= 0:
        return SyncResult(status=status, finalize=finalize, delete_job=True)
    return SyncResult(status=status, finalize=finalize, requeue_after=left)
