"""The disruption controller, pure: a PodDisruptionBudget's ``status`` from its pods.

Owns upstream ``pkg/controller/disruption``'s arithmetic: the pods a budget
selects (its namespace, its selector), the expected count and desired
healthy count (an integer ``minAvailable`` needs no controller; a percentage
or ``maxUnavailable`` needs the scale of the pods' controllers, and no
controller minik runs has one — Jobs have no scale subresource — so such a
budget fails safe, as upstream's does for a Job's pods), the healthy pods
(ready, not being deleted, not recently evicted), ``disruptionsAllowed`` and
the ``DisruptionAllowed`` condition. The eviction API (``minik.api``)
decrements the budget; this recomputes it. Decides only; the control plane
writes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from minik.controllers.event import ControllerEvent
from minik.k8s import Obj, meta, parse_time, rfc3339, selector_matches

DELETION_TIMEOUT = timedelta(minutes=2)
"""How long an evicted pod may take to start deleting before it counts again."""
DISRUPTION_ALLOWED = "DisruptionAllowed"


@dataclass(frozen=True)
class PdbSync:
    status: Obj
    recheck_after: float | None = None
    """Seconds until a recorded disruption expires."""
    events: tuple[ControllerEvent, ...] = ()
    """(type, reason, message) to record on the budget."""


def selected_pods(pdb: Mapping[str, Any], pods: list[Obj]) -> list[Obj]:
    """The pods of the budget's namespace its selector selects (upstream ``getPodsForPdb``)."""
    ns = meta(pdb).get("namespace") or "default"
    selector = (pdb.get("spec") or {}).get("selector")
    return [
        p
        for p in pods
        if (meta(p).get("namespace") or "default") == ns and selector_matches(selector, meta(p).get("labels"))
    ]


def is_ready(pod: Mapping[str, Any]) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return bool(c.get("status") == "True")
    return False


def set_condition(conditions: list[Obj], cond: Obj, now: datetime) -> None:
    """``meta.SetStatusCondition``: the transition time changes only with the status."""
    for c in conditions:
        if c.get("type") == cond["type"]:
            if c.get("status") != cond["status"]:
                c["lastTransitionTime"] = rfc3339(now)
            c.update({k: v for k, v in cond.items() if k != "lastTransitionTime"})
            return
    conditions.append({**cond, "lastTransitionTime": rfc3339(now)})


def allowed_condition(status: Obj, now: datetime) -> None:
    """``UpdateDisruptionAllowedCondition`` (in place)."""
    conditions = status.setdefault("conditions", [])
    ok = int(status.get("disruptionsAllowed") or 0) > 0
    set_condition(
        conditions,
        {
            "type": DISRUPTION_ALLOWED,
            "status": "True" if ok else "False",
            "reason": "SufficientPods" if ok else "InsufficientPods",
            "message": "",
            "observedGeneration": int(status.get("observedGeneration") or 0),
        },
        now,
    )


