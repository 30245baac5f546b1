"""A controller that cannot handle an object: one Warning event and one traceback, then back-off.

Upstream's controllers requeue a failing key through the workqueue's rate
limiter (exponential, capped at 1000 s) and never spin; minik used to log a
traceback every second for ever (an `@every` schedule past Go's duration
range made the CronJob controller do so).
"""

from __future__ import annotations

import logging

import pytest

from minik.errors import StoreError
from minik.server.controlplane import FAILED_SYNC, ControlPlane


def _events(plane: ControlPlane) -> list[dict]:
    return [e for e in plane.registry.list("events", None)[0] if e.get("reason") == FAILED_SYNC]


def test_an_object_a_controller_cannot_handle_gets_one_event_one_traceback_and_backs_off(
    plane: ControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    plane.registry.create(
        "jobs", {"metadata": {"name": "j"}, "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}
    )
    on_error = plane._report("job")
    key = ("default", "j")
    delays: list[float] = []
    plane.jobs.add_after = lambda k, delay: delays.append(delay)  # type: ignore[method-assign]
    with caplog.at_level(logging.DEBUG, logger="minik"):
        for n in range(1, 13):
            plane.jobs._failures[key] = n
            on_error(key, OverflowError("date value out of range"))
    (event,) = _events(plane)
    assert event["type"] == "Warning" and event["involvedObject"]["name"] == "j"
    assert event["message"] == "minik's job controller cannot handle this object: date value out of range"
    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000]
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.WARNING]
    assert len(tracebacks) == 1


def test_an_expected_fault_is_one_sentence_retried_every_second_without_an_event(
    plane: ControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    on_error = plane._report("job")
    delays: list[float] = []
    plane.jobs.add_after = lambda k, delay: delays.append(delay)  # type: ignore[method-assign]
    for n in (1, 2, 3):
        plane.jobs._failures[("default", "j")] = n
        on_error(("default", "j"), StoreError("database is locked"))
    assert delays == [1.0, 1.0, 1.0]
    assert not _events(plane)
    assert not [r for r in caplog.records if r.exc_info]
