"""Ports of upstream Job e2e/conformance tests through the official Python client.

Adoption and release of pods, /status writes keeping metadata, ``spec.managedBy``,
and TTL-after-finished deleting in the foreground. Timing is the real one
(nothing here depends on ``MINIK_TIME_SCALE``).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support import Minik, eventually

kubernetes = pytest.importorskip("kubernetes", reason="the official client is in the test extras")
from kubernetes import client, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

NS = "default"


@pytest.fixture(scope="module", autouse=True)
def _upstream_timing(real_time: None, minik: Minik) -> None:
    """Upstream's timing (requested before the instance, so its server starts with it)."""
    assert minik.env["MINIK_TIME_SCALE"] == "1"


def a_job(
    name: str, command: str, *, parallelism: int = 1, completions: int = 1, **spec: Any
) -> client.V1Job:
    container = client.V1Container(name="c", image="busybox:latest", command=["sh", "-c", command])
    pod = client.V1PodSpec(restart_policy="Never", containers=[container], termination_grace_period_seconds=1)
    template = client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels={"test": name}), spec=pod)
    body = client.V1JobSpec(template=template, parallelism=parallelism, completions=completions, **spec)
    return client.V1Job(
        api_version="batch/v1", kind="Job", metadata=client.V1ObjectMeta(name=name), spec=body
    )


def orphan(core: client.CoreV1Api, name: str) -> bool:
    """Drop the pod's ownerReferences; False on a write conflict (the kubelet updated it meanwhile),
    to be read and tried again, as upstream's e2e UpdatePodWithRetries does."""
    pod = core.read_namespaced_pod(name, NS)
    pod.metadata.owner_references = []
    try:
        core.replace_namespaced_pod(name, NS, pod)
    except ApiException as exc:
        if exc.status != 409:
            raise
        return False
    return True


def controller_uid(pod: client.V1Pod) -> str | None:
    for ref in pod.metadata.owner_references or []:
        if ref.controller:
            return str(ref.uid)
    return None


def test_should_adopt_matching_orphans_and_release_non_matching_pods(api: client.ApiClient) -> None:
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    job = batch.create_namespaced_job(NS, a_job("adopt-release", "sleep 300", parallelism=2, completions=2))
    uid = job.metadata.uid
    released: str | None = None
    try:
        pods = eventually(
            "2 pods",
            lambda: (
                (p := core.list_namespaced_pod(NS, label_selector="test=adopt-release").items)
                and len(p) == 2
                and p
            ),
        )
        name = pods[0].metadata.name

        # Orphaning one of the Job's Pods: the Job adopts it again.
        eventually("the pod orphaned", lambda: orphan(core, name))
        adopted = eventually(
            "re-adoption", lambda: controller_uid(p := core.read_namespaced_pod(name, NS)) == uid and p
        )
        assert "batch.kubernetes.io/job-tracking" in (adopted.metadata.finalizers or [])

        # Removing the labels from the Job's Pod: the Job releases it.
        core.patch_namespaced_pod(name, NS, [{"op": "remove", "path": "/metadata/labels"}])
        freed = eventually(
            "release", lambda: controller_uid(p := core.read_namespaced_pod(name, NS)) is None and p
        )
        released = name
        assert "batch.kubernetes.io/job-tracking" not in (freed.metadata.finalizers or [])
        eventually(
            "a replacement",
            lambda: len(core.list_namespaced_pod(NS, label_selector="test=adopt-release").items) == 2,
        )
    finally:
        batch.delete_namespaced_job("adopt-release", NS, propagation_policy="Foreground")
        if released:
            core.delete_namespaced_pod(released, NS, grace_period_seconds=0)
        eventually(
            "the Job gone",
            lambda: not batch.list_namespaced_job(NS, field_selector="metadata.name=adopt-release").items,
        )


def test_should_apply_changes_to_a_job_status(api: client.ApiClient) -> None:
    batch = client.BatchV1Api(api)
    batch.create_namespaced_job(NS, a_job("status-job", "sleep 300", suspend=True))
    try:
        start = "2026-01-01T00:00:00Z"
        patched = batch.patch_namespaced_job_status(
            "status-job",
            NS,
            {"metadata": {"annotations": {"patchedstatus": "true"}}, "status": {"startTime": start}},
        )
        assert patched.metadata.annotations == {"patchedstatus": "true"}
        assert patched.status.start_time.strftime("%Y-%m-%dT%H:%M:%SZ") == start

        current = batch.read_namespaced_job("status-job", NS)
        current.status.start_time = "2026-01-02T00:00:00Z"
        updated = batch.replace_namespaced_job_status("status-job", NS, current)
        assert updated.status.start_time.strftime("%Y-%m-%d") == "2026-01-02"
        assert updated.metadata.annotations == {"patchedstatus": "true"}
        assert batch.read_namespaced_job_status("status-job", NS).metadata.annotations == {
            "patchedstatus": "true"
        }
    finally:
        batch.delete_namespaced_job("status-job", NS, propagation_policy="Background")


def test_a_job_managed_by_another_controller_is_left_alone(api: client.ApiClient) -> None:
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    batch.create_namespaced_job(NS, a_job("managed", "true", managed_by="example.com/other"))
    try:
        time.sleep(3)
        assert core.list_namespaced_pod(NS, label_selector="test=managed").items == []
        job = batch.read_namespaced_job("managed", NS)
        assert job.spec.managed_by == "example.com/other"
        assert not job.status or not (job.status.start_time or job.status.active or job.status.conditions)
        with pytest.raises(ApiException) as err:
            batch.patch_namespaced_job("managed", NS, {"spec": {"managedBy": "kubernetes.io/job-controller"}})
        assert err.value.status == 422 and "spec.managedBy: Invalid value" in err.value.body
        assert "field is immutable" in err.value.body
    finally:
        batch.delete_namespaced_job("managed", NS, propagation_policy="Background")
    with pytest.raises(ApiException) as err:
        batch.create_namespaced_job(NS, a_job("bad-managed", "true", managed_by="not-a-path"))
    assert (
        err.value.status == 422
        and 'must be a domain-prefixed path (such as \\"acme.io/foo\\")' in err.value.body
    )


def test_ttl_after_finished_deletes_the_job_in_the_foreground(api: client.ApiClient) -> None:
    batch = client.BatchV1Api(api)
    batch.create_namespaced_job(NS, a_job("ttl-fg", "true", ttl_seconds_after_finished=0))
    seen: list[tuple[str, list[str], bool]] = []
    w = watch.Watch()
    for ev in w.stream(
        batch.list_namespaced_job, NS, field_selector="metadata.name=ttl-fg", timeout_seconds=60
    ):
        m = ev["object"].metadata
        seen.append((ev["type"], list(m.finalizers or []), m.deletion_timestamp is not None))
        if ev["type"] == "DELETED":
            w.stop()
    assert seen[-1][0] == "DELETED", seen
    assert any(fins == ["foregroundDeletion"] and deleting for _, fins, deleting in seen), seen
