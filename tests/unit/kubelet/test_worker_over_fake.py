"""The kubelet's pod worker over an in-memory runtime: the pod's life, no Docker."""

from __future__ import annotations

import copy
from pathlib import Path

import anyio
import pytest

from minik.kubelet.kubelet import Kubelet

from .fake_runtime import RUNS, FakeRuntime
from .harness import Sink, container, delete_and_wait, never_pod, pod, poll, reasons, run, terminal


def test_an_init_container_runs_before_the_app_and_the_pod_succeeds(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path)
    sink = run(
        fake,
        never_pod("app", inits=("init",)),
        tmp=tmp_path,
    )
    assert sink.last["phase"] == "Succeeded"
    assert [n.split("-")[-2] for n in fake.created] == [
        "POD",
        "init",
        "app",
    ]  # init + app: a sandbox is cheaper
    assert sink.last["initContainerStatuses"][0]["ready"] is True
    assert reasons(sink) == ["Scheduled", "Pulled", "Created", "Started", "Pulled", "Created", "Started"]


def test_a_failing_init_container_fails_a_never_pod_and_the_app_never_starts(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"init": [2]})
    sink = run(
        fake,
        never_pod("app", inits=("init",)),
        tmp=tmp_path,
    )
    assert sink.last["phase"] == "Failed"
    assert not any(n.split("-")[-2] == "app" for n in fake.created)


def test_on_failure_restarts_count_at_creation_and_crash_loop_back_off_is_recorded(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"app": [1, 1, 0]})
    # back-offs of 200 and 400 ms: long enough that a loaded machine's late wake still sees them
    p = pod({"restartPolicy": "OnFailure", "containers": [container("app")]})
    sink = run(fake, p, tmp=tmp_path, time_scale=0.02)
    assert sink.last["phase"] == "Succeeded"
    app = sink.last["containerStatuses"][0]
    assert app["restartCount"] == 2 and app["lastState"]["terminated"]["exitCode"] == 1
    waiting = [
        s["containerStatuses"][0] for s in sink.statuses if "waiting" in s["containerStatuses"][0]["state"]
    ]
    crash = [w for w in waiting if w["state"]["waiting"]["reason"] == "CrashLoopBackOff"]
    assert crash and all(w["restartCount"] == 1 for w in crash)  # the exited container's count
    assert "BackOff" in reasons(sink)


def test_run_as_non_root_with_a_root_image_waits_in_create_container_config_error(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path)
    spec = {
        "restartPolicy": "Never",
        "securityContext": {"runAsNonRoot": True},
        "containers": [container("app")],
    }

    def refused(s: Sink) -> bool:
        cs = (s.last.get("containerStatuses") or [{}])[0]
        return (cs.get("state") or {}).get("waiting", {}).get("reason") == "CreateContainerConfigError"

    sink = run(fake, pod(spec), refused, tmp=tmp_path)
    message = sink.last["containerStatuses"][0]["state"]["waiting"]["message"]
    assert (
        message
        == 'container has runAsNonRoot and image will run as root (pod: "p_default(u1)", container: app)'
    )
    assert ("Warning", "Failed", f"Error: {message}") in sink.events
    assert not any(n.split("-")[-2] == "app" for n in fake.created)


def test_a_sandbox_the_engine_refuses_leaves_the_pod_pending_then_it_runs(tmp_path: Path) -> None:
    fake = FakeRuntime(
        tmp_path, network_error="could not find an available, non-overlapping IPv4 address pool"
    )

    async def heal(k: Kubelet, sink: Sink) -> None:
        assert sink.last["phase"] == "Pending"
        assert sink.last["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating"
        fake.network_error = ""
        with anyio.fail_after(10):
            await poll(lambda: terminal(sink.last))

    sink = run(
        fake,
        never_pod("app"),
        lambda s: "FailedCreatePodSandBox" in reasons(s),
        then=heal,
        tmp=tmp_path,
    )
    assert sink.last["phase"] == "Succeeded"
    failed = [m for _, r, m in sink.events if r == "FailedCreatePodSandBox"]
    assert failed[0].startswith("Failed to create pod sandbox: network minik-t: could not find an available")


@pytest.mark.parametrize(("stop_code", "phase"), [(0, "Succeeded"), (143, "Failed")])
def test_a_pod_deleted_while_running_ends_as_its_containers_did(
    tmp_path: Path, stop_code: int, phase: str
) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"app": [RUNS]}, stop_codes={"app": stop_code})
    p = pod({"restartPolicy": "Never", "terminationGracePeriodSeconds": 1, "containers": [container("app")]})

    sink = run(fake, p, lambda s: s.last.get("phase") == "Running", then=delete_and_wait(p), tmp=tmp_path)
    assert sink.last["phase"] == phase
    assert ("Normal", "Killing", "Stopping container app") in sink.events


