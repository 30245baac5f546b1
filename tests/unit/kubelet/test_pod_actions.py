"""compute_pod_actions: the kubelet's decisions for a pod, from what it observes now (issue 28).

Each case is a scenario: a pod spec, each container's runs as the runtime
recorded them, what the worker holds in memory, and the clock; the expected
kills, starts, back-offs and phase. A pod found after a server restart is
just another observation, so the restart scenarios are rows like any other.
Rules from kubernetes/kubernetes pkg/kubelet (computePodActions, getPhase,
ShouldContainerBeRestarted, the active deadline, KEP-753 sidecars).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from minik.kubelet.pod.actions import EXITED, RUNNING, STARTING, PodInputs, Run, compute_pod_actions

Obj = dict[str, Any]
NOW = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)


def ts(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def c(name: str, **extra: Any) -> Obj:
    return {"name": name, "image": "busybox", **extra}


def running(attempt: int = 0, *, started: bool = True, image: str = "busybox") -> Run:
    return Run(attempt, RUNNING, cid=f"id{attempt}", started_at=ts(5), image=image, started=started)


def exited(
    code: int, attempt: int = 0, *, ago: float = 1, ran: float = 1, image: str = "busybox", **kw: Any
) -> Run:
    return Run(
        attempt,
        EXITED,
        cid=f"id{attempt}",
        exit_code=code,
        started_at=ts(ago + ran),
        finished_at=ts(ago),
        image=image,
        **kw,
    )


@dataclass
class Case:
    spec: Obj
    runs: dict[str, list[Run]] = field(default_factory=dict)
    starts: list[tuple[str, int]] = field(default_factory=list)  # (container, attempt)
    kills: list[tuple[str, int]] = field(default_factory=list)  # (container, grace)
    backoffs: list[str] = field(default_factory=list)
    phase: str = "Pending"
    done: bool = False
    reason: str = ""
    deletion_grace: int | None = None
    kill_grace: int | None = None
    evicted: str = ""
    holds: dict[str, float] = field(default_factory=dict)
    started_ago: float | None = None
    message_has: str = ""


ONE = {"restartPolicy": "Never", "containers": [c("app")]}
ONFAIL = {"restartPolicy": "OnFailure", "containers": [c("app")]}
ALWAYS = {"restartPolicy": "Always", "containers": [c("app")]}
INIT = {"restartPolicy": "Never", "initContainers": [c("i1"), c("i2")], "containers": [c("app")]}
INIT_ONFAIL = {**INIT, "restartPolicy": "OnFailure"}
SIDECAR = {
    "restartPolicy": "Never",
    "initContainers": [c("side", restartPolicy="Always"), c("i2")],
    "containers": [c("app")],
}
TWO = {"restartPolicy": "Never", "containers": [c("a"), c("b")]}
DEADLINE_5S = {**ONE, "activeDeadlineSeconds": 5}
APP_RUNS = {"app": [running()]}  # the one container "app" is running
APP_KILLED = {"app": [exited(137)]}  # "app" exited 137: it was killed
DEBUG = {**ONE, "ephemeralContainers": [c("dbg")]}

CASES = {
    "a new pod starts its one container": Case(ONE, starts=[("app", 0)]),
    "a running container is left alone; the pod is Running": Case(ONE, APP_RUNS, phase="Running"),
    "a start under way counts as running and the pod is still Pending": Case(
        ONE, {"app": [Run(0, STARTING)]}
    ),
    "Never: exit 0 succeeds the pod": Case(ONE, {"app": [exited(0)]}, phase="Succeeded", done=True),
    "Never: exit 1 fails the pod": Case(ONE, {"app": [exited(1)]}, phase="Failed", done=True),
    "OnFailure: exit 0 succeeds the pod": Case(ONFAIL, {"app": [exited(0)]}, phase="Succeeded", done=True),
    "OnFailure: the first failure restarts at once in the same pod": Case(
        ONFAIL, {"app": [exited(1)]}, starts=[("app", 1)], phase="Running"
    ),
    "OnFailure after a server restart: the run found exited restarts with the next attempt": Case(
        ONFAIL, {"app": [exited(1, 0, ago=30)]}, starts=[("app", 1)], phase="Running"
    ),
    "OnFailure: the second failure within 10 s waits in CrashLoopBackOff": Case(
        ONFAIL, {"app": [exited(1, 0, ago=3), exited(1, 1, ago=1)]}, backoffs=["app"], phase="Running"
    ),
    "OnFailure: the back-off is over 10 s after the exit": Case(
        ONFAIL, {"app": [exited(1, 0, ago=30), exited(1, 1, ago=11)]}, starts=[("app", 2)], phase="Running"
    ),
    "Always: a clean exit restarts too": Case(
        ALWAYS, {"app": [exited(0)]}, starts=[("app", 1)], phase="Running"
    ),
    "a liveness kill restarts under OnFailure even with exit 0": Case(
        ONFAIL, {"app": [exited(0, probe_killed=True)]}, starts=[("app", 1)], phase="Running"
    ),
    "an image pull backing off holds the start": Case(ONE, holds={"app": 8.0}),
    "init containers run one at a time, in order": Case(INIT, starts=[("i1", 0)]),
    "the second init container starts when the first exited 0": Case(
        INIT, {"i1": [exited(0)]}, starts=[("i2", 0)]
    ),
    "the app starts when every init container is done": Case(
        INIT, {"i1": [exited(0)], "i2": [exited(0)]}, starts=[("app", 0)]
    ),
    "Never: a failed init container fails the pod and the app never starts": Case(
        INIT, {"i1": [exited(1)]}, phase="Failed", done=True
    ),
    "OnFailure: a failed init container is restarted, the app waits": Case(
        INIT_ONFAIL, {"i1": [exited(1)]}, starts=[("i1", 1)]
    ),
    "init containers never run again once the app has run (found after a restart)": Case(
        INIT, APP_RUNS, phase="Running"
    ),
    "a sidecar starts first and the next init container waits for its startup": Case(
        SIDECAR, {"side": [running(started=False)]}
    ),
    "the next init container starts once the sidecar has started": Case(
        SIDECAR, {"side": [running()]}, starts=[("i2", 0)]
    ),
    "a sidecar that exited while the app runs is restarted": Case(
        SIDECAR,
        {"side": [exited(1, ago=30)], "i2": [exited(0)], "app": [running()]},
        starts=[("side", 1)],
        phase="Running",
    ),
    "sidecars are stopped once the app containers are done": Case(
        SIDECAR,
        {"side": [running()], "i2": [exited(0)], "app": [exited(0)]},
        kills=[("side", 30)],
        phase="Running",
    ),
    "the pod ends when the stopped sidecar has exited; its exit code does not count": Case(
        SIDECAR, {"side": [exited(143)], "i2": [exited(0)], "app": [exited(0)]}, phase="Succeeded", done=True
    ),
    "Never: two apps, one failed, one running: the pod runs on": Case(
        TWO, {"a": [exited(1)], "b": [running()]}, phase="Running"
    ),
    "Never: two apps, one failed, both ended: Failed": Case(
        TWO, {"a": [exited(1)], "b": [exited(0)]}, phase="Failed", done=True
    ),
    "an app container found missing after a restart is started (no partial app set fails the pod)": Case(
        TWO, {"a": [running()]}, starts=[("b", 0)], phase="Running"
    ),
    "deletion kills what runs with the deletion's grace": Case(
        ONE, APP_RUNS, kills=[("app", 5)], phase="Running", deletion_grace=5
    ),
    "a force delete's grace overrides the deletion's": Case(
        ONE, APP_RUNS, kills=[("app", 0)], phase="Running", deletion_grace=20, kill_grace=0
    ),
    "deleted after its container exited 0: the pod succeeded": Case(
        ONE, {"app": [exited(0)]}, phase="Succeeded", done=True, deletion_grace=30
    ),
    "deleted before anything ran: Failed, nothing is made": Case(
        ONE, phase="Failed", done=True, deletion_grace=30
    ),
    "past activeDeadlineSeconds: killed with the pod's grace": Case(
        DEADLINE_5S, APP_RUNS, kills=[("app", 30)], phase="Running", started_ago=6
    ),
    "past activeDeadlineSeconds and stopped: Failed, DeadlineExceeded": Case(
        DEADLINE_5S, APP_KILLED, phase="Failed", done=True, reason="DeadlineExceeded", started_ago=6
    ),
    "a deadline set on a running pod is honoured at once": Case(
        {**ONFAIL, "activeDeadlineSeconds": 1},
        APP_RUNS,
        kills=[("app", 30)],
        phase="Running",
        started_ago=100,
    ),
    "evicted: killed at once, then Failed with the eviction's reason": Case(
        ONE,
        APP_KILLED,
        phase="Failed",
        done=True,
        reason="Evicted",
        evicted="Usage of EmptyDir…",
        kill_grace=0,
    ),
    "a new image for a running container: killed, to be restarted": Case(
        ONE,
        {"app": [running(image="busybox:old")]},
        kills=[("app", 30)],
        phase="Running",
        message_has="definition changed, will be restarted",
    ),
    "a new image: the killed container starts again whatever the policy": Case(
        ONE, {"app": [exited(137, image="busybox:old")]}, starts=[("app", 1)], phase="Running"
    ),
    # -- ephemeral containers (computePodActions' EphemeralContainersToStart) ----------------
    "an ephemeral container added to a running pod starts once": Case(
        DEBUG, APP_RUNS, starts=[("dbg", 0)], phase="Running"
    ),
    "an ephemeral container that exited is never restarted, whatever the policy": Case(
        {**DEBUG, "restartPolicy": "Always"}, {"app": [running()], "dbg": [exited(1)]}, phase="Running"
    ),
    "an ephemeral container that could not start is not started again": Case(
        DEBUG, {"app": [running()], "dbg": [exited(128)]}, phase="Running"
    ),
    "an ephemeral container whose image pull backs off waits for it": Case(
        DEBUG, APP_RUNS, holds={"dbg": 5.0}, phase="Running"
    ),
    "without a sandbox an ephemeral container waits for a running container's network": Case(
        {**DEBUG, "restartPolicy": "OnFailure"},
        {"app": [exited(1, 0, ago=3), exited(1, 1, ago=1)]},
        backoffs=["app"],
        phase="Running",
    ),
    "with a sandbox an ephemeral container may start before initialization ends": Case(
        {**INIT, "ephemeralContainers": [c("dbg")]}, {"i1": [running()]}, starts=[("dbg", 0)]
    ),
    "a targeted ephemeral container waits until its target runs": Case(
        {**SIDECAR, "ephemeralContainers": [c("dbg", targetContainerName="app")]},
        {"side": [running()], "i2": [running()]},
    ),
    "a targeted ephemeral container starts once its target runs": Case(
        {**SIDECAR, "ephemeralContainers": [c("dbg", targetContainerName="app")]},
        {"side": [running()], "i2": [exited(0)], "app": [running()]},
        starts=[("dbg", 0)],
        phase="Running",
    ),
    "a running ephemeral container does not decide the phase": Case(
        DEBUG, {"app": [running()], "dbg": [running()]}, phase="Running"
    ),
    "the pod's containers ended: a running ephemeral container is stopped, the pod not yet done": Case(
        DEBUG, {"app": [exited(0)], "dbg": [running()]}, kills=[("dbg", 30)], phase="Running"
    ),
    "the pod's containers ended and its ephemeral container too: the phase is the app's": Case(
        DEBUG, {"app": [exited(0)], "dbg": [exited(137)]}, phase="Succeeded", done=True
    ),
    "a finished pod never starts an ephemeral container added late": Case(
        DEBUG, {"app": [exited(1)]}, phase="Failed", done=True
    ),
    "a deleted pod stops its ephemeral container with the others": Case(
        DEBUG,
        {"app": [running()], "dbg": [running()]},
        kills=[("app", 5), ("dbg", 5)],
        phase="Running",
        deletion_grace=5,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_compute_pod_actions(case: Case) -> None:
    got = compute_pod_actions(
        PodInputs(
            spec=case.spec,
            runs=case.runs,
            now=NOW,
            start_time=None if case.started_ago is None else NOW - timedelta(seconds=case.started_ago),
            deletion_grace=case.deletion_grace,
            kill_grace=case.kill_grace,
            evicted=case.evicted,
            holds=case.holds,
        )
    )
    assert [(s.container["name"], s.attempt) for s in got.starts] == case.starts
    assert [(k.name, k.grace) for k in got.kills] == case.kills
    assert [b.name for b in got.backoffs] == case.backoffs
    assert (got.phase, got.done, got.reason) == (case.phase, case.done, case.reason)
    if case.message_has:
        assert any(case.message_has in k.message for k in got.kills)


def test_a_back_off_replayed_from_the_runs_doubles_as_the_worker_would_have_doubled_it() -> None:
    runs = [
        exited(1, 0, ago=60),
        exited(1, 1, ago=45, ran=1),
        exited(1, 2, ago=20, ran=1),
        exited(1, 3, ago=1),
    ]
    got = compute_pod_actions(PodInputs(spec=ONFAIL, runs={"app": runs}, now=NOW))
    (b,) = got.backoffs
    assert b.backoff == 40.0 and b.seconds == pytest.approx(39.0, abs=0.01)
    assert got.wake_in == pytest.approx(39.0, abs=0.01)
