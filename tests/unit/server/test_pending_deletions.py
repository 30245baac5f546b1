"""What `minik server stop` waits for: the deletions already asked for, within their grace periods."""

from __future__ import annotations

import anyio

from minik.registry import Registry
from minik.server.controlplane import ControlPlane


def _job(store: Registry, name: str) -> dict:
    return store.create(
        "jobs",
        {"metadata": {"name": name}, "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}},
    )


def _pod(store: Registry, name: str, *, owner: dict | None = None, grace: int = 30) -> dict:
    m: dict = {"name": name}
    if owner is not None:
        om = owner["metadata"]
        m["ownerReferences"] = [{"kind": "Job", "name": om["name"], "uid": om["uid"], "controller": True}]
    spec = {"containers": [{"name": "c"}], "terminationGracePeriodSeconds": grace}
    return store.create("pods", {"metadata": m, "spec": spec, "status": {"phase": "Running"}})


def test_nothing_being_deleted_means_stop_at_once(plane: ControlPlane) -> None:
    job = _job(plane.registry, "j")
    _pod(plane.registry, "j-0", owner=job)
    _pod(plane.registry, "bare")
    assert plane.pending_deletions()[0] == 0


def test_a_pod_being_deleted_is_waited_for_within_its_grace_period(plane: ControlPlane) -> None:
    _pod(plane.registry, "p", grace=20)
    plane.registry.delete("pods", "default", "p")
    count, seconds = plane.pending_deletions()
    assert count == 1
    assert 25 <= seconds <= 30  # 20 s of grace left, plus 10 s for the engine


def test_the_pods_of_a_deleted_job_are_waited_for_before_the_collector_marks_them(
    plane: ControlPlane,
) -> None:
    job = _job(plane.registry, "j")
    for i in range(3):
        _pod(plane.registry, f"j-{i}", owner=job, grace=5)
    plane.registry.delete("jobs", "default", "j", propagation="Background")
    count, seconds = plane.pending_deletions()
    assert count >= 3
    assert seconds == 15.0


def test_a_pod_whose_containers_are_still_being_removed_counts(plane: ControlPlane) -> None:
    gone = _pod(plane.registry, "p")
    plane._gone_pods[("default", "p")] = gone
    assert plane.pending_deletions()[0] == 1


def test_an_orphan_loses_its_tracking_finalizer_so_it_is_not_terminating_forever(plane: ControlPlane) -> None:
    """Upstream ``syncOrphanPod``: a pod without a controller keeps no job-tracking finalizer."""
    store = plane.registry
    pod = _pod(store, "orphan")
    pod["metadata"]["finalizers"] = ["batch.kubernetes.io/job-tracking"]
    store.update("pods", pod)
    anyio.run(plane._collect_garbage, "all")
    assert "finalizers" not in store.get("pods", "default", "orphan")["metadata"]
