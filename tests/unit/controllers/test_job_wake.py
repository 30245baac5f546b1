"""Which changes sync a Job at once and which wait for the batch (upstream's
``enqueueSyncJobImmediately`` / ``enqueueSyncJobBatched``, with minik's one
exception: a pod that ended or started terminating frees a slot now)."""

from __future__ import annotations

from typing import Any

import pytest

from minik.controllers.job.wake import job_change_is_urgent, pod_change_is_urgent


def pod(
    phase: str = "Pending", *, deleting: bool = False, ready: bool = False, finalizer: bool = True
) -> Any:
    m: dict[str, Any] = {"name": "p", "namespace": "default"}
    if deleting:
        m["deletionTimestamp"] = "2026-12-02T00:00:00Z"
    if finalizer:
        m["finalizers"] = ["batch.kubernetes.io/job-tracking"]
    conds = [{"type": "Ready", "status": "True" if ready else "False"}]
    return {"metadata": m, "status": {"phase": phase, "conditions": conds}}


def job(generation: int = 1, *, deleting: bool = False, active: int = 0) -> Any:
    m: dict[str, Any] = {"name": "j", "generation": generation}
    if deleting:
        m["deletionTimestamp"] = "2026-12-02T00:00:00Z"
    return {"metadata": m, "status": {"active": active}}


POD_CASES = [
    ("the job's own new pod waits for the batch", "ADDED", pod(), None, False),
    ("a pod created already finished syncs now", "ADDED", pod("Succeeded"), None, True),
    ("kubelet's Pending status waits", "MODIFIED", pod("Pending"), pod("Pending", finalizer=True), False),
    ("running and ready only moves counters", "MODIFIED", pod("Running", ready=True), pod("Pending"), False),
    ("a pod that succeeded frees a slot now", "MODIFIED", pod("Succeeded"), pod("Running"), True),
    ("a pod that failed is counted now", "MODIFIED", pod("Failed"), pod("Running"), True),
    (
        "its tracking finalizer removed waits",
        "MODIFIED",
        pod("Succeeded", finalizer=False),
        pod("Succeeded"),
        False,
    ),
    (
        "a pod starting to terminate syncs now",
        "MODIFIED",
        pod("Running", deleting=True),
        pod("Running"),
        True,
    ),
    (
        "a terminating pod's later status waits",
        "MODIFIED",
        pod("Running", deleting=True),
        pod("Running", deleting=True),
        False,
    ),
    ("a deleted pod syncs now", "DELETED", pod("Succeeded"), None, True),
    ("a replayed change without its old state syncs now", "MODIFIED", pod("Running"), None, True),
]


@pytest.mark.parametrize(
    ("kind", "new", "old", "urgent"), [c[1:] for c in POD_CASES], ids=[c[0] for c in POD_CASES]
)
def test_pod_changes(kind: str, new: Any, old: Any, urgent: bool) -> None:
    assert pod_change_is_urgent(kind, new, old) is urgent


JOB_CASES = [
    ("a new job syncs now", "ADDED", job(), None, True),
    ("a spec change (new generation) syncs now", "MODIFIED", job(2), job(1), True),
    ("a status-only update waits for the batch", "MODIFIED", job(1, active=3), job(1, active=2), False),
    ("the start of its deletion syncs now", "MODIFIED", job(1, deleting=True), job(1), True),
    ("a deleted job syncs now", "DELETED", job(), None, True),
    ("a replayed change syncs now", "MODIFIED", job(), None, True),
]


@pytest.mark.parametrize(
    ("kind", "new", "old", "urgent"), [c[1:] for c in JOB_CASES], ids=[c[0] for c in JOB_CASES]
)
def test_job_changes(kind: str, new: Any, old: Any, urgent: bool) -> None:
    assert job_change_is_urgent(kind, new, old) is urgent
