"""The NodePorts filter (minik.controllers.hostports): table tests named like specs.

Upstream: pkg/scheduler/framework/plugins/nodeports/node_ports.go (the filter and its reason),
HostPortInfo.CheckConflict and sanitize in pkg/scheduler/framework/types.go (an empty hostIP is
0.0.0.0, which collides with every IP; an empty protocol is TCP), GetHostPorts in
pkg/scheduler/util/utils.go (regular containers and restartable init containers), and the
scheduler's pod informer (pkg/scheduler/scheduler.go, newPodInformer: non-terminal pods only).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minik.controllers import hostports
from minik.controllers.hostports import HostPort

NOW = "2026-12-01T20:00:00Z"


def port(host: int | None = 8080, *, ip: str | None = None, proto: str | None = None, cp: int = 80) -> dict:
    p: dict[str, Any] = {"containerPort": cp}
    if host is not None:
        p["hostPort"] = host
    if ip is not None:
        p["hostIP"] = ip
    if proto is not None:
        p["protocol"] = proto
    return p


def pod(
    name: str = "new",
    *ports: dict[str, Any],
    node: str | None = None,
    phase: str = "Pending",
    host_network: bool = False,
    init: list[dict[str, Any]] | None = None,
    **meta: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox", "ports": list(ports)}]}
    if node:
        spec["nodeName"] = node
    if host_network:
        spec["hostNetwork"] = True
    if init is not None:
        spec["initContainers"] = init
    return {
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", **meta},
        "spec": spec,
        "status": {"phase": phase},
    }


def holder(*ports: dict[str, Any], phase: str = "Running", **kw: Any) -> dict[str, Any]:
    return pod("old", *ports, node="minik", phase=phase, **kw)


CONFLICTS = [
    ("the same port, protocol and IP collide", pod("new", port()), [holder(port())], True),
    ("another port is free", pod("new", port(8081)), [holder(port(8080))], False),
    (
        "the same port over another protocol is free",
        pod("new", port(proto="UDP")),
        [holder(port(proto="TCP"))],
        False,
    ),
    ("an unset protocol is TCP", pod("new", port(proto="TCP")), [holder(port())], True),
    (
        "two specific IPs do not collide",
        pod("new", port(ip="127.0.0.2")),
        [holder(port(ip="127.0.0.1"))],
        False,
    ),
    (
        "the same specific IP collides",
        pod("new", port(ip="127.0.0.1")),
        [holder(port(ip="127.0.0.1"))],
        True,
    ),
    (
        "0.0.0.0 wanted collides with a specific IP held",
        pod("new", port(ip="0.0.0.0")),
        [holder(port(ip="127.0.0.1"))],
        True,
    ),
    (
        "a specific IP wanted collides with 0.0.0.0 held",
        pod("new", port(ip="127.0.0.1")),
        [holder(port(ip="0.0.0.0"))],
        True,
    ),
    ("an unset hostIP is 0.0.0.0", pod("new", port()), [holder(port(ip="10.0.0.1"))], True),
    ("a containerPort without hostPort asks for nothing", pod("new", port(None)), [holder(port())], False),
    ("a holder without hostPort holds nothing", pod("new", port()), [holder(port(None, cp=8080))], False),
    ("a Pending bound holder holds", pod("new", port()), [holder(port(), phase="Pending")], True),
    ("a Succeeded holder has let go", pod("new", port()), [holder(port(), phase="Succeeded")], False),
    ("a Failed holder has let go", pod("new", port()), [holder(port(), phase="Failed")], False),
    (
        "a holder being deleted holds until it is terminal or gone",
        pod("new", port()),
        [holder(port(), deletionTimestamp=NOW)],
        True,
    ),
    (
        "an unbound pod holds nothing (it waits too)",
        pod("new", port()),
        [pod("old", port())],
        False,
    ),
    (
        "the pod itself, bound, is not its own holder",
        pod("new", port(), node="minik"),
        [pod("new", port(), node="minik", phase="Running")],
        False,
    ),
    (
        "a hostNetwork holder's containerPort is its host port",
        pod("new", port(80)),
        [holder(port(80, cp=80), host_network=True)],
        True,
    ),
    (
        "a hostNetwork holder built without hostPort (a Job's pod) still holds its containerPort",
        pod("new", port(80)),
        [holder(port(None, cp=80), host_network=True)],
        True,
    ),
    (
        "a hostNetwork pod wants its containerPorts",
        pod("new", port(None, cp=8080), host_network=True),
        [holder(port(8080))],
        True,
    ),
    (
        "a sidecar's host port is held for the pod's life",
        pod("new", port()),
        [holder(init=[{"name": "side", "restartPolicy": "Always", "ports": [port()]}])],
        True,
    ),
    (
        "a run-to-completion init container's host port is not",
        pod("new", port()),
        [holder(init=[{"name": "setup", "ports": [port()]}])],
        False,
    ),
    (
        "a sidecar of the new pod asks too",
        pod("new", init=[{"name": "side", "restartPolicy": "Always", "ports": [port()]}]),
        [holder(port())],
        True,
    ),
    ("no other pod: free", pod("new", port()), [], False),
]


@pytest.mark.parametrize(("spec", "the_pod", "others", "collides"), CONFLICTS, ids=[c[0] for c in CONFLICTS])
def test_the_node_ports_filter(spec: str, the_pod: dict, others: list[dict], collides: bool) -> None:
    before = copy.deepcopy((the_pod, others))
    found = hostports.conflict(the_pod, others)
    assert (the_pod, others) == before, "inputs are never mutated"
    assert (found is not None) == collides, spec
    if found is not None:
        assert found[1] is others[0]


def test_the_conflict_names_the_port_and_its_holder() -> None:
    old = holder(port(9000, ip="127.0.0.1", proto="UDP"))
    found = hostports.conflict(pod("new", port(8000), port(9000, proto="UDP")), [old])
    assert found == (HostPort("0.0.0.0", "UDP", 9000), old)


def test_wanted_ports_are_sanitised_as_upstream() -> None:
    wanted = hostports.wanted(pod("p", port(1), port(2, ip="10.1.1.1", proto="SCTP"), port(None)))
    assert wanted == [HostPort("0.0.0.0", "TCP", 1), HostPort("10.1.1.1", "SCTP", 2)]


def test_the_reason_is_the_plugins() -> None:
    assert hostports.REASON == "node(s) didn't have free ports for the requested pod ports"


HELD = holder(port())
FREES = [
    ("a bound holder deleted frees its ports", "DELETED", HELD, None, True),
    ("a deleted pod that finished already frees them (removal and the end in one write)", "DELETED",
     holder(port(), phase="Succeeded"), None, True),
    ("an unbound pod deleted held nothing", "DELETED", pod("old", port()), None, False),
    ("a pod without host ports frees nothing", "DELETED", holder(port(None)), None, False),
    ("a holder that Succeeded frees them", "MODIFIED", holder(port(), phase="Succeeded"), HELD, True),
    ("a holder that Failed frees them", "MODIFIED", holder(port(), phase="Failed"), HELD, True),
    ("a running holder's change frees nothing", "MODIFIED", HELD, HELD, False),
    ("a finished pod's later change frees nothing new", "MODIFIED", holder(port(), phase="Failed"),
     holder(port(), phase="Failed"), False),
    ("a holder marked for deletion still holds", "MODIFIED", holder(port(), deletionTimestamp=NOW), HELD, False),
    ("a new pod frees nothing", "ADDED", HELD, None, False),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "kind", "obj", "old", "frees"), FREES, ids=[c[0] for c in FREES])
def test_which_pod_changes_free_ports(spec: str, kind: str, obj: dict, old: dict | None, frees: bool) -> None:
    assert hostports.frees_ports(kind, obj, old) is frees, spec
