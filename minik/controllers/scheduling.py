"""The scheduler's gate for minik's one node: cordon (``spec.unschedulable``) and taken host ports hold new pods.

Owns these decisions, as upstream makes them for a one-node cluster:

- :func:`node_taints` — the ``node.kubernetes.io/unschedulable:NoSchedule``
  taint follows ``spec.unschedulable`` (the node lifecycle controller's
  ``TaintNodesByCondition``; ``kubectl cordon`` only sets the field);
- :func:`schedule` — an unbound pod is bound to the node, or held Pending
  with ``PodScheduled=False/Unschedulable`` and a ``FailedScheduling``
  warning worded as the 1.33 scheduler words it: while the node is
  unschedulable and the pod does not tolerate that taint (the
  NodeUnschedulable filter), or while a bound, non-terminal pod holds one
  of the host ports it asks for (the NodePorts filter,
  :mod:`minik.controllers.hostports`), in the default filter order.

A pod already bound (running or not) is never touched: cordon does not evict.
Pure: objects and ``now`` in, a plain decision out; the control plane
(:mod:`minik.server.scheduler`) carries it out.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from minik.controllers import hostports
from minik.k8s import NODE_NAME, Obj, meta

UNSCHEDULABLE_KEY = "node.kubernetes.io/unschedulable"
UNSCHEDULABLE_TAINT = {"key": UNSCHEDULABLE_KEY, "effect": "NoSchedule"}
NOT_HELPFUL = "Preemption is not helpful for scheduling"
"""The preemption dry run's word for a node a filter rejected as ``UnschedulableAndUnresolvable``."""
NO_VICTIMS = "No preemption victims found for incoming pod"
"""Its word for a node rejected as ``Unschedulable`` where no pod of lower priority runs (minik
gives every pod the same priority: ``priorityClassName`` and ``priority`` only warn)."""
FAILED_SCHEDULING = (
    "0/1 nodes are available: 1 node(s) were unschedulable. "
    "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
)
"""The cordoned node's message (the NodeUnschedulable plugin's, through :func:`unschedulable_message`)."""
NO_FREE_PORTS = (
    "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. "
    "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
)
"""The message of a pod whose host port another pod holds (the NodePorts plugin's)."""
SCHEDULER = "default-scheduler"


@dataclass(frozen=True)
class Decision:
    run: bool
    """Hand the pod to the kubelet (it is bound, or being deleted)."""
    bind: bool = False
    """Set ``spec.nodeName`` first."""
    status: Obj | None = None
    """A new status to store (the held pod's PodScheduled condition)."""
    event: tuple[str, str, str] | None = None
    """(type, reason, message) to record about the pod."""


def unschedulable(node: Obj | None) -> bool:
    return bool(((node or {}).get("spec") or {}).get("unschedulable"))


def node_taints(node: Obj) -> list[dict[str, Any]] | None:
    """The node's taints with the unschedulable taint matching ``spec.unschedulable``; ``None``: no change."""
    taints = list((node.get("spec") or {}).get("taints") or [])
    has = any(t.get("key") == UNSCHEDULABLE_KEY and t.get("effect") == "NoSchedule" for t in taints)
    if unschedulable(node) and not has:
        return [*taints, dict(UNSCHEDULABLE_TAINT)]
    if not unschedulable(node) and has:
        return [
            t for t in taints if not (t.get("key") == UNSCHEDULABLE_KEY and t.get("effect") == "NoSchedule")
        ]
    return None


def tolerates_unschedulable(pod: Obj) -> bool:
    """The NodeUnschedulable plugin's check: a toleration matching the unschedulable taint."""
    for t in (pod.get("spec") or {}).get("tolerations") or []:
        if not isinstance(t, dict) or t.get("effect") not in (None, "", "NoSchedule"):
            continue
        op = t.get("operator") or "Equal"
        if (op == "Exists" and t.get("key") in (None, "", UNSCHEDULABLE_KEY)) or (
            op == "Equal" and t.get("key") == UNSCHEDULABLE_KEY and not t.get("value")
        ):
            return True
    return False


def schedule(pod: Obj, node: Obj | None, now: str, *, pods: Iterable[Obj] = ()) -> Decision:
    """What to do with ``pod`` given the node (``None``: not registered yet, treated as schedulable)
    and the other pods (only those bound and not terminal count: :func:`hostports.holds`)."""
    if (pod.get("spec") or {}).get("nodeName") or meta(pod).get("deletionTimestamp"):
        return Decision(run=True)
    if unschedulable(node) and not tolerates_unschedulable(pod):
        return held(pod, FAILED_SCHEDULING, now)
    if hostports.conflict(pod, pods) is not None:
        return held(pod, NO_FREE_PORTS, now)
    return Decision(run=False, bind=True)


def unschedulable_message(reason: str, *, preemption: str = NOT_HELPFUL) -> str:
    """The FailedScheduling message of a plugin that rejects the one node (``reason`` without a full
    stop; ``preemption``: the dry run's word for the node, :data:`NOT_HELPFUL` or :data:`NO_VICTIMS`)."""
    return f"0/1 nodes are available: {reason}. preemption: 0/1 nodes are available: 1 {preemption}."


def held(pod: Obj, message: str, now: str) -> Decision:
    """Keep ``pod`` Pending with ``PodScheduled=False/Unschedulable`` and a FailedScheduling warning."""
    status = copy.deepcopy(pod.get("status") or {})
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
    old = next((c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), None)
    if old is not None and old.get("status") == "False" and old.get("message") == message:
        return Decision(run=False)  # held already: nothing new to say
    condition = {
        "type": "PodScheduled",
        "status": "False",
        "lastProbeTime": None,
        "lastTransitionTime": now,
        "reason": "Unschedulable",
        "message": message,
    }
    status["phase"] = "Pending"
    status["conditions"] = [*conditions, condition]
    return Decision(run=False, status=status, event=("Warning", "FailedScheduling", message))


def bound(pod: Obj) -> Obj:
    """``pod`` with ``spec.nodeName`` set to the node (the binding)."""
    out = copy.deepcopy(pod)
    out.setdefault("spec", {})["nodeName"] = NODE_NAME
    return out
