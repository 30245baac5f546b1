"""The kubelet's event sink: an occurrence is counted once, however often its write is retried."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from minik.errors import StoreError
from minik.registry import Registry
from minik.server.adapters import StorePodSink


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    r = Registry.open(tmp_path / "minik.db")
    yield r
    r.close()


def a_pod(registry: Registry) -> dict:
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    return registry.create("pods", pod)


def test_a_write_retried_after_a_store_fault_counts_the_occurrence_once(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    pod = a_pod(registry)
    write = registry.events.write
    faults = [StoreError("database is locked")]

    def flaky(pending):  # type: ignore[no-untyped-def]
        if faults:
            raise faults.pop()
        return write(pending)

    monkeypatch.setattr(registry.events, "write", flaky)
    sink = StorePodSink(registry)
    anyio.run(sink.record_event, pod, "Warning", "BackOff", "Back-off restarting", "kubelet")
    anyio.run(sink.record_event, pod, "Warning", "BackOff", "Back-off restarting", "kubelet")
    events, _ = registry.list("events", "default")
    assert [(e["reason"], e["count"]) for e in events] == [("BackOff", 2)]
    assert not faults
