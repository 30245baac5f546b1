"""The Job executor carries out claims, TTL deletion and syncs of Jobs being deleted (store only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from minik.errors import NotFound
from minik.registry import Registry
from minik.resources import JOB_TRACKING_FINALIZER as JOB_TRACKING
from minik.server.jobs import JobExecutor

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LABELS = {"app": "x"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Registry]:
    s = Registry.open(tmp_path / "minik.db")
    yield s
    s.close()


def _job(store: Registry, *, status: dict | None = None, **spec: object) -> dict:
    template = {
        "metadata": {"labels": LABELS},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "c"}]},
    }
    body = {
        "metadata": {"name": "j", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": LABELS},
            "template": template,
            "parallelism": 1,
            "completions": 1,
            **spec,
        },
    }
    job = store.create("jobs", body)
    if status is not None:
        job["status"] = status
        job = store.update("jobs", job, status_only=True)
    return job


def _pod(
    store: Registry, name: str, *, labels: dict | None = None, owner: dict | None = None, fin: bool = False
) -> dict:
    m: dict = {"name": name, "namespace": "default", "labels": LABELS if labels is None else labels}
    if owner is not None:
        om = owner["metadata"]
        m["ownerReferences"] = [{"kind": "Job", "name": om["name"], "uid": om["uid"], "controller": True}]
    if fin:
        m["finalizers"] = [JOB_TRACKING]
    return store.create(
        "pods", {"metadata": m, "spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Running"}}
    )


def _executor(store: Registry, now: datetime = NOW) -> JobExecutor:
    return JobExecutor(store, clock=lambda: now)


def test_a_matching_orphan_is_adopted_with_reference_and_finalizer(store: Registry) -> None:
    job = _job(store)
    _pod(store, "o")
    _executor(store).sync("default", "j")
    pod = store.get("pods", "default", "o")
    (ref,) = pod["metadata"]["ownerReferences"]
    assert (ref["uid"], ref["controller"], ref["blockOwnerDeletion"]) == (job["metadata"]["uid"], True, True)
    assert pod["metadata"]["finalizers"] == [JOB_TRACKING]
    assert len(store.list("pods", "default")[0]) == 1, "the adopted pod counts: no new pod"


def test_an_owned_pod_whose_labels_stopped_matching_is_released(store: Registry) -> None:
    job = _job(store)
    _pod(store, "a", labels={"other": "1"}, owner=job, fin=True)
    _executor(store).sync("default", "j")
    pod = store.get("pods", "default", "a")
    assert "ownerReferences" not in pod["metadata"] and "finalizers" not in pod["metadata"]


def test_ttl_after_finished_deletes_the_job_in_the_foreground(store: Registry) -> None:
    done = {
        "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": "2026-01-01T11:00:00Z"}]
    }
    job = _job(store, status=done, ttlSecondsAfterFinished=60)
    _pod(store, "a", owner=job)
    out = _executor(store).sync("default", "j")
    assert out.collect_garbage
    stored = store.get("jobs", "default", "j")
    assert stored["metadata"]["deletionTimestamp"]
    assert "foregroundDeletion" in stored["metadata"]["finalizers"]


def test_a_job_being_deleted_is_still_synced_and_its_finalizers_removed(store: Registry) -> None:
    job = _job(store, status={"startTime": "2026-01-01T11:59:00Z"})
    _pod(store, "a", owner=job, fin=True)
    store.delete("jobs", "default", "j", propagation="Foreground")
    out = _executor(store, NOW + timedelta(seconds=1)).sync("default", "j")
    assert out.collect_garbage
    assert "finalizers" not in store.get("pods", "default", "a")["metadata"]
    assert [p["metadata"]["name"] for p in store.list("pods", "default")[0]] == ["a"], "nothing created"


def test_a_gone_job_is_forgotten(store: Registry) -> None:
    with pytest.raises(NotFound):
        store.get("jobs", "default", "j")
    assert _executor(store).sync("default", "j").forget


def test_a_job_managed_by_another_controller_gets_no_pods_and_no_status(store: Registry) -> None:
    _job(store, managedBy="example.com/other")
    _pod(store, "o")
    _executor(store).sync("default", "j")
    assert "ownerReferences" not in store.get("pods", "default", "o")["metadata"]
    assert not store.get("jobs", "default", "j").get("status")


def test_the_back_off_record_outlives_a_user_deleted_pods_object(store: Registry) -> None:
    job = _job(store, status={"startTime": "2026-01-01T11:59:00Z"})
    _pod(store, "a", owner=job, fin=True)
    store.delete("pods", "default", "a", grace_seconds=30)
    executor = JobExecutor(store, clock=lambda: datetime.now(UTC))
    executor.sync("default", "j")  # counts the deleted pod as failed and drops its finalizer
    store.delete("pods", "default", "a", grace_seconds=0)
    assert [p["metadata"]["name"] for p in store.list("pods", "default")[0]] == []
    out = executor.sync("default", "j")
    assert store.list("pods", "default")[0] == [], "the replacement waits out the back-off"
    assert out.requeue_after is not None and 0 < out.requeue_after <= 10


def test_a_job_whose_service_account_is_missing_records_failed_create_and_creates_nothing(
    store: Registry,
) -> None:
    job = _job(store)
    job["spec"]["template"]["spec"]["serviceAccountName"] = "builder"
    store.update("jobs", job)
    with pytest.raises(NotFound):
        JobExecutor(store, clock=lambda: NOW).sync("default", "j")
    assert store.list("pods", "default")[0] == []
    events = [e for e in store.list("events", "default")[0] if e.get("reason") == "FailedCreate"]
    assert len(events) == 1 and events[0]["type"] == "Warning"
    assert events[0]["message"].startswith('Error creating: pods "j-')
    assert events[0]["message"].endswith(
        'is forbidden: error looking up service account default/builder: serviceaccount "builder" not found'
    )
    store.create("serviceaccounts", {"metadata": {"name": "builder", "namespace": "default"}})
    JobExecutor(store, clock=lambda: NOW).sync("default", "j")
    [pod] = store.list("pods", "default")[0]
    assert pod["spec"]["serviceAccountName"] == "builder"
