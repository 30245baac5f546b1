"""What a node shows of a pod (issue 16): status ordering, QoS class, Job pods' generateName."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from minik.controllers.job.pods import build_pod
from minik.k8s import qos_class
from minik.kubelet.status import PodView, pod_status

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def running(name: str, *, ready: bool = True) -> dict[str, Any]:
    return {"name": name, "ready": ready, "started": True, "state": {"running": {"startedAt": "x"}}}


def test_container_statuses_are_sorted_by_name_and_init_statuses_keep_spec_order() -> None:
    spec = {
        "initContainers": [{"name": "z-init"}, {"name": "a-init"}],
        "containers": [{"name": "worker"}, {"name": "agent"}, {"name": "main"}],
    }
    status = pod_status(PodView(spec, {}, {}, True), "Pending", now=NOW)
    assert [s["name"] for s in status["initContainerStatuses"]] == ["z-init", "a-init"]
    assert [s["name"] for s in status["containerStatuses"]] == ["agent", "main", "worker"]


def test_the_unready_message_lists_containers_in_spec_order() -> None:
    spec = {"containers": [{"name": "worker"}, {"name": "agent"}]}
    statuses = {"worker": running("worker", ready=False), "agent": running("agent", ready=False)}
    status = pod_status(PodView(spec, statuses, {}, True), "Running", now=NOW)
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["message"] == "containers with unready status: [worker agent]"


def res(requests: dict[str, str] | None = None, limits: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if requests:
        out["requests"] = requests
    if limits:
        out["limits"] = limits
    return {"name": "c", "resources": out}


@pytest.mark.parametrize(
    ("scenario", "containers", "init", "want"),
    [
        ("no requests or limits anywhere is BestEffort", [{"name": "c"}], [], "BestEffort"),
        ("only ephemeral-storage does not count", [res({"ephemeral-storage": "1Gi"})], [], "BestEffort"),
        (
            "cpu and memory limits equal to requests is Guaranteed",
            [res({"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"})],
            [],
            "Guaranteed",
        ),
        (
            "limits alone default the requests: Guaranteed",
            [res(None, {"cpu": "500m", "memory": "64Mi"})],
            [],
            "Guaranteed",
        ),
        ("a memory limit without a cpu limit is Burstable", [res(None, {"memory": "64Mi"})], [], "Burstable"),
        (
            "requests below limits are Burstable",
            [res({"cpu": "100m"}, {"cpu": "1", "memory": "1Gi"})],
            [],
            "Burstable",
        ),
        (
            "one BestEffort container makes a Guaranteed pod Burstable",
            [res(None, {"cpu": "1", "memory": "1Gi"}), {"name": "d"}],
            [],
            "Burstable",
        ),
        (
            "an init container with requests makes the pod Burstable",
            [{"name": "c"}],
            [res({"cpu": "1"})],
            "Burstable",
        ),
    ],
)
def test_qos_class_as_the_kubelet_computes_it(
    scenario: str, containers: list[dict[str, Any]], init: list[dict[str, Any]], want: str
) -> None:
    pod = {"spec": {"containers": containers, "initContainers": init}}
    assert qos_class(pod) == want, scenario
    status = pod_status(PodView(pod["spec"], {}, {}, True), "Pending", now=NOW)
    assert status["qosClass"] == want


def test_job_pods_carry_the_generate_name_the_controller_creates_them_with() -> None:
    job = {
        "metadata": {"name": "work", "namespace": "default", "uid": "u1"},
        "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}},
    }
    indexed = build_pod(job, index=3, extra_annotations=None, new_name=lambda p: p + "abcde")
    assert indexed["metadata"]["generateName"] == "work-3-"
    assert indexed["metadata"]["name"] == "work-3-abcde"
    plain = build_pod(job, index=None, extra_annotations=None, new_name=lambda p: p + "abcde")
    assert plain["metadata"]["generateName"] == "work-"


def test_the_node_is_built_from_what_the_engine_reports() -> None:
    from minik.kubelet.node import node_object
    from minik.printing import cells

    info = {
        "NCPU": 2,
        "MemTotal": 25275990016,
        "OperatingSystem": "Debian GNU/Linux 12 (bookworm)",
        "KernelVersion": "6.1.0",
        "ServerVersion": "20.10.24",
        "Architecture": "x86_64",
        "OSType": "linux",
    }
    node = node_object(info, NOW)
    status = node["status"]
    assert node["metadata"]["name"] == "minik"
    assert status["capacity"] == {"cpu": "2", "memory": "24683584Ki", "pods": "110"}
    assert status["nodeInfo"]["containerRuntimeVersion"] == "docker://20.10.24"
    assert status["nodeInfo"]["architecture"] == "amd64"
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("True", "KubeletReady")
    node["metadata"]["creationTimestamp"] = "2026-12-01T09:00:00Z"
    assert cells("nodes", node, NOW) == [
        "minik",
        "Ready",
        "control-plane",
        "60m",
        "v1.33.0-minik",
        "127.0.0.1",
        "<none>",
        "Debian GNU/Linux 12 (bookworm)",
        "6.1.0",
        "docker://20.10.24",
    ]
    node["spec"]["unschedulable"] = True
    assert cells("nodes", node, NOW)[1] == "Ready,SchedulingDisabled"
