"""Building a pod's status from what the kubelet knows (R9.5, R9.6, R9.8), without Docker."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from minik.kubelet.status import PodView, docker_time, pod_status, terminated

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=30)
ORDER = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]

ONE = {"containers": [{"name": "c", "image": "busybox"}]}
WITH_INIT = {
    "initContainers": [{"name": "i", "image": "busybox"}],
    "containers": [{"name": "c", "image": "busybox"}],
}
WITH_SIDECAR = {
    "initContainers": [{"name": "s", "image": "busybox", "restartPolicy": "Always"}],
    "containers": [{"name": "c", "image": "busybox"}],
}


def running(name: str, *, ready: bool = True) -> dict[str, Any]:
    return {"name": name, "ready": ready, "started": True, "state": {"running": {"startedAt": "x"}}}


def exited(name: str, code: int) -> dict[str, Any]:
    return {"name": name, "ready": False, "started": False, "state": {"terminated": {"exitCode": code}}}


def not_ready(reason: str, *, initialized: tuple[str, str] = ("True", "")) -> dict[str, tuple[str, str]]:
    """The conditions of a scheduled pod with its sandbox that is not ready, for ``reason``."""
    return {
        "PodReadyToStartContainers": ("True", ""),
        "Initialized": initialized,
        "Ready": ("False", reason),
        "ContainersReady": ("False", reason),
        "PodScheduled": ("True", ""),
    }


def conditions(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c.get("reason", "")) for c in status["conditions"]}


ALL_TRUE = {k: ("True", "") for k in ORDER}
NOT_INITIALIZED = ("False", "ContainersNotInitialized")

CONDITION_CASES = [
    pytest.param(ONE, {}, "Pending", not_ready("ContainersNotReady"),
                 id="a pod whose container is being created is not ready"),
    pytest.param(ONE, {"c": running("c")}, "Running", ALL_TRUE,
                 id="a running pod with its container ready has every condition true"),
    pytest.param(WITH_INIT, {"i": running("i", ready=False)}, "Pending",
                 not_ready("ContainersNotReady", initialized=NOT_INITIALIZED),
                 id="a pod still running its init container is not initialized"),
    pytest.param(WITH_INIT, {"i": exited("i", 1)}, "Failed", not_ready("PodFailed", initialized=NOT_INITIALIZED),
                 id="a failed init container leaves the pod not initialized and not ready: PodFailed"),
    pytest.param(WITH_SIDECAR, {"s": running("s"), "c": running("c")}, "Running", ALL_TRUE,
                 id="a started sidecar counts as initialized"),
    pytest.param(ONE, {"c": exited("c", 0)}, "Succeeded", not_ready("PodCompleted", initialized=("True", "PodCompleted")),
                 id="a succeeded pod is initialized and not ready: PodCompleted"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "statuses", "phase", "want"), CONDITION_CASES)
def test_conditions(
    spec: dict[str, Any], statuses: dict[str, Any], phase: str, want: dict[str, tuple[str, str]]
) -> None:
    status = pod_status(PodView(spec, statuses, {}, True), phase, now=NOW)
    assert [c["type"] for c in status["conditions"]] == ORDER
    assert conditions(status) == want


@pytest.mark.parametrize(
    ("spec", "init_reason", "app_reason"),
    [
        pytest.param(
            ONE, None, "ContainerCreating", id="without init containers apps wait ContainerCreating"
        ),
        pytest.param(
            WITH_INIT,
            "PodInitializing",
            "PodInitializing",
            id="with init containers all wait PodInitializing",
        ),
    ],
)
def test_containers_without_a_status_yet_wait(
    spec: dict[str, Any], init_reason: str | None, app_reason: str
) -> None:
    status = pod_status(PodView(spec, {}, {}, False), "Pending", now=NOW)
    assert status["containerStatuses"][0]["state"] == {"waiting": {"reason": app_reason}}
    assert status["containerStatuses"][0]["restartCount"] == 0
    if init_reason is None:
        assert "initContainerStatuses" not in status
    else:
        assert status["initContainerStatuses"][0]["state"] == {"waiting": {"reason": init_reason}}
    assert conditions(status)["PodReadyToStartContainers"] == ("False", "")


def test_a_condition_keeps_its_transition_time_until_its_value_changes() -> None:
    first = pod_status(PodView(ONE, {}, {}, True), "Pending", now=NOW)
    same = pod_status(PodView(ONE, {}, first, True), "Pending", now=LATER)
    assert same["conditions"] == first["conditions"]
    ready = pod_status(PodView(ONE, {"c": running("c")}, same, True), "Running", now=LATER)
    times = {c["type"]: c["lastTransitionTime"] for c in ready["conditions"]}
    assert times["Ready"] == times["ContainersReady"] == "2026-11-22T10:00:30Z"
    assert times["PodScheduled"] == times["Initialized"] == "2026-11-22T10:00:00Z"
    assert ready["startTime"] == "2026-11-22T10:00:00Z"  # kept from the first report


def test_pod_ip_reason_and_message_appear_only_when_known() -> None:
    bare = pod_status(PodView(ONE, {}, {}, True), "Pending", now=NOW)
    assert not {"podIP", "podIPs", "reason", "message"} & bare.keys()
    full = pod_status(PodView(ONE, {}, {}, True, ip="10.0.0.5"), "Failed", now=NOW, reason="R", message="M")
    assert (full["podIP"], full["podIPs"], full["reason"], full["message"]) == (
        "10.0.0.5",
        [{"ip": "10.0.0.5"}],
        "R",
        "M",
    )


def test_an_evicted_pod_has_a_disruption_target_condition_first() -> None:
    msg = 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". '
    status = pod_status(
        PodView(ONE, {}, {}, True, evicted=msg), "Failed", now=NOW, reason="Evicted", message=msg
    )
    first = status["conditions"][0]
    assert (first["type"], first["status"], first["reason"], first["message"]) == (
        "DisruptionTarget",
        "True",
        "TerminationByKubelet",
        msg,
    )
    assert [c["type"] for c in status["conditions"][1:]] == ORDER


def test_building_a_status_changes_none_of_its_inputs() -> None:
    spec, statuses = copy.deepcopy(WITH_INIT), {"i": exited("i", 0), "c": running("c")}
    previous = pod_status(PodView(spec, {}, {}, True), "Pending", now=NOW)
    before = copy.deepcopy((spec, statuses, previous))
    pod_status(PodView(spec, statuses, previous, True, ip="10.0.0.1"), "Running", now=LATER)
    assert (spec, statuses, previous) == before


@pytest.mark.parametrize(
    ("code", "oom", "reason"),
    [
        pytest.param(0, False, "Completed", id="exit 0 is Completed"),
        pytest.param(3, False, "Error", id="a non-zero exit is Error"),
        pytest.param(137, True, "OOMKilled", id="the OOM killer's victim is OOMKilled"),
    ],
)
def test_terminated_reason(code: int, oom: bool, reason: str) -> None:
    state = terminated(
        code,
        oom=oom,
        started_at="2026-11-22T10:00:00.123456789Z",
        finished_at="2026-11-22T10:00:05Z",
        cid="abc",
    )
    assert state == {
        "exitCode": code,
        "reason": reason,
        "startedAt": "2026-11-22T10:00:00Z",
        "finishedAt": "2026-11-22T10:00:05Z",
        "containerID": "docker://abc",
    }


def test_dockers_zero_time_is_no_time() -> None:
    assert docker_time("0001-01-01T00:00:00Z") == ""


def test_ephemeral_containers_report_apart_never_ready_and_leave_the_pod_ready() -> None:
    """``ephemeralContainerStatuses``: a waiting default until created, sorted by name, ``ready``
    false and no ``started`` (the prober manager does not see them); Ready counts only the others."""
    spec = {**ONE, "ephemeralContainers": [{"name": "z", "image": "busybox"}, {"name": "a", "image": "b"}]}
    view = PodView(spec, {"c": running("c"), "z": running("z")}, {}, True)
    status = pod_status(view, "Running", now=NOW)
    eph = status["ephemeralContainerStatuses"]
    assert [s["name"] for s in eph] == ["a", "z"]
    assert eph[0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert "running" in eph[1]["state"] and eph[1]["ready"] is False and "started" not in eph[1]
    assert [s["name"] for s in status["containerStatuses"]] == ["c"]
    assert conditions(status)["Ready"] == ("True", "")
    assert "ephemeralContainerStatuses" not in pod_status(PodView(ONE, {}, {}, True), "Pending", now=NOW)
