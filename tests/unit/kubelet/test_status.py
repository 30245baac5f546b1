"""Pod status rules (R9.4–R9.8): container states, conditions, crash-loop back-off."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from minik.k8s import Obj
from minik.kubelet.plan import is_sidecar
from minik.kubelet.status import (
    CrashLoopBackoff,
    PodView,
    docker_time,
    go_duration,
    init_done,
    pod_status,
    start_error,
    terminated,
    vanished,
    waiting,
)

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=5)
STAMP_T0, STAMP_NOW = "2026-11-22T10:00:00Z", "2026-11-22T10:05:00Z"
DOCKER_ZERO = "0001-01-01T00:00:00Z"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# -- specs and container statuses ------------------------------------------------
MAIN = {"name": "main", "image": "busybox"}
SIDE = {"name": "side", "image": "busybox"}
INIT = {"name": "init", "image": "alpine"}
PROXY = {"name": "proxy", "image": "envoy", "restartPolicy": "Always"}

APP_ONLY = {"containers": [MAIN]}
TWO_APPS = {"containers": [MAIN, SIDE]}
WITH_INIT = {"initContainers": [INIT], "containers": [MAIN]}
WITH_SIDECAR = {"initContainers": [PROXY], "containers": [MAIN]}


def running(name: str, *, ready: bool = True, restarts: int = 0) -> Obj:
    return {
        "name": name,
        "ready": ready,
        "started": True,
        "restartCount": restarts,
        "state": {"running": {"startedAt": STAMP_T0}},
    }


def exited(name: str, code: int) -> Obj:
    return {
        "name": name,
        "ready": False,
        "started": False,
        "restartCount": 0,
        "state": {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error"}},
    }


def crashlooping(name: str) -> Obj:
    return {
        "name": name,
        "ready": False,
        "started": False,
        "restartCount": 1,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}},
    }


def view(
    spec: Obj,
    *statuses: Obj,
    previous: Obj | None = None,
    sandbox: bool = True,
    ip: str = "",
    evicted: str = "",
) -> PodView:
    return PodView(spec, {s["name"]: s for s in statuses}, previous or {}, sandbox, ip, evicted)


def conditions(status: Obj) -> dict[str, tuple[str, str | None]]:
    return {c["type"]: (c["status"], c.get("reason")) for c in status["conditions"]}


# -- small helpers -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("container", "init", "want"),
    [
        (PROXY, True, True),
        (PROXY, False, False),
        ({"name": "i", "restartPolicy": "OnFailure"}, True, False),
        (INIT, True, False),
    ],
    ids=[
        "init container with restartPolicy Always is a sidecar",
        "restartPolicy Always on an app container is not a sidecar",
        "other restart policies make no sidecar",
        "init container without a restart policy is a plain init",
    ],
)
def test_native_sidecars_are_init_containers_that_always_restart(
    container: Obj, init: bool, want: bool
) -> None:
    assert is_sidecar(container, init) is want


@pytest.mark.parametrize(
    ("status", "sidecar", "want"),
    [
        (exited("init", 0), False, True),
        (exited("init", 1), False, False),
        (running("init"), False, False),
        (waiting(INIT, "PodInitializing"), False, False),
        (running("proxy"), True, True),
        (waiting(PROXY, "PodInitializing"), True, False),
        (crashlooping("proxy"), True, True),
        (exited("proxy", 1), True, True),
    ],
    ids=[
        "init container that exited 0 is done",
        "init container that exited non-zero is not done",
        "running init container is not done yet",
        "init container not created yet is not done",
        "sidecar is done once started",
        "sidecar not started yet is not done",
        "sidecar crash-looping after its first start stays done",
        "sidecar that exited after starting stays done",
    ],
)
def test_init_containers_let_the_pod_initialize(status: Obj, sidecar: bool, want: bool) -> None:
    assert init_done(status, sidecar=sidecar) is want


def test_a_container_not_created_yet_waits_with_an_empty_status() -> None:
    assert waiting(MAIN, "ContainerCreating") == {
        "name": "main",
        "image": "busybox",
        "imageID": "",
        "ready": False,
        "started": False,
        "restartCount": 0,
        "state": {"waiting": {"reason": "ContainerCreating"}},
    }


@pytest.mark.parametrize(
    ("docker", "want"),
    [
        ("2026-11-22T10:00:00.123456789Z", STAMP_T0),
        ("2026-11-22T11:00:00+01:00", STAMP_T0),
        pytest.param(
            "2026-11-22T11:00:00.5+01:00",
            STAMP_T0,
        ),
        (DOCKER_ZERO, ""),
        ("", ""),
    ],
    ids=[
        "nanoseconds are dropped to whole seconds",
        "an offset is converted to UTC",
        "an offset after a fraction is converted to UTC",
        "Docker's zero time means never",
        "an empty time stays empty",
    ],
)
def test_docker_times_become_api_times(docker: str, want: str) -> None:
    assert docker_time(docker) == want


# -- container states (R9.6) -----------------------------------------------------
@pytest.mark.parametrize(
    ("code", "oom", "reason"),
    [(0, False, "Completed"), (1, False, "Error"), (137, False, "Error"), (137, True, "OOMKilled")],
    ids=[
        "exit 0 is Completed",
        "non-zero exit is Error",
        "SIGKILL without the OOM flag is an Error",
        "the OOM flag makes it OOMKilled",
    ],
)
def test_terminated_reason_follows_the_exit(code: int, oom: bool, reason: str) -> None:
    assert terminated(code, oom=oom, started_at=STAMP_T0, finished_at=STAMP_T0, cid="c1")["reason"] == reason


@pytest.mark.parametrize(
    ("finished_at", "want"),
    [("2026-11-22T10:05:00.999999999Z", STAMP_NOW), (DOCKER_ZERO, "")],
    ids=["exit time is kept in API form", "a container that never finished has no finish time"],
)
def test_terminated_state_carries_docker_times_and_id(finished_at: str, want: str) -> None:
    state = terminated(
        2, oom=False, started_at="2026-11-22T10:00:00.000000001Z", finished_at=finished_at, cid="abc"
    )
    assert state == {
        "exitCode": 2,
        "reason": "Error",
        "startedAt": STAMP_T0,
        "finishedAt": want,
        "containerID": "docker://abc",
    }


def test_a_container_docker_no_longer_knows_is_status_unknown() -> None:
    assert vanished("abc", started_at=STAMP_T0, now=NOW) == {
        "exitCode": 137,
        "reason": "ContainerStatusUnknown",
        "message": "The container could not be located when the pod was terminated",
        "startedAt": STAMP_T0,
        "finishedAt": STAMP_NOW,
        "containerID": "docker://abc",
    }


def test_a_container_that_could_not_start_is_a_start_error() -> None:
    assert start_error("abc", "exec: not found", now=NOW) == {
        "exitCode": 128,
        "reason": "StartError",
        "message": "exec: not found",
        "startedAt": "1970-01-01T00:00:00Z",
        "finishedAt": STAMP_NOW,
        "containerID": "docker://abc",
    }


# -- the pod's container statuses ------------------------------------------------
@pytest.mark.parametrize(
    ("pod", "inits", "apps"),
    [
        (view(APP_ONLY), None, ["ContainerCreating"]),
        (view(WITH_INIT), ["PodInitializing"], ["PodInitializing"]),
        (view(WITH_INIT, running("init")), [None], ["PodInitializing"]),
        (view(WITH_SIDECAR, running("proxy")), [None], ["PodInitializing"]),
        (view(TWO_APPS, running("main")), None, [None, "ContainerCreating"]),
    ],
    ids=[
        "app container without init containers waits ContainerCreating",
        "init and app containers of a pod with init containers wait PodInitializing",
        "app container waits PodInitializing while the init container runs",
        "app container waits PodInitializing next to a started sidecar",
        "a reported status is used, the other container still waits",
    ],
)
def test_containers_without_a_status_wait(
    pod: PodView, inits: list[str | None] | None, apps: list[str]
) -> None:
    status = pod_status(pod, "Pending", now=NOW)

    def reasons(statuses: list[Obj]) -> list[str | None]:
        return [s["state"].get("waiting", {}).get("reason") for s in statuses]

    if inits is None:
        assert "initContainerStatuses" not in status
    else:
        assert reasons(status["initContainerStatuses"]) == inits
    assert reasons(status["containerStatuses"]) == apps
    assert [s["name"] for s in status["containerStatuses"]] == [c["name"] for c in pod.spec["containers"]]


# -- conditions (R9.8) -------------------------------------------------------------
TRUE = ("True", None)
NOT_READY = ("False", "ContainersNotReady")
COMPLETED = ("False", "PodCompleted")
NOT_INIT = ("False", "ContainersNotInitialized")


@pytest.mark.parametrize(
    ("pod", "phase", "sandbox", "initialized", "ready"),
    [
        pytest.param(view(APP_ONLY, sandbox=False), "Pending", ("False", None), TRUE, NOT_READY),
        pytest.param(view(APP_ONLY, running("main")), "Running", TRUE, TRUE, TRUE),
        pytest.param(view(APP_ONLY, running("main", ready=False)), "Running", TRUE, TRUE, NOT_READY),
        pytest.param(view(TWO_APPS, running("main"), exited("side", 0)), "Running", TRUE, TRUE, NOT_READY),
        pytest.param(view(WITH_INIT, running("init")), "Pending", TRUE, NOT_INIT, NOT_READY),
        pytest.param(view(WITH_INIT, crashlooping("init")), "Pending", TRUE, NOT_INIT, NOT_READY),
        pytest.param(view(WITH_INIT, exited("init", 0)), "Pending", TRUE, TRUE, NOT_READY),
        pytest.param(view(WITH_SIDECAR), "Pending", TRUE, NOT_INIT, NOT_READY),
        pytest.param(view(WITH_SIDECAR, running("proxy"), running("main")), "Running", TRUE, TRUE, TRUE),
        pytest.param(
            view(WITH_SIDECAR, crashlooping("proxy"), running("main")),
            "Running",
            TRUE,
            TRUE,
            NOT_READY,
        ),
        pytest.param(
            view(WITH_INIT, exited("init", 0), exited("main", 0), sandbox=False),
            "Succeeded",
            ("False", None),
            ("True", "PodCompleted"),
            COMPLETED,
        ),
    ],
    ids=[
        "pending pod without a sandbox is not ready to start containers",
        "running pod with its container ready is Ready",
        "running container that is not ready keeps the pod not Ready",
        "one finished container of two keeps the pod not Ready",
        "running init container keeps the pod not Initialized",
        "crash-looping init container keeps the pod not Initialized",
        "init container that exited 0 initializes the pod",
        "sidecar not started yet keeps the pod not Initialized",
        "started sidecar and ready app make the pod Ready",
        "crash-looping sidecar keeps the pod not Ready",
        "succeeded pod is Initialized and not Ready because it completed",
    ],
)
def test_pod_conditions(
    pod: PodView,
    phase: str,
    sandbox: tuple[str, str | None],
    initialized: tuple[str, str | None],
    ready: tuple[str, str | None],
) -> None:
    assert conditions(pod_status(pod, phase, now=NOW)) == {
        "PodReadyToStartContainers": sandbox,
        "Initialized": initialized,
        "Ready": ready,
        "ContainersReady": ready,
        "PodScheduled": TRUE,
    }


@pytest.mark.parametrize(
    ("phase", "code", "reason"),
    [
        ("Succeeded", 0, "PodCompleted"),
        pytest.param(
            "Failed",
            1,
            "PodFailed",
        ),
    ],
    ids=["succeeded pod is not Ready: PodCompleted", "failed pod is not Ready: PodFailed"],
)
def test_terminal_pod_is_not_ready(phase: str, code: int, reason: str) -> None:
    got = conditions(pod_status(view(APP_ONLY, exited("main", code)), phase, now=NOW))
    assert (got["Ready"], got["ContainersReady"]) == (("False", reason), ("False", reason))


def test_not_ready_conditions_name_the_containers() -> None:
    status = pod_status(view(WITH_INIT, running("init")), "Pending", now=NOW)
    messages = {c["type"]: c.get("message") for c in status["conditions"]}
    assert messages["Initialized"] == "containers with incomplete status: [init]"
    assert messages["Ready"] == "containers with unready status: [main]"


@pytest.mark.parametrize(
    ("evicted", "types"),
    [
        ("", ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]),
        (
            "The node was low on resource: ephemeral-storage.",
            [
                "DisruptionTarget",
                "PodReadyToStartContainers",
                "Initialized",
                "Ready",
                "ContainersReady",
                "PodScheduled",
            ],
        ),
    ],
    ids=["conditions come in describe order", "an eviction puts DisruptionTarget first"],
)
def test_condition_order(evicted: str, types: list[str]) -> None:
    status = pod_status(view(APP_ONLY, evicted=evicted), "Failed", now=NOW)
    assert [c["type"] for c in status["conditions"]] == types
    assert all(c["lastProbeTime"] is None for c in status["conditions"])


def test_an_evicted_pod_carries_the_kubelets_disruption_target() -> None:
    status = pod_status(view(APP_ONLY, evicted="low on disk"), "Failed", now=NOW)
    assert status["conditions"][0] == {
        "type": "DisruptionTarget",
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": STAMP_NOW,
        "reason": "TerminationByKubelet",
        "message": "low on disk",
    }


@pytest.mark.parametrize(
    ("previous", "want"),
    [
        ({}, STAMP_NOW),
        ({"conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": STAMP_T0}]}, STAMP_T0),
        ({"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": STAMP_T0}]}, STAMP_NOW),
        (
            {"conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": STAMP_T0}]},
            STAMP_NOW,
        ),
    ],
    ids=[
        "first report stamps the condition with now",
        "unchanged condition keeps its transition time",
        "changed condition moves its transition time to now",
        "condition missing from the last report is stamped now",
    ],
)
def test_ready_transition_time(previous: Obj, want: str) -> None:
    status = pod_status(view(APP_ONLY, previous=previous), "Pending", now=NOW)
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["lastTransitionTime"]) == ("False", want)


# -- pod-level fields ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("previous", "want"),
    [({}, STAMP_NOW), ({"startTime": STAMP_T0}, STAMP_T0)],
    ids=["first report starts the pod now", "start time is kept from the last report"],
)
def test_start_time(previous: Obj, want: str) -> None:
    status = pod_status(view(APP_ONLY, previous=previous), "Pending", now=NOW)
    assert status["startTime"] == want
    assert (status["hostIP"], status["hostIPs"], status["qosClass"]) == (
        "127.0.0.1",
        [{"ip": "127.0.0.1"}],
        "BestEffort",
    )


@pytest.mark.parametrize(
    ("ip", "want"),
    [("", {}), ("10.0.0.7", {"podIP": "10.0.0.7", "podIPs": [{"ip": "10.0.0.7"}]})],
    ids=["no IP before the sandbox has one", "the sandbox IP is the pod IP"],
)
def test_pod_ip(ip: str, want: Obj) -> None:
    status = pod_status(view(APP_ONLY, ip=ip), "Running", now=NOW)
    assert {k: v for k, v in status.items() if k in ("podIP", "podIPs")} == want


@pytest.mark.parametrize(
    ("reason", "message", "want"),
    [
        ("", "", {}),
        (
            "DeadlineExceeded",
            "Pod was active on the node longer than the specified deadline",
            {
                "reason": "DeadlineExceeded",
                "message": "Pod was active on the node longer than the specified deadline",
            },
        ),
    ],
    ids=["a Job pod has no reason or message", "an active deadline gives reason and message"],
)
def test_pod_reason_and_message(reason: str, message: str, want: Obj) -> None:
    status = pod_status(view(APP_ONLY), "Failed", now=NOW, reason=reason, message=message)
    assert {k: v for k, v in status.items() if k in ("reason", "message")} == want


def test_pod_status_leaves_its_inputs_alone() -> None:
    pod = view(
        WITH_SIDECAR,
        running("proxy"),
        running("main", ready=False),
        previous={
            "startTime": STAMP_T0,
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": STAMP_T0}],
        },
        ip="10.0.0.7",
        evicted="low on disk",
    )
    before = copy.deepcopy(pod)
    pod_status(pod, "Running", now=NOW, reason="Evicted", message="low on disk")
    assert pod == before


# -- crash-loop back-off (R9.4) ----------------------------------------------------
def backoff_after(restarts: list[tuple[float, float]], *, scale: float = 1.0) -> CrashLoopBackoff:
    """A back-off whose container restarted at each (exit, restart) pair of seconds after T0."""
    b = CrashLoopBackoff(scale=scale)
    for finished, now in restarts:
        b.advance(at(finished), at(now))
    return b


@pytest.mark.parametrize(
    ("restarts", "finished", "now", "want"),
    [
        ([], 0, 0, 0.0),
        ([(0, 0)], 5, 5, 10.0),
        ([(0, 0)], 5, 8, 7.0),
        ([(0, 0)], 5, 15, 0.0),
        ([(0, 0)], 5, 100, 0.0),
        ([(0, 0), (5, 15)], 16, 16, 20.0),
        ([(0, 0)], 601, 601, 0.0),
        ([(0, 0)], 600, 600, 10.0),
        ([(0, 0), (5, 15), (16, 36), (37, 77)], 678, 678, 0.0),
        ([(0, 0), (5, 15), (16, 36), (37, 77)], 676, 676, 80.0),
    ],
    ids=[
        "first restart is immediate",
        "second restart waits 10s from the last exit",
        "the wait counts from the exit, not from now",
        "restart is due once 10s have passed since the exit",
        "a late check never gives a negative wait",
        "third restart waits 20s",
        "a container that ran over 10 min since its restart restarts at once",
        "exactly 10 min since the restart is not yet stable",
        "a run over 10 min after several restarts starts over",
        "stability counts from the last restart, not the first",
    ],
)
def test_remaining_wait(
    restarts: list[tuple[float, float]], finished: float, now: float, want: float
) -> None:
    assert backoff_after(restarts).remaining(at(finished), at(now)) == pytest.approx(want)


def crash_loop(runs: list[float], *, scale: float = 1.0) -> list[float]:
    """Restart a container as soon as allowed after each run; the waits between its exits and restarts."""
    b, start, waits = CrashLoopBackoff(scale=scale), T0, []
    for run in runs:
        finished = start + timedelta(seconds=run)
        wait = b.remaining(finished, finished)
        start = finished + timedelta(seconds=wait)
        b.advance(finished, start)
        waits.append(wait)
    return waits


@pytest.mark.parametrize(
    ("runs", "scale", "waits"),
    [
        ([1] * 9, 1.0, [0, 10, 20, 40, 80, 160, 300, 300, 300]),
        ([1, 1, 1, 650, 1, 1], 1.0, [0, 10, 20, 0, 10, 20]),
        ([1, 1, 200, 1], 1.0, [0, 10, 20, 40]),
        ([700, 700, 700], 1.0, [0, 0, 0]),
        ([0.01] * 4, 0.01, [0, 0.1, 0.2, 0.4]),
        ([0.01, 0.01, 6.5, 0.01], 0.01, [0, 0.1, 0, 0.1]),
    ],
    ids=[
        "crashing container waits 10s, then doubling to the 5 min cap",
        "a run over 10 min starts the back-off over at 10s",
        "a run of a few minutes keeps doubling",
        "a container that always runs over 10 min always restarts at once",
        "scale shrinks every wait alike",
        "scale shrinks the 10 min stability window too",
    ],
)
def test_crash_loop_waits(runs: list[float], scale: float, waits: list[float]) -> None:
    assert crash_loop(runs, scale=scale) == pytest.approx(waits)


@pytest.mark.parametrize(
    ("restarts", "shown"),
    [(0, "10s"), (1, "10s"), (2, "20s"), (4, "1m20s"), (6, "5m0s"), (9, "5m0s")],
    ids=[
        "before any restart the message shows the initial 10s",
        "after the first restart it shows 10s",
        "after the second restart it shows 20s",
        "after the fourth restart it shows 1m20s",
        "the cap shows as 5m0s",
        "the cap stays 5m0s",
    ],
)
def test_back_off_message(restarts: int, shown: str) -> None:
    b = backoff_after([(i, i) for i in range(restarts)])
    assert b.message("main", "job-abc", "default", "uid-1") == (
        f"back-off {shown} restarting failed container=main pod=job-abc_default(uid-1)"
    )


@pytest.mark.parametrize(
    ("seconds", "want"),
    [
        (0, "0s"),
        (10, "10s"),
        (59, "59s"),
        (60, "1m0s"),
        (80, "1m20s"),
        (300, "5m0s"),
        (3600, "1h0m0s"),
        (3661, "1h1m1s"),
        (10.9, "10s"),
    ],
    ids=[
        "zero",
        "seconds",
        "just under a minute",
        "a minute",
        "minutes and seconds",
        "five minutes",
        "an hour",
        "hours, minutes and seconds",
        "fractions are dropped",
    ],
)
def test_go_duration(seconds: float, want: str) -> None:
    assert go_duration(seconds) == want