def _scaled(value: Any, total: int) -> int:
    """``GetScaledValueFromIntOrPercent`` rounding up."""
    if isinstance(value, str):
        pct = int(value.rstrip("%"))
        return -(-pct * total // 100)
    return int(value)


def sync_pdb(pdb: Mapping[str, Any], pods: list[Obj], now: datetime) -> PdbSync:
    """Upstream ``trySync`` (and ``failSafe`` when the expected count cannot be known)."""
    spec = pdb.get("spec") or {}
    old: Obj = copy.deepcopy(pdb.get("status") or {})
    mine = selected_pods(pdb, pods)
    events: list[ControllerEvent] = []
    if not mine:
        events.append(ControllerEvent("Normal", "NoPods", "No matching pods found"))
    least, most = spec.get("minAvailable"), spec.get("maxUnavailable")
    if most is not None or isinstance(least, str):
        managed = [p for p in mine if any(r.get("controller") for r in meta(p).get("ownerReferences") or [])]
        if managed:
            # No controller minik runs has a scale (upstream's finders: RC, Deployment, ReplicaSet,
            # StatefulSet, the scale subresource); a Job's pods make the count unknowable.
            return _fail_safe(
                old, f'found no controllers for pod "{meta(managed[0]).get("name")}"', now, events
            )
        expected = 0
        if mine:
            events.append(ControllerEvent("Warning", "UnmanagedPods", _unmanaged_message(spec)))
        desired = max(expected - _scaled(most, expected), 0) if most is not None else _scaled(least, expected)
    else:
        desired = int(least or 0)
        expected = len(mine)
    disrupted, recheck = _disrupted(old.get("disruptedPods") or {}, mine, now)
    healthy = 0
    for p in mine:
        if meta(p).get("deletionTimestamp") or meta(p).get("name") in disrupted:
            continue
        healthy += 1 if is_ready(p) else 0
    allowed = healthy - desired
    if expected <= 0 or allowed <= 0:
        allowed = 0
    status: Obj = {
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "expectedPods": expected,
        "disruptionsAllowed": allowed,
        "observedGeneration": int(meta(pdb).get("generation") or 1),
        "conditions": old.get("conditions") or [],
    }
    if disrupted:
        status["disruptedPods"] = disrupted
    allowed_condition(status, now)
    return PdbSync(status, recheck, tuple(events))


def go_selector(selector: Mapping[str, Any] | None) -> str:
    """A ``*metav1.LabelSelector`` as Go's ``%v`` prints it (its generated ``String``)."""
    if selector is None:
        return "nil"
    labels = "".join(f"{k}: {v}," for k, v in sorted((selector.get("matchLabels") or {}).items()))
    exprs = "".join(
        f"LabelSelectorRequirement{{Key:{e.get('key', '')},Operator:{e.get('operator', '')},"
        f"Values:[{' '.join(e.get('values') or [])}],}},"
        for e in selector.get("matchExpressions") or []
    )
    return (
        f"&LabelSelector{{MatchLabels:map[string]string{{{labels}}},"
        f"MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}"
    )


def _unmanaged_message(spec: Mapping[str, Any]) -> str:
    return (
        f"Pods selected by this PodDisruptionBudget (selector: {go_selector(spec.get('selector'))}) were found to be "
        "unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in "
        'undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an '
        "integer value."
    )


def _disrupted(
    recorded: Mapping[str, str], pods: list[Obj], now: datetime
) -> tuple[dict[str, str], float | None]:
    """``buildDisruptedPodMap``: evictions not yet seen as deletions, for at most two minutes."""
    out: dict[str, str] = {}
    recheck: float | None = None
    for p in pods:
        name = str(meta(p).get("name"))
        if meta(p).get("deletionTimestamp") or name not in recorded:
            continue
        at = parse_time(recorded[name])
        if at is None:
            continue
        left = (at + DELETION_TIMEOUT - now).total_seconds()
        if left > 0:
            out[name] = recorded[name]
            recheck = left if recheck is None else min(recheck, left)
    return out, recheck


def _fail_safe(old: Obj, message: str, now: datetime, events: list[ControllerEvent]) -> PdbSync:
    status = copy.deepcopy(old)
    status["disruptionsAllowed"] = 0
    for key in ("currentHealthy", "desiredHealthy", "expectedPods"):
        status.setdefault(key, 0)
    conditions = status.setdefault("conditions", [])
    cond = {
        "type": DISRUPTION_ALLOWED,
        "status": "False",
        "reason": "SyncFailed",
        "message": message,
        "observedGeneration": int(status.get("observedGeneration") or 0),
    }
    set_condition(conditions, cond, now)
    events.append(
        ControllerEvent(
            "Warning",
            "CalculateExpectedPodCountFailed",
            f"Failed to calculate the number of expected pods: {message}",
        )
    )
    return PdbSync(status, None, tuple(events))
