"""Node port allocation, as the Service storage does it (pure rule, table of specs)."""

from __future__ import annotations

from typing import Any

import pytest

from minik.registry.nodeports import assign_node_ports, ports_in_use


def svc(stype: str, *node_ports: int | None, uid: str = "u1") -> dict[str, Any]:
    ports = []
    for i, np in enumerate(node_ports):
        port: dict[str, Any] = {"port": 80 + i, "protocol": "TCP"}
        if np is not None:
            port["nodePort"] = np
        ports.append(port)
    return {"metadata": {"name": "s", "uid": uid}, "spec": {"type": stype, "ports": ports}}


def first(free: list[int]) -> int:
    return free[0]


def node_ports(s: dict[str, Any]) -> list[int | None]:
    return [p.get("nodePort") for p in s["spec"]["ports"]]


CASES = [
    ("a NodePort Service without nodePort gets the first free port", svc("NodePort", None), set(), None, [], [30000]),
    ("a LoadBalancer Service gets node ports too", svc("LoadBalancer", None, None), set(), None, [], [30000, 30001]),
    ("a taken port is skipped", svc("NodePort", None), {30000}, None, [], [30001]),
    ("a given free port in range is kept", svc("NodePort", 31000), set(), None, [], [31000]),
    ("a given port outside 30000-32767 is invalid", svc("NodePort", 8080), set(), None,
     [("spec.ports[0].nodePort", "Invalid value", "Invalid value: 8080: provided port is not in the valid range. "
       "The range of valid ports is 30000-32767")], [8080]),
    ("a given port held by another Service is invalid", svc("NodePort", 30080), {30080}, None,
     [("spec.ports[0].nodePort", "Invalid value", "Invalid value: 30080: provided port is already allocated")], [30080]),
    ("two ports of one Service cannot share a node port", svc("NodePort", 30080, 30080), set(), None,
     [("spec.ports[1].nodePort", "Invalid value", "Invalid value: 30080: provided port is already allocated")],
     [30080, 30080]),
    ("an update keeps the port allocated before", svc("NodePort", None), set(), svc("NodePort", 31234), [], [31234]),
    ("a ClusterIP Service gets no node port", svc("ClusterIP", None), set(), None, [], [None]),
    ("a Service changed to ClusterIP releases its old node port", svc("ClusterIP", 31234), set(),
     svc("NodePort", 31234), [], [None]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "obj", "used", "old", "problems", "after"), CASES, ids=[c[0] for c in CASES]
)
def test_node_ports(
    spec: str, obj: dict[str, Any], used: set[int], old: Any, problems: list[Any], after: list[Any]
) -> None:
    assert assign_node_ports(obj, used, old=old, choose=first) == problems
    assert node_ports(obj) == after


def test_ports_in_use_skips_the_service_being_updated() -> None:
    services = [
        svc("NodePort", 30001, uid="a"),
        svc("NodePort", 30002, uid="b"),
        svc("ClusterIP", None, uid="c"),
    ]
    assert ports_in_use(services, skip_uid="b") == {30001}
