"""The pod plan (the kubelet's computePodActions decisions), as table tests named like specs."""

from __future__ import annotations

from typing import Any

import pytest

from minik.kubelet import plan

SIDECAR = {"name": "s", "restartPolicy": "Always"}
ONE_APP = {"containers": [{"name": "a"}]}
INIT_THEN_APP = {"initContainers": [{"name": "i"}], "containers": [{"name": "a"}]}
TWO_APPS = {"containers": [{"name": "a"}, {"name": "b"}]}
SIDECAR_AND_APP = {"initContainers": [SIDECAR], "containers": [{"name": "a"}]}


@pytest.mark.parametrize(
    ("scenario", "spec", "want"),
    [
        ("one app container needs no sandbox", ONE_APP, False),
        ("init containers run one at a time: no sandbox", INIT_THEN_APP, False),
        ("two app containers share localhost: a sandbox", TWO_APPS, True),
        ("a sidecar runs beside the app: a sandbox", SIDECAR_AND_APP, True),
    ],
)
def test_which_pods_need_a_sandbox(scenario: str, spec: dict[str, Any], want: bool) -> None:
    assert plan.needs_sandbox(spec) is want, scenario


@pytest.mark.parametrize(
    ("scenario", "spec", "want"),
    [
        ("one container: it owns the pod's network itself", ONE_APP, False),
        (
            "init containers then the app: a sandbox is cheaper than a network per container",
            INIT_THEN_APP,
            True,
        ),
        ("two app containers: a sandbox is needed", TWO_APPS, True),
        ("a sidecar: a sandbox is needed", SIDECAR_AND_APP, True),
        ("hostNetwork: the sandbox holds the host's network", {**ONE_APP, "hostNetwork": True}, True),
        (
            "a hostPort: the sandbox holds the published port across restarts",
            {"containers": [{"name": "a", "ports": [{"containerPort": 80, "hostPort": 8080}]}]},
            True,
        ),
        (
            "shareProcessNamespace: the sandbox holds the process namespace the containers share",
            {**ONE_APP, "shareProcessNamespace": True},
            True,
        ),
        (
            "a containerPort alone publishes nothing: no sandbox",
            {"containers": [{"name": "a", "ports": [{"containerPort": 80}]}]},
            False,
        ),
    ],
)
def test_which_pods_minik_gives_a_sandbox(scenario: str, spec: dict[str, Any], want: bool) -> None:
    assert plan.uses_sandbox(spec) is want, scenario


@pytest.mark.parametrize(
    ("scenario", "c", "policy", "code", "init", "restart", "ok"),
    [
        ("Never: a failure is final", {"name": "a"}, "Never", 1, False, False, False),
        ("Never: a success is final", {"name": "a"}, "Never", 0, False, False, True),
        ("OnFailure: a failure restarts", {"name": "a"}, "OnFailure", 2, False, True, False),
        ("OnFailure: a success is final", {"name": "a"}, "OnFailure", 0, False, False, True),
        ("Always: a success restarts too", {"name": "a"}, "Always", 0, False, True, True),
        ("Always: a failure restarts", {"name": "a"}, "Always", 1, False, True, False),
        (
            "an init container that succeeded is done under Always",
            {"name": "i"},
            "Always",
            0,
            True,
            False,
            True,
        ),
        (
            "an init container that failed restarts under Always",
            {"name": "i"},
            "Always",
            1,
            True,
            True,
            False,
        ),
        ("an init container that failed is final under Never", {"name": "i"}, "Never", 1, True, False, False),
        ("a sidecar restarts after exit 0 whatever the pod's policy", SIDECAR, "Never", 0, True, True, True),
        ("a sidecar restarts after a failure under Never", SIDECAR, "Never", 1, True, True, False),
    ],
)
def test_whether_an_exited_container_restarts(
    scenario: str, c: dict[str, Any], policy: str, code: int, init: bool, restart: bool, ok: bool
) -> None:
    assert plan.after_exit(c, policy, code, init=init) == plan.AfterExit(restart, ok), scenario


def test_init_containers_run_in_spec_order() -> None:
    spec = {"initContainers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}
    assert plan.next_init_container(spec, {})["name"] == "a"  # type: ignore[index]
    assert plan.next_init_container(spec, {"a": True})["name"] == "b"  # type: ignore[index]
    assert plan.next_init_container(spec, {"a": True, "b": True, "c": True}) is None


def term(code: int) -> dict[str, Any]:
    return {"state": {"terminated": {"exitCode": code}}}


@pytest.mark.parametrize(
    ("scenario", "statuses", "want"),
    [
        (
            "every app container exited 0: Succeeded (a worker that finished on SIGTERM)",
            {"a": term(0), "b": term(0)},
            "Succeeded",
        ),
        ("one exited non-zero: Failed", {"a": term(0), "b": term(143)}, "Failed"),
        ("one never ran: Failed", {"a": term(0)}, "Failed"),
        ("one still waiting: Failed", {"a": term(0), "b": {"state": {"waiting": {}}}}, "Failed"),
    ],
)
def test_the_phase_of_a_pod_whose_containers_stopped(
    scenario: str, statuses: dict[str, Any], want: str
) -> None:
    assert plan.phase_when_stopped([{"name": "a"}, {"name": "b"}], statuses) == want, scenario


@pytest.mark.parametrize(
    ("current", "init", "sidecar", "want"),
    [
        ("", True, False, "Pending"),
        ("Pending", False, False, "Running"),
        ("Running", True, True, "Running"),
        ("", True, True, "Pending"),
    ],
)
def test_the_phase_shown_while_a_container_runs(current: str, init: bool, sidecar: bool, want: str) -> None:
    assert plan.live_phase(current, init=init, sidecar=sidecar) == want
