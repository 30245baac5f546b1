"""Lifecycle hooks' rules (minik.kubelet.lifecycle.rules): preStop's share of the grace period, the kubelet's words.

Upstream: pkg/kubelet/kuberuntime/kuberuntime_container.go (killContainer,
executePreStopHook, startContainer) and pkg/kubelet/lifecycle/handlers.go.
"""

from __future__ import annotations

import pytest

from minik.kubelet.lifecycle.rules import exec_error, grace_after_pre_stop, handler_message, pre_stop_budget

PRE_STOP = {"name": "c", "lifecycle": {"preStop": {"exec": {"command": ["true"]}}}}


@pytest.mark.parametrize(
    ("scenario", "container", "grace", "budget"),
    [
        ("no hook: no time for one", {"name": "c"}, 30, 0),
        ("a hook gets the whole grace period", PRE_STOP, 30, 30),
        ("no grace period (an eviction's 0): the hook does not run", PRE_STOP, 0, 0),
        ("a postStart hook alone is not run at stop", {"name": "c", "lifecycle": {"postStart": {}}}, 30, 0),
    ],
)
def test_the_pre_stop_hook_runs_within_the_grace_period(
    scenario: str, container: dict[str, object], grace: int, budget: int
) -> None:
    assert pre_stop_budget(container, grace) == budget, scenario


@pytest.mark.parametrize(
    ("scenario", "grace", "elapsed", "ran", "left"),
    [
        ("no hook ran: the whole grace period", 30, 0.0, False, 30),
        ("a quick hook: whole seconds taken off", 30, 0.4, True, 30),
        ("a 7.9 s hook takes 7 s (Go truncates)", 30, 7.9, True, 23),
        ("a hook that used the grace period up leaves the minimum 2 s", 10, 10.0, True, 2),
        ("a hook past what was left still leaves 2 s", 3, 2.0, True, 2),
        ("without a hook a deletion's 0 grace period stays 0 (the kubelet's override)", 0, 0.0, False, 0),
    ],
)
def test_the_stop_signal_gets_the_grace_the_pre_stop_hook_left(
    scenario: str, grace: int, elapsed: float, ran: bool, left: int
) -> None:
    assert grace_after_pre_stop(grace, elapsed, hook_ran=ran, override=not ran) == left, scenario


@pytest.mark.parametrize(
    ("scenario", "grace", "left"),
    [
        ("a liveness kill with a 0 s probe grace still gets the minimum 2 s", 0, 2),
        ("a 1 s pod grace is raised to 2 s, as after a hook", 1, 2),
        ("a longer grace is kept", 30, 30),
    ],
)
def test_without_a_hook_a_kill_still_gets_the_minimum_2_s_unless_a_deletion_set_the_grace(
    scenario: str, grace: int, left: int
) -> None:
    assert grace_after_pre_stop(grace, 0.0, hook_ran=False) == left, scenario


POD = "p_default(u1)"


@pytest.mark.parametrize(
    ("scenario", "handler", "error", "output", "message"),
    [
        (
            "an exec hook",
            {"exec": {"command": ["sh", "-c", "exit 3"]}},
            "command 'sh -c exit 3' exited with 3: no\n",
            "no\n",
            'Exec lifecycle hook ([sh -c exit 3]) for Container "c" in Pod "p_default(u1)" failed - '
            "error: command 'sh -c exit 3' exited with 3: no\n, message: \"no\\n\"",
        ),
        (
            "an HTTP hook",
            {"httpGet": {"path": "/stop", "port": 80}},
            'Get "http://10.0.0.2:80/stop": dial tcp 10.0.0.2:80: connect: connection refused',
            "",
            'HTTP lifecycle hook (/stop) for Container "c" in Pod "p_default(u1)" failed - error: '
            'Get "http://10.0.0.2:80/stop": dial tcp 10.0.0.2:80: connect: connection refused',
        ),
        (
            "a sleep hook cut short",
            {"sleep": {"seconds": 5}},
            "container terminated before sleep hook finished",
            "",
            'Sleep lifecycle hook (5) for Container "c" in Pod "p_default(u1)" failed - error: '
            "container terminated before sleep hook finished",
        ),
        (
            "a tcpSocket hook cannot be run",
            {"tcpSocket": {"port": 80}},
            "invalid handler",
            "",
            "Cannot run handler: invalid handler",
        ),
    ],
)
def test_a_failed_hooks_message_is_handlers_go(
    scenario: str, handler: dict[str, object], error: str, output: str, message: str
) -> None:
    assert handler_message(handler, "c", POD, error, output) == message, scenario


def test_an_exec_that_exits_non_zero_is_the_cris_error() -> None:
    assert exec_error(["sh", "-c", "exit 3"], 3, "boom") == "command 'sh -c exit 3' exited with 3: boom"
