"""The scheduler gate (minik.controllers.scheduling): cordon and host ports; table tests named like specs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minik.controllers import scheduling
from minik.controllers.scheduling import FAILED_SCHEDULING, NO_FREE_PORTS, UNSCHEDULABLE_TAINT

NOW = "2026-12-01T20:00:00Z"


def pod(
    *, node: str | None = None, tolerations: list[dict[str, Any]] | None = None, **meta: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    if tolerations is not None:
        spec["tolerations"] = tolerations
    return {
        "metadata": {"name": "p", "namespace": "default", **meta},
        "spec": spec,
        "status": {"phase": "Pending"},
    }


def node(*, cordoned: bool, taints: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"unschedulable": True} if cordoned else {}
    if taints is not None:
        spec["taints"] = taints
    return {"metadata": {"name": "minik"}, "spec": spec}


def unschedulable_toleration(effect: str) -> dict[str, Any]:
    return {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": effect}


CASES = [
    ("a bound pod runs even on a cordoned node", pod(node="minik"), node(cordoned=True), "run"),
    (
        "a deleting unbound pod goes to the kubelet to finish",
        pod(deletionTimestamp=NOW),
        node(cordoned=True),
        "run",
    ),
    ("an unbound pod is bound when the node is schedulable", pod(), node(cordoned=False), "bind"),
    ("an unbound pod is bound when the node is not registered yet", pod(), None, "bind"),
    ("an unbound pod is held while the node is cordoned", pod(), node(cordoned=True), "hold"),
    (
        "a pod tolerating the unschedulable taint is bound on a cordoned node",
        pod(tolerations=[unschedulable_toleration("NoSchedule")]),
        node(cordoned=True),
        "bind",
    ),
    (
        "a pod tolerating everything is bound",
        pod(tolerations=[{"operator": "Exists"}]),
        node(cordoned=True),
        "bind",
    ),
    (
        "a NoExecute toleration does not help",
        pod(tolerations=[unschedulable_toleration("NoExecute")]),
        node(cordoned=True),
        "hold",
    ),
]


@pytest.mark.parametrize(("spec", "the_pod", "the_node", "outcome"), CASES, ids=[c[0] for c in CASES])
def test_the_gate(spec: str, the_pod: dict[str, Any], the_node: dict[str, Any] | None, outcome: str) -> None:
    before = copy.deepcopy(the_pod)
    d = scheduling.schedule(the_pod, the_node, NOW)
    assert the_pod == before, "inputs are never mutated"
    assert (d.run, d.bind, d.status is not None) == {
        "run": (True, False, False),
        "bind": (False, True, False),
        "hold": (False, False, True),
    }[outcome]


def test_a_held_pod_says_why_as_the_scheduler_does() -> None:
    d = scheduling.schedule(pod(), node(cordoned=True), NOW)
    assert d.event == ("Warning", "FailedScheduling", FAILED_SCHEDULING)
    assert FAILED_SCHEDULING == (
        "0/1 nodes are available: 1 node(s) were unschedulable. "
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    )
    assert d.status is not None and d.status["phase"] == "Pending"
    assert d.status["conditions"] == [
        {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": NOW,
            "reason": "Unschedulable",
            "message": FAILED_SCHEDULING,
        }
    ]


def test_a_pod_held_already_is_not_written_again() -> None:
    held = pod()
    first = scheduling.schedule(held, node(cordoned=True), NOW)
    assert first.status is not None
    held["status"] = first.status
    again = scheduling.schedule(held, node(cordoned=True), "later")
    assert again == scheduling.Decision(run=False)


def test_binding_sets_the_node_name() -> None:
    assert scheduling.bound(pod())["spec"]["nodeName"] == "minik"


TAINT_CASES = [
    ("cordon adds the unschedulable taint", node(cordoned=True), [UNSCHEDULABLE_TAINT]),
    ("the taint is added once", node(cordoned=True, taints=[UNSCHEDULABLE_TAINT]), None),
    ("uncordon removes it", node(cordoned=False, taints=[UNSCHEDULABLE_TAINT]), []),
    (
        "other taints are kept",
        node(cordoned=False, taints=[{"key": "x", "effect": "NoSchedule"}, UNSCHEDULABLE_TAINT]),
        [{"key": "x", "effect": "NoSchedule"}],
    ),
    ("a schedulable node without taints is left alone", node(cordoned=False), None),
]


@pytest.mark.parametrize(("spec", "the_node", "taints"), TAINT_CASES, ids=[c[0] for c in TAINT_CASES])
def test_the_unschedulable_taint_follows_the_field(spec: str, the_node: dict[str, Any], taints: Any) -> None:
    assert scheduling.node_taints(the_node) == taints


def _with_port(p: dict[str, Any], host_port: int = 8080) -> dict[str, Any]:
    out = copy.deepcopy(p)
    out["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "hostPort": host_port}]
    return out


HOLDER = _with_port(pod(node="minik", name="holder", uid="h"))
HOLDER["status"]["phase"] = "Running"

PORT_CASES = [
    ("a pod whose host port a running pod holds is held", _with_port(pod()), node(cordoned=False), [HOLDER], "hold"),
    ("a pod asking for a free host port is bound", _with_port(pod(), 8081), node(cordoned=False), [HOLDER], "bind"),
    ("a pod asking for no host port is bound beside the holder", pod(), node(cordoned=False), [HOLDER], "bind"),
    ("a bound pod runs whatever the ports", _with_port(pod(node="minik")), node(cordoned=False), [HOLDER], "run"),
    ("a deleting held pod goes to the kubelet to finish", _with_port(pod(deletionTimestamp=NOW)), None, [HOLDER],
     "run"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "the_pod", "the_node", "pods", "outcome"), PORT_CASES, ids=[c[0] for c in PORT_CASES]
)
def test_the_gate_with_host_ports(
    spec: str, the_pod: dict[str, Any], the_node: dict[str, Any] | None, pods: list[Any], outcome: str
) -> None:
    before = copy.deepcopy((the_pod, pods))
    d = scheduling.schedule(the_pod, the_node, NOW, pods=pods)
    assert (the_pod, pods) == before, "inputs are never mutated"
    assert (d.run, d.bind, d.status is not None) == {
        "run": (True, False, False),
        "bind": (False, True, False),
        "hold": (False, False, True),
    }[outcome], spec


def test_a_pod_without_free_ports_says_why_as_the_scheduler_does() -> None:
    d = scheduling.schedule(_with_port(pod()), node(cordoned=False), NOW, pods=[HOLDER])
    assert d.event == ("Warning", "FailedScheduling", NO_FREE_PORTS)
    # NodePorts rejects the node as Unschedulable (not ...AndUnresolvable), so preemption is tried
    # and finds no pod of lower priority to evict.
    assert NO_FREE_PORTS == (
        "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. "
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )
    assert (
        scheduling.unschedulable_message(
            "1 node(s) didn't have free ports for the requested pod ports", preemption=scheduling.NO_VICTIMS
        )
        == NO_FREE_PORTS
    )
    assert scheduling.unschedulable_message("1 node(s) were unschedulable") == FAILED_SCHEDULING
    assert d.status is not None and d.status["phase"] == "Pending"
    (cond,) = d.status["conditions"]
    assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == (
        "PodScheduled",
        "False",
        "Unschedulable",
        NO_FREE_PORTS,
    )


def test_a_cordoned_node_is_the_reason_before_the_ports() -> None:
    """The default filter order: NodeUnschedulable runs before NodePorts, and the first rejection is the reason."""
    d = scheduling.schedule(_with_port(pod()), node(cordoned=True), NOW, pods=[HOLDER])
    assert d.event == ("Warning", "FailedScheduling", FAILED_SCHEDULING)


def test_a_pod_held_for_the_cordon_says_the_ports_once_uncordoned() -> None:
    held = _with_port(pod())
    first = scheduling.schedule(held, node(cordoned=True), NOW)
    assert first.status is not None
    held["status"] = first.status
    again = scheduling.schedule(held, node(cordoned=False), "later", pods=[HOLDER])
    assert again.event == ("Warning", "FailedScheduling", NO_FREE_PORTS)
    assert again.status is not None and [c["message"] for c in again.status["conditions"]] == [NO_FREE_PORTS]