def test_a_force_deleted_pod_whose_deletion_the_worker_never_saw_is_stopped_with_grace_zero(
    tmp_path: Path,
) -> None:
    """``delete --grace-period=0 --force`` removes the object at once: the kubelet only sees it gone.

    Its containers stop with the deletion's grace (0), not the spec's 30 s
    that would hold the kubelet's pod loop (kubelet ``HandlePodRemoves``
    kills with the pod's ``deletionGracePeriodSeconds`` when it has one).
    """
    fake = FakeRuntime(tmp_path, exit_codes={"app": [RUNS]})
    p = pod({"restartPolicy": "Never", "terminationGracePeriodSeconds": 30, "containers": [container("app")]})

    async def force_delete(k: Kubelet, sink: Sink) -> None:
        gone = copy.deepcopy(p)
        gone["metadata"].update(deletionTimestamp="2026-12-01T10:00:00Z", deletionGracePeriodSeconds=0)
        with anyio.fail_after(5):
            await k.forget_pod(gone)

    run(fake, p, lambda s: s.last.get("phase") == "Running", then=force_delete, tmp=tmp_path)
    assert ("app", 0) in fake.stops


def test_a_host_network_pod_gets_a_host_sandbox_the_nodes_ip_and_host_namespaces(tmp_path: Path) -> None:
    """The sandbox joins the host's network (no hostname, no published ports); podIP is the node's."""
    fake = FakeRuntime(tmp_path)
    app = container("app", ports=[{"containerPort": 80, "hostPort": 80, "protocol": "TCP"}], tty=True)
    spec = {"restartPolicy": "Never", "hostNetwork": True, "hostPID": True, "containers": [app]}
    sink = run(fake, pod(spec), tmp=tmp_path)
    assert sink.last["phase"] == "Succeeded"
    assert (sink.last["podIP"], sink.last["hostIP"]) == ("127.0.0.1", "127.0.0.1")
    by_name = {c.info.labels.get("minik.io/container"): c.config for c in fake.containers.values()}
    assert by_name["POD"]["host_config"] == {"network_mode": "host", "init": False}
    assert "hostname" not in by_name["POD"] and "ports" not in by_name["POD"]
    hc = by_name["app"]["host_config"]
    assert hc["pid_mode"] == "host" and hc["network_mode"].startswith("container:")
    assert by_name["app"]["tty"] is True


def test_a_missing_localhost_profile_is_a_create_container_config_error(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path)
    sc = {"seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/none.json"}}
    spec = {"restartPolicy": "Never", "containers": [container("app", securityContext=sc)]}
    sink = run(
        fake,
        pod(spec),
        until=lambda s: "CreateContainerConfigError" in str(s.last.get("containerStatuses")),
        tmp=tmp_path,
    )
    waiting = sink.last["containerStatuses"][0]["state"]["waiting"]
    profile = tmp_path.resolve() / "seccomp" / "profiles" / "none.json"
    assert waiting == {
        "reason": "CreateContainerConfigError",
        "message": f'cannot load seccomp profile "{profile}": open {profile}: no such file or directory',
    }
    assert fake.created == []  # the container was never created (and a one-container pod has no sandbox)


def test_an_engine_that_does_not_answer_after_a_start_is_asked_again_and_the_pod_succeeds(
    tmp_path: Path,
) -> None:
    fake = FakeRuntime(tmp_path, inspect_outages=2)  # e.g. dockerd restarting right after the start
    sink = run(fake, pod({"restartPolicy": "Never", "containers": [container("app")]}), tmp=tmp_path)
    assert sink.last["phase"] == "Succeeded" and fake.inspect_outages == 0
    assert "Failed" not in reasons(sink)
