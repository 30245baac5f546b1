"""Crash-loop back-off (R9.4): client-go's Backoff as the kubelet's doBackOff uses it.

Each scenario is a container's history: the times (seconds after T0) at
which it exited, with the restart made as soon as the back-off allowed. The
expected waits are measured from each exit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from minik.kubelet.status import CrashLoopBackoff, go_duration

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def restarts(runs: list[float], *, scale: float = 1.0) -> list[float]:
    """Waits before each restart of a container that runs ``runs[i]`` seconds each time."""
    b = CrashLoopBackoff(scale=scale)
    now = 0.0
    waits = []
    for run in runs:
        now += run  # it exits
        wait = b.remaining(at(now), at(now))
        waits.append(wait)
        now += wait
        b.advance(at(now - wait), at(now))
    return waits


@pytest.mark.parametrize(
    ("runs", "waits"),
    [
        pytest.param([1], [0], id="first restart after a failure is immediate"),
        pytest.param([1, 1], [0, 10], id="second restart waits 10s from the exit"),
        pytest.param([1] * 6, [0, 10, 20, 40, 80, 160], id="each later restart doubles the wait"),
        pytest.param([1] * 9, [0, 10, 20, 40, 80, 160, 300, 300, 300], id="the wait is capped at 5 minutes"),
        pytest.param(
            [1, 1, 1, 700, 1], [0, 10, 20, 0, 10], id="a run of over 10 minutes starts the back-off over"
        ),
        pytest.param([1, 1, 1, 600, 1], [0, 10, 20, 40, 80], id="a run of exactly 10 minutes does not"),
    ],
)
def test_crash_loop_waits(runs: list[float], waits: list[float]) -> None:
    assert restarts(runs) == waits


def test_time_scale_shrinks_every_wait_alike() -> None:
    assert restarts([0.1] * 4, scale=0.1) == pytest.approx([0, 1, 2, 4])


def test_the_wait_is_measured_from_the_exit_not_from_now() -> None:
    b = CrashLoopBackoff()
    b.advance(at(0), at(0))  # first restart made at once
    assert b.remaining(at(5), at(5)) == 10
    assert b.remaining(at(5), at(12)) == 3  # the kubelet looked again 7 s after the exit
    assert b.remaining(at(5), at(30)) == 0


@pytest.mark.parametrize(
    ("history", "message"),
    [
        pytest.param(1, "back-off 10s", id="after the first restart"),
        pytest.param(4, "back-off 1m20s", id="minutes in Go's duration format"),
        pytest.param(9, "back-off 5m0s", id="at the cap"),
    ],
)
def test_crash_loop_message_names_the_wait_container_and_pod(history: int, message: str) -> None:
    b = CrashLoopBackoff()
    for i in range(history):
        b.advance(at(i), at(i))
    assert b.message("worker", "job-0-abcde", "ns", "u-1") == (
        f"{message} restarting failed container=worker pod=job-0-abcde_ns(u-1)"
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (10, "10s"), (59, "59s"), (60, "1m0s"), (80, "1m20s"), (300, "5m0s"), (3725, "1h2m5s")],
)
def test_go_duration(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text
