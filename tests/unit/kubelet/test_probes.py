"""The prober's rules (minik.kubelet.probes.rules): thresholds, timing, results → started, ready, kill.

Upstream: pkg/kubelet/prober/worker.go (doProbe), prober_manager.go
(UpdatePodStatus), kuberuntime/kuberuntime_manager.go (computePodActions)
and kuberuntime_container.go (setTerminationGracePeriod).
"""

from __future__ import annotations

import pytest

from minik.kubelet.probes.rules import (
    LIVENESS,
    READINESS,
    STARTUP,
    Kill,
    ProbeState,
    Result,
    Timing,
    event_message,
    kill_for,
    ready,
    record,
    should_probe,
    started,
)

S, F = Result.SUCCESS, Result.FAILURE


def run(kind: str, results: list[Result], timing: Timing) -> ProbeState:
    st = ProbeState.new(kind)
    for r in results:
        st = record(st, r, timing)
    return st


@pytest.mark.parametrize(
    ("scenario", "kind", "results", "timing", "value", "on_hold"),
    [
        ("a readiness probe starts failed", READINESS, [], Timing(), F, False),
        ("a liveness probe starts succeeded", LIVENESS, [], Timing(), S, False),
        ("a startup probe starts unknown", STARTUP, [], Timing(), Result.UNKNOWN, False),
        ("one success makes a readiness probe succeed (threshold 1)", READINESS, [S], Timing(), S, False),
        (
            "two failures stay under a failure threshold of 3",
            READINESS,
            [S, F, F],
            Timing(),
            S,
            False,
        ),
        ("three failures in a row reach it", READINESS, [S, F, F, F], Timing(), F, False),
        ("a success in between starts the count again", READINESS, [S, F, F, S, F, F], Timing(), S, False),
        (
            "readiness needs successThreshold successes in a row",
            READINESS,
            [S, S],
            Timing(success_threshold=3),
            F,
            False,
        ),
        (
            "and gets there on the third",
            READINESS,
            [S, S, S],
            Timing(success_threshold=3),
            S,
            False,
        ),
        ("liveness fails at its threshold and holds", LIVENESS, [F, F, F], Timing(), F, True),
        ("liveness under its threshold stays alive", LIVENESS, [F, F], Timing(), S, False),
        ("a failure threshold of 1 fails at once", LIVENESS, [F], Timing(failure_threshold=1), F, True),
        ("startup succeeds at the first success", STARTUP, [F, F, S], Timing(), S, False),
        (
            "startup fails at its threshold and holds",
            STARTUP,
            [F] * 30,
            Timing(failure_threshold=30),
            F,
            True,
        ),
        ("readiness never holds, however often it fails", READINESS, [F] * 5, Timing(), F, False),
    ],
)
def test_probe_results_change_the_value_only_at_their_thresholds(
    scenario: str, kind: str, results: list[Result], timing: Timing, value: Result, on_hold: bool
) -> None:
    st = run(kind, results, timing)
    assert (st.value, st.on_hold) == (value, on_hold), scenario


def test_a_liveness_failure_resets_the_run_so_a_new_container_starts_counting_afresh() -> None:
    st = run(LIVENESS, [F, F, F], Timing())
    assert st.run == 0


@pytest.mark.parametrize(
    ("scenario", "kind", "started_", "on_hold", "probes"),
    [
        ("startup probes until the container has started", STARTUP, False, False, True),
        ("startup stops once it has", STARTUP, True, False, False),
        ("readiness waits for the container to have started", READINESS, False, False, False),
        ("readiness probes once started", READINESS, True, False, True),
        ("liveness waits for the container to have started", LIVENESS, False, False, False),
        ("liveness probes once started", LIVENESS, True, False, True),
        ("a probe on hold does not run", LIVENESS, True, True, False),
    ],
)
def test_startup_gates_the_other_probes(
    scenario: str, kind: str, started_: bool, on_hold: bool, probes: bool
) -> None:
    assert should_probe(kind, started=started_, on_hold=on_hold) is probes, scenario


