"""Probes and lifecycle hooks in the pod worker, over the in-memory runtime (probes scripted as execs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .fake_runtime import RUNS, FakeRuntime
from .harness import Sink, container, delete_and_wait, pod, reasons, run, terminal

Obj = dict[str, Any]


def probe(command: str, **timing: Any) -> Obj:
    return {"exec": {"command": [command]}, "periodSeconds": 1, "failureThreshold": 3, **timing}


def app(sink: Sink) -> Obj:
    return (sink.last.get("containerStatuses") or [{}])[0]


def ready_condition(status: Obj) -> str:
    return next((c["status"] for c in status.get("conditions") or [] if c["type"] == "Ready"), "")


def test_a_readiness_probe_keeps_the_container_unready_until_it_succeeds(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"app": [RUNS]}, exec_codes={"ready?": [1, 1, 0]})
    p = pod({"restartPolicy": "Never", "containers": [container("app", readinessProbe=probe("ready?"))]})
    sink = run(fake, p, lambda s: app(s).get("ready") is True, tmp=tmp_path)
    running = [s for s in sink.statuses if "running" in (s["containerStatuses"][0]["state"])]
    first = running[0]
    assert (
        first["containerStatuses"][0]["started"] is True and first["containerStatuses"][0]["ready"] is False
    )
    assert ready_condition(first) == "False"
    assert ready_condition(sink.last) == "True"
    assert [m for _, r, m in sink.events if r == "Unhealthy"] == ["Readiness probe failed: "] * 2


def test_a_failed_liveness_probe_kills_and_restarts_the_container(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"app": [RUNS, 0]}, exec_codes={"alive?": [0, 1, 1, 1, 0]})
    spec = {"restartPolicy": "OnFailure", "containers": [container("app", livenessProbe=probe("alive?"))]}
    sink = run(fake, pod(spec), tmp=tmp_path)
    assert sink.last["phase"] == "Succeeded"
    assert app(sink)["restartCount"] == 1
    assert app(sink)["lastState"]["terminated"]["exitCode"] == 137
    assert [m for _, r, m in sink.events if r == "Unhealthy"] == ["Liveness probe failed: "] * 3
    assert ("Normal", "Killing", "Container app failed liveness probe, will be restarted") in sink.events
    assert fake.stops[0] == ("app", 30)  # the pod's grace period (the probe sets none)


def test_a_liveness_kill_under_never_fails_the_pod_with_the_probes_grace_period(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"app": [RUNS]}, exec_codes={"alive?": [1]})
    c = container("app", livenessProbe=probe("alive?", failureThreshold=1, terminationGracePeriodSeconds=4))
    sink = run(fake, pod({"restartPolicy": "Never", "containers": [c]}), tmp=tmp_path)
    assert sink.last["phase"] == "Failed"
    assert ("Normal", "Killing", "Container app failed liveness probe") in sink.events
    assert fake.stops[0] == ("app", 4)


def test_a_startup_probe_gates_readiness_and_liveness(tmp_path: Path) -> None:
    fake = FakeRuntime(
        tmp_path, exit_codes={"app": [RUNS]}, exec_codes={"started?": [1, 1, 0], "ready?": [0], "alive?": [0]}
    )
    c = container(
        "app", startupProbe=probe("started?"), readinessProbe=probe("ready?"), livenessProbe=probe("alive?")
    )
    sink = run(
        fake,
        pod({"restartPolicy": "Never", "containers": [c]}),
        lambda s: app(s).get("ready") is True,
        tmp=tmp_path,
    )
    first = next(s for s in sink.statuses if "running" in s["containerStatuses"][0]["state"])
    assert (first["containerStatuses"][0]["started"], first["containerStatuses"][0]["ready"]) == (
        False,
        False,
    )
    commands = [cmd[0] for _, cmd in fake.execs]
    assert commands[:3] == ["started?"] * 3  # nothing else ran before the container started
    assert "ready?" in commands[3:]
    assert [m for _, r, m in sink.events if r == "Unhealthy"] == ["Startup probe failed: "] * 2


def test_a_failing_post_start_hook_kills_the_container(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"app": [RUNS]}, exec_codes={"hook": [3]})
    c = container("app", lifecycle={"postStart": {"exec": {"command": ["hook"]}}})
    sink = run(fake, pod({"restartPolicy": "Never", "containers": [c]}), tmp=tmp_path)
    assert sink.last["phase"] == "Failed"
    assert ("Warning", "FailedPostStartHook", "PostStartHook failed") in sink.events
    assert ("Normal", "Killing", "FailedPostStartHook") in sink.events
    assert reasons(sink).index("FailedPostStartHook") < reasons(sink).index("Killing")


def test_a_post_start_hook_runs_before_the_container_shows_running(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"app": [RUNS]})
    c = container("app", lifecycle={"postStart": {"exec": {"command": ["echo", "hi"]}}})
    sink = run(
        fake,
        pod({"restartPolicy": "Never", "containers": [c]}),
        lambda s: s.last.get("phase") == "Running",
        tmp=tmp_path,
    )
    assert fake.execs == [("app", ["echo", "hi"])]
    assert "FailedPostStartHook" not in reasons(sink)


def _deleted_after_running(fake: FakeRuntime, p: Obj, tmp: Path) -> Sink:
    return run(fake, p, lambda s: s.last.get("phase") == "Running", then=delete_and_wait(p), tmp=tmp)


def test_the_pre_stop_hook_runs_before_the_stop_signal_on_deletion(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"app": [RUNS]})
    c = container("app", lifecycle={"preStop": {"exec": {"command": ["echo", "bye"]}}})
    p = pod({"restartPolicy": "Never", "terminationGracePeriodSeconds": 5, "containers": [c]})
    sink = _deleted_after_running(fake, p, tmp_path)
    assert fake.execs == [("app", ["echo", "bye"])]
    assert fake.stops[0] == ("app", 5)  # a quick hook leaves the whole grace period
    assert ("Normal", "Killing", "Stopping container app") in sink.events
    assert "FailedPreStopHook" not in reasons(sink)


def test_a_failing_pre_stop_hook_is_an_event_and_the_container_still_stops(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"app": [RUNS]}, exec_codes={"drain": [1]})
    c = container("app", lifecycle={"preStop": {"exec": {"command": ["drain"]}}})
    p = pod({"restartPolicy": "Never", "terminationGracePeriodSeconds": 5, "containers": [c]})
    sink = _deleted_after_running(fake, p, tmp_path)
    assert ("Warning", "FailedPreStopHook", "PreStopHook failed") in sink.events
    assert fake.stops[0][0] == "app"
    assert terminal(sink.last)


def test_the_next_init_container_waits_for_a_sidecars_startup_probe(tmp_path: Path) -> None:
    fake = FakeRuntime(
        tmp_path, exit_codes={"side": [RUNS]}, stop_codes={"side": 0}, exec_codes={"up?": [1, 0]}
    )
    side = container("side", restartPolicy="Always", startupProbe=probe("up?"))
    spec = {
        "restartPolicy": "Never",
        "initContainers": [side, container("init")],
        "containers": [container("app")],
    }
    sink = run(fake, pod(spec), tmp=tmp_path)
    assert sink.last["phase"] == "Succeeded"
    names = [n.split("-")[-2] for n in fake.created]
    assert names == ["POD", "side", "init", "app"]
    # init was created only after the sidecar's startup probe succeeded (its second try).
    started_at = next(i for i, (_, r, m) in enumerate(sink.events) if r == "Created" and m.endswith(": init"))
    unhealthy = [i for i, (_, r, _) in enumerate(sink.events) if r == "Unhealthy"]
    assert unhealthy and max(unhealthy) < started_at
