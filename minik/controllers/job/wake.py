"""Which changes sync a Job at once, and which wait for the batch.

Upstream's Job controller syncs at once only for a Job's creation, deletion
and spec change (``enqueueSyncJobImmediately``); every pod event and every
status-only Job update waits ``syncJobBatchPeriod`` (1 s), so the changes of
that second fold into one sync (``enqueueSyncJobBatched``). minik keeps that
split with one exception, for speed: a pod that ended or started terminating
syncs its Job at once, because the next pod of the Job waits on exactly that
sync (a second per hand-off otherwise). Everything else a pod reports on its
way (Pending, Running, Ready, a finalizer gone) only moves the Job's counters,
and waits for the batch.
"""

from __future__ import annotations

from minik.k8s import Obj, meta

SYNC_BATCH_PERIOD = 1.0
"""Seconds a batched change waits (upstream's ``syncJobBatchPeriod``)."""

_TERMINAL = ("Succeeded", "Failed")


def _phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def pod_change_is_urgent(kind: str, pod: Obj, old: Obj | None) -> bool:
    """A change of one of a Job's pods that must sync the Job now.

    Deleted, newly terminal or newly terminating: a slot frees up (or a
    replacement is due). ``old`` is ``None`` when unknown (a replayed
    change): then it is urgent, to be safe.
    """
    if kind == "DELETED":
        return True
    if kind == "ADDED":
        return _phase(pod) in _TERMINAL or bool(meta(pod).get("deletionTimestamp"))
    if old is None:
        return True
    if _phase(pod) in _TERMINAL and _phase(old) not in _TERMINAL:
        return True
    return bool(meta(pod).get("deletionTimestamp")) and not meta(old).get("deletionTimestamp")


def job_change_is_urgent(kind: str, job: Obj, old: Obj | None) -> bool:
    """A change of a Job that must sync it now: creation, deletion, a spec change (a new
    ``generation``) or the start of its deletion; a status-only update waits."""
    if kind != "MODIFIED" or old is None:
        return True
    m, om = meta(job), meta(old)
    if m.get("generation") != om.get("generation"):
        return True
    return bool(m.get("deletionTimestamp")) != bool(om.get("deletionTimestamp"))
