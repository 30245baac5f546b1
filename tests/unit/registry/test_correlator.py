"""client-go's event correlator as specs (upstream ``tools/record/events_cache_test.go``'s cases).

The pure correlator with a fake clock, then the store writing what it decides.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from minik.registry import Registry
from minik.registry.correlator import COMBINED, Correlation, EventCorrelator, EventSource, Lru

T0 = datetime(2026, 1, 1, tzinfo=UTC)
POD = EventSource(
    component="kubelet", kind="Pod", namespace="default", name="p", uid="u1", api_version="v1",
    type="Warning", reason="BackOff",
)  # fmt: skip


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


def messages_through(correlator: EventCorrelator, events: list[tuple[EventSource, str]]) -> list[str | None]:
    """The message written for each event (None when dropped); ``*`` marks a combined event."""
    out: list[str | None] = []
    for source, message in events:
        c = correlator.correlate(source, message)
        out.append(None if c.skip else c.message + ("*" if c.combined else ""))
    return out


@pytest.mark.parametrize(
    ("name", "events", "want"),
    [
        ("create a single event", [(POD, "m")], ["m"]),
        ("the same event should just count", [(POD, "m")] * 12, ["m"] * 12),
        (
            "similar events should aggregate from the tenth distinct message",
            [(POD, f"m{i}") for i in range(12)],
            [f"m{i}" for i in range(9)] + [f"{COMBINED}m9*", f"{COMBINED}m10*", f"{COMBINED}m11*"],
        ),
        (
            "events from a different source do not aggregate",
            [(replace(POD, component=f"c{i}"), f"m{i}") for i in range(12)],
            [f"m{i}" for i in range(12)],
        ),
        (
            "events about different objects do not aggregate",
            [(replace(POD, uid=f"u{i}", name=f"p{i}"), f"m{i}") for i in range(12)],
            [f"m{i}" for i in range(12)],
        ),
        (
            "events of different reasons do not aggregate",
            [(replace(POD, reason=f"R{i}"), f"m{i}") for i in range(12)],
            [f"m{i}" for i in range(12)],
        ),
    ],
)
def test_event_correlator(name: str, events: list[tuple[EventSource, str]], want: list[str]) -> None:
    assert messages_through(EventCorrelator(clock=Clock()), events) == want, name


def test_similar_events_ten_minutes_apart_start_a_new_group() -> None:
    clock = Clock()
    correlator = EventCorrelator(clock=clock)
    for i in range(9):
        assert not correlator.correlate(POD, f"m{i}").combined
        clock.now += timedelta(minutes=9)  # each within 10 minutes of the last: one group
    assert correlator.correlate(POD, "m9").combined
    clock.now += timedelta(minutes=10, seconds=1)
    assert correlator.correlate(POD, "m10") == Correlation(skip=False, message="m10", combined=False)


def test_after_aggregating_a_message_still_in_the_group_is_written_as_itself() -> None:
    correlator = EventCorrelator(clock=Clock())
    messages_through(correlator, [(POD, f"m{i}") for i in range(10)])  # m0 forgotten (the oldest)
    assert messages_through(correlator, [(POD, "m5"), (POD, "m0")]) == ["m5", f"{COMBINED}m0*"]


def test_spam_filter_allows_a_burst_of_25_per_source_and_object() -> None:
    clock = Clock()
    correlator = EventCorrelator(clock=clock)
    written = messages_through(correlator, [(POD, "m")] * 30)
    assert written == ["m"] * 25 + [None] * 5
    other = replace(POD, name="q", uid="u2")
    assert messages_through(correlator, [(other, "m"), (replace(POD, component="other"), "m")]) == ["m", "m"]


def test_spam_filter_refills_one_event_every_five_minutes() -> None:
    clock = Clock()
    correlator = EventCorrelator(clock=clock)
    messages_through(correlator, [(POD, "m")] * 25)
    clock.now += timedelta(minutes=4, seconds=59)
    assert correlator.correlate(POD, "m").skip
    clock.now += timedelta(seconds=2)  # 5 minutes since the last refill point's start, one token
    assert not correlator.correlate(POD, "m").skip
    assert correlator.correlate(POD, "m").skip


def test_dropped_repeats_still_count_in_the_next_write() -> None:
    """Upstream's logger counts an event before the filter drops it, so the next patch carries it."""
    clock = Clock()
    correlator = EventCorrelator(clock=clock)
    messages_through(correlator, [(POD, "m")] * 25)
    assert [correlator.correlate(POD, "m").skip for _ in range(3)] == [True] * 3
    clock.now += timedelta(minutes=5)
    assert correlator.correlate(POD, "m").occurrences == 4
    clock.now += timedelta(minutes=5)
    assert correlator.correlate(POD, "m").occurrences == 1


def test_time_scale_shrinks_the_windows() -> None:
    clock = Clock()
    correlator = EventCorrelator(clock=clock, time_scale=0.1)
    messages_through(correlator, [(POD, "m")] * 25)
    clock.now += timedelta(seconds=30)
    assert not correlator.correlate(POD, "m").skip


def test_caches_are_bounded_least_recently_used_first_out() -> None:
    lru: Lru[str, int] = Lru(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c"), len(lru)) == (1, None, 3, 2)


# -- the store writes what the correlator decides -----------------------------------------


def _pod(name: str = "p") -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": "u1"},
    }


def _events(store: Registry) -> list[tuple[str, int]]:
    items = sorted(store.list("events", "default")[0], key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [(e["message"], e["count"]) for e in items]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Registry]:
    """A store whose event recorder goes through a correlator on the same fake clock."""
    opened = Registry.open(tmp_path / "db", clock=clock, correlator=EventCorrelator(clock=clock))
    yield opened
    opened.close()


def test_store_keeps_one_combined_event_whose_message_follows_and_count_rises(store: Registry) -> None:
    for i in range(12):
        store.record_event(
            _pod(), type="Normal", reason="SuccessfulCreate", message=f"Created pod: j-{i}", component="job"
        )
    shown = _events(store)
    assert shown[:9] == [(f"Created pod: j-{i}", 1) for i in range(9)]
    assert shown[9:] == [(f"{COMBINED}Created pod: j-11", 3)]


def test_store_drops_spam_and_adds_the_dropped_to_the_next_count(store: Registry, clock: Clock) -> None:
    def back_off() -> dict[str, Any]:
        return store.record_event(
            _pod(), type="Warning", reason="BackOff", message="Back-off", component="kubelet"
        )

    for _ in range(27):
        back_off()
    assert _events(store) == [("Back-off", 25)]
    clock.now += timedelta(minutes=5)
    event = back_off()
    assert event["count"] == 28 and _events(store) == [("Back-off", 28)]