@pytest.mark.parametrize(
    ("scenario", "states", "running", "is_started", "is_ready"),
    [
        ("no probes: started and ready when running", {}, True, True, True),
        ("not running: neither", {}, False, False, False),
        ("a readiness probe not yet succeeded: started, not ready", {READINESS: F}, True, True, False),
        ("a readiness probe that succeeded: ready", {READINESS: S}, True, True, True),
        (
            "a startup probe not yet succeeded: not started, not ready",
            {STARTUP: Result.UNKNOWN},
            True,
            False,
            False,
        ),
        ("a startup probe that succeeded, no readiness probe: ready", {STARTUP: S}, True, True, True),
        ("startup succeeded, readiness not yet: not ready", {STARTUP: S, READINESS: F}, True, True, False),
        ("a liveness probe alone does not make it unready", {LIVENESS: S}, True, True, True),
    ],
)
def test_started_and_ready_follow_the_prober_managers_rule(
    scenario: str, states: dict[str, Result], running: bool, is_started: bool, is_ready: bool
) -> None:
    st = {k: ProbeState(k, v) for k, v in states.items()}
    assert (started(st, running=running), ready(st, running=running)) == (is_started, is_ready), scenario


@pytest.mark.parametrize(
    ("scenario", "timing", "first"),
    [
        ("no initial delay: at once", Timing(), 0),
        ("a delay of one period: at the first tick", Timing(initial_delay=10), 10),
        ("a delay between ticks: the next tick", Timing(initial_delay=15, period=10), 20),
        ("a delay shorter than the period: the first tick", Timing(initial_delay=3, period=5), 5),
        ("a delay of several periods", Timing(initial_delay=6, period=2), 6),
    ],
)
def test_the_first_probe_is_the_first_tick_not_before_the_initial_delay(
    scenario: str, timing: Timing, first: int
) -> None:
    assert timing.first_probe() == first, scenario


def test_timing_reads_the_probe_with_upstreams_defaults() -> None:
    assert Timing.of({}) == Timing(0, 10, 1, 1, 3, None)
    probe = {"initialDelaySeconds": 5, "periodSeconds": 2, "timeoutSeconds": 3, "failureThreshold": 7}
    assert Timing.of({**probe, "terminationGracePeriodSeconds": 4}) == Timing(5, 2, 3, 1, 7, 4)


C = {"name": "app", "livenessProbe": {"exec": {"command": ["true"]}}, "startupProbe": {"exec": {}}}


RESTARTED = "Container app failed liveness probe, will be restarted"
GRACE_5 = {**C, "livenessProbe": {"terminationGracePeriodSeconds": 5}}
KILL_CASES = [
    # (scenario, probe results, container, restarted by its policy, deletion grace, the kill)
    ("nothing failed: no kill", {LIVENESS: S}, C, True, None, None),
    ("liveness failed under OnFailure/Always", {LIVENESS: F}, C, True, None, Kill("LivenessProbe", RESTARTED, 30)),
    ("liveness failed under Never: not restarted", {LIVENESS: F}, C, False, None,
     Kill("LivenessProbe", "Container app failed liveness probe", 30)),
    ("startup failed", {STARTUP: F}, C, True, None,
     Kill("StartupProbe", "Container app failed startup probe, will be restarted", 30)),
    ("the probe's own grace period wins over the pod's", {LIVENESS: F}, GRACE_5, True, None,
     Kill("LivenessProbe", RESTARTED, 5)),
    ("a pod being deleted uses its deletion grace period", {LIVENESS: F}, GRACE_5, True, 2,
     Kill("LivenessProbe", RESTARTED, 2)),
]  # fmt: skip


@pytest.mark.parametrize(("scenario", "states", "container", "restart", "deletion", "kill"), KILL_CASES)
def test_a_failed_liveness_or_startup_probe_kills_the_container(
    scenario: str,
    states: dict[str, Result],
    container: dict[str, object],
    restart: bool,
    deletion: int | None,
    kill: Kill | None,
) -> None:
    st = {k: ProbeState(k, v) for k, v in states.items()}
    assert kill_for(st, container, restart=restart, pod_grace=30, deletion_grace=deletion) == kill, scenario


def test_each_failed_result_is_an_unhealthy_event_in_upstreams_words() -> None:
    assert event_message(LIVENESS, F, "") == "Liveness probe failed: "
    assert event_message(READINESS, F, "HTTP probe failed with statuscode: 503") == (
        "Readiness probe failed: HTTP probe failed with statuscode: 503"
    )
    assert event_message(STARTUP, F, "x") == "Startup probe failed: x"
    assert event_message(READINESS, S, "ok") is None
