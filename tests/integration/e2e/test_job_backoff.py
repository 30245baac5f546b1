"""The pod-failure back-off record on the real clock (``MINIK_TIME_SCALE=1`` for this module).

Upstream keeps a back-off record per Job fed by pods that finished with the
tracking finalizer: a pod deleted by a user is replaced only ~10 s after its
deletion, while pods the Job itself released on suspend are replaced at once
on resume.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support import Minik, eventually

kubernetes = pytest.importorskip("kubernetes", reason="the official client is in the test extras")
from kubernetes import client  # noqa: E402

NS = "default"


@pytest.fixture(scope="module", autouse=True)
def _upstream_timing(real_time: None, minik: Minik) -> None:
    """Upstream's timing (requested before the instance, so its server starts with it)."""
    assert minik.env["MINIK_TIME_SCALE"] == "1"


def sleeper(name: str, parallelism: int) -> client.V1Job:
    container = client.V1Container(name="c", image="busybox:latest", command=["sleep", "300"])
    pod = client.V1PodSpec(restart_policy="Never", containers=[container], termination_grace_period_seconds=0)
    spec = client.V1JobSpec(
        template=client.V1PodTemplateSpec(spec=pod), parallelism=parallelism, completions=parallelism
    )
    return client.V1Job(metadata=client.V1ObjectMeta(name=name), spec=spec)


def pods_of(core: client.CoreV1Api, name: str) -> list[client.V1Pod]:
    return core.list_namespaced_pod(NS, label_selector=f"job-name={name}").items


def test_a_user_deleted_pod_is_replaced_after_the_back_off_from_its_deletion(api: client.ApiClient) -> None:
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    batch.create_namespaced_job(NS, sleeper("deleted-pod", 1))
    try:
        (first,) = eventually("a pod", lambda: pods_of(core, "deleted-pod"))
        deleted_at = datetime.now(UTC)
        core.delete_namespaced_pod(first.metadata.name, NS, grace_period_seconds=0)
        eventually(
            "the pod object gone",
            lambda: all(p.metadata.name != first.metadata.name for p in pods_of(core, "deleted-pod")),
        )
        (second,) = eventually("a replacement", lambda: pods_of(core, "deleted-pod"), timeout=30)
        waited = (second.metadata.creation_timestamp - deleted_at).total_seconds()
        assert 8 <= waited <= 15, f"the replacement came {waited:.1f}s after the deletion (upstream: ~10s)"
    finally:
        batch.delete_namespaced_job("deleted-pod", NS, propagation_policy="Foreground")


def test_pods_released_by_suspend_are_replaced_at_once_on_resume(api: client.ApiClient) -> None:
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    batch.create_namespaced_job(NS, sleeper("resumed", 2))
    try:
        eventually(
            "2 running pods",
            lambda: len([p for p in pods_of(core, "resumed") if p.status.phase == "Running"]) == 2,
        )
        batch.patch_namespaced_job("resumed", NS, {"spec": {"suspend": True}})
        eventually("the pods gone", lambda: not pods_of(core, "resumed"))
        resumed_at = datetime.now(UTC)
        batch.patch_namespaced_job("resumed", NS, {"spec": {"suspend": False}})
        pods = eventually("2 new pods", lambda: len(p := pods_of(core, "resumed")) == 2 and p, timeout=30)
        waited = max((p.metadata.creation_timestamp - resumed_at).total_seconds() for p in pods)
        assert waited < 5, f"new pods came {waited:.1f}s after the resume (upstream: at once)"
    finally:
        batch.delete_namespaced_job("resumed", NS, propagation_policy="Foreground")
