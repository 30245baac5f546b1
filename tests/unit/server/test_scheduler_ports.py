"""Two pods asking for one host port, through the store's at-creation binding and the scheduler gate.

The store binds a new pod at once unless a bound, non-terminal pod holds a host port it asks for
(then the gate holds it Pending with the NodePorts FailedScheduling); the gate binds it once the
holder is gone or terminal, and says which waiting pods to wake (store only, no engine).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest

from minik.controllers.hostports import frees_ports
from minik.controllers.scheduling import NO_FREE_PORTS
from minik.registry import Registry
from minik.server.controlplane import ControlPlane
from minik.server.scheduler import SchedulerGate
from minik.server.workqueue import WorkQueue
from minik.store.watch import WatchEvent

NOW = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


@pytest.fixture
def reg(tmp_path: Path) -> Iterator[Registry]:
    r = Registry.open(tmp_path / "minik.db", clock=lambda: NOW)
    yield r
    r.close()


def pod(name: str, host_port: int | None = 8080, protocol: str = "TCP", **spec: Any) -> dict[str, Any]:
    ports = [{"containerPort": 80, "protocol": protocol, **({"hostPort": host_port} if host_port else {})}]
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox", "ports": ports}], **spec},
    }


def running(reg: Registry, name: str) -> dict[str, Any]:
    p = reg.get("pods", "default", name)
    return reg.update("pods", {**p, "status": {**p["status"], "phase": "Running"}}, status_only=True)


def scheduled(reg: Registry, name: str) -> dict[str, Any] | None:
    conds = reg.get("pods", "default", name)["status"].get("conditions") or []
    return next((c for c in conds if c["type"] == "PodScheduled"), None)


def test_the_second_pod_for_a_host_port_waits_unbound_with_the_schedulers_message(reg: Registry) -> None:
    first = reg.create("pods", pod("first"))
    assert first["spec"]["nodeName"] == "minik"
    second = reg.create("pods", pod("second"))
    assert "nodeName" not in second["spec"], "the store leaves it to the gate"
    gate = SchedulerGate(reg, clock=lambda: NOW)
    assert gate.admit(second) is False
    held = reg.get("pods", "default", "second")
    assert "nodeName" not in held["spec"] and held["status"]["phase"] == "Pending"
    cond = scheduled(reg, "second")
    assert cond is not None and (cond["status"], cond["reason"], cond["message"]) == (
        "False",
        "Unschedulable",
        NO_FREE_PORTS,
    )
    events = [e for e in reg.list("events", "default")[0] if e["involvedObject"]["name"] == "second"]
    assert [(e["type"], e["reason"], e["message"], e["source"]["component"]) for e in events] == [
        ("Warning", "FailedScheduling", NO_FREE_PORTS, "default-scheduler")
    ]
    assert gate.admit(reg.get("pods", "default", "second")) is False  # held again: nothing new written
    assert len([e for e in reg.list("events", "default")[0] if e["involvedObject"]["name"] == "second"]) == 1
    assert gate.ports_freed() == [("default", "second")]


def test_pods_on_other_ports_or_without_ports_are_bound_at_once(reg: Registry) -> None:
    reg.create("pods", pod("first"))
    assert reg.create("pods", pod("other", 8081))["spec"]["nodeName"] == "minik"
    assert reg.create("pods", pod("plain", None))["spec"]["nodeName"] == "minik"
    assert reg.create("pods", pod("udp", 8080, "UDP"))["spec"]["nodeName"] == "minik"
    assert reg.create("pods", pod("same", 8080))["spec"].get("nodeName") is None


@pytest.mark.parametrize("end", ["Succeeded", "Failed", "deleted"])
def test_the_waiting_pod_is_bound_once_the_holder_ends(reg: Registry, end: str) -> None:
    reg.create("pods", pod("first"))
    before = running(reg, "first")
    gate = SchedulerGate(reg, clock=lambda: NOW)
    gate.admit(reg.create("pods", pod("second")))
    if end == "deleted":
        reg.delete("pods", "default", "first", grace_seconds=0)
        assert frees_ports("DELETED", before, None)
    else:
        after = reg.update("pods", {**before, "status": {**before["status"], "phase": end}}, status_only=True)
        assert frees_ports("MODIFIED", after, before)
    assert gate.ports_freed() == [("default", "second")]
    assert gate.admit(reg.get("pods", "default", "second")) is False  # bound; its MODIFIED event syncs it
    assert reg.get("pods", "default", "second")["spec"]["nodeName"] == "minik"
    assert gate.ports_freed() == []


def test_a_holder_being_deleted_keeps_the_port_until_it_is_terminal(reg: Registry) -> None:
    reg.create("pods", pod("first"))
    running(reg, "first")
    reg.delete("pods", "default", "first", grace_seconds=30)
    assert reg.get("pods", "default", "first")["metadata"].get("deletionTimestamp")
    second = reg.create("pods", pod("second"))
    assert "nodeName" not in second["spec"]
    gate = SchedulerGate(reg, clock=lambda: NOW)
    gate.admit(second)
    assert "nodeName" not in reg.get("pods", "default", "second")["spec"]


def test_of_two_waiting_pods_one_is_bound_and_the_other_waits_on(reg: Registry) -> None:
    """Level-triggered, as after a restart: every waiting pod is admitted again, one at a time."""
    reg.create("pods", pod("first"))
    gate = SchedulerGate(reg, clock=lambda: NOW)
    for name in ("second", "third"):
        gate.admit(reg.create("pods", pod(name)))
    reg.delete("pods", "default", "first", grace_seconds=0)
    for key in gate.ports_freed():
        gate.admit(reg.get("pods", *key))
    bound = {n for n in ("second", "third") if reg.get("pods", "default", n)["spec"].get("nodeName")}
    assert bound == {"second"}
    cond = scheduled(reg, "third")
    assert cond is not None and cond["message"] == NO_FREE_PORTS


def test_the_control_plane_wakes_the_waiting_pods_when_a_holder_ends(plane: ControlPlane) -> None:
    """The wiring: a holder's DELETED event (or its change to a terminal phase) queues the pods
    waiting for a host port; any other pod's change queues only that pod."""
    reg = plane.registry
    reg.create("pods", pod("first"))
    before = running(reg, "first")
    plane.scheduler.admit(reg.create("pods", pod("second")))
    plain = reg.create("pods", pod("plain", None))

    def queued_after(*events: WatchEvent) -> set[tuple[str, str]]:
        plane.pods = WorkQueue()

        async def feed() -> AsyncIterator[WatchEvent]:
            for ev in events:
                yield ev

        anyio.run(plane._consume, feed())
        return set(plane.pods._queued)

    assert queued_after(WatchEvent("MODIFIED", "pods", plain, 1, old=plain)) == {("default", "plain")}
    assert queued_after(WatchEvent("MODIFIED", "pods", before, 1, old=before)) == {("default", "first")}
    done = {**before, "status": {**before["status"], "phase": "Succeeded"}}
    assert queued_after(WatchEvent("MODIFIED", "pods", done, 1, old=before)) == {
        ("default", "first"),
        ("default", "second"),
    }
    assert queued_after(WatchEvent("DELETED", "pods", before, 1)) == {
        ("default", "first"),
        ("default", "second"),
    }
