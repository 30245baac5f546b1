"""Table scenarios for the disruption controller (upstream ``pkg/controller/disruption``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from minik.controllers.disruption import sync_pdb
from minik.k8s import Obj, rfc3339
from tests.unit.controllers.builders import NOW, at


def budget(status: Obj | None = None, generation: int = 1, **spec: Any) -> Obj:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "b", "namespace": "default", "generation": generation},
        "spec": {"selector": {"matchLabels": {"app": "x"}}, **spec},
        "status": status or {},
    }


def a_pod(name: str, *, ready: bool = True, labels: dict[str, str] | None = None, owner: bool = False,
          deleting: bool = False, ns: str = "default") -> Obj:  # fmt: skip
    m: Obj = {"name": name, "namespace": ns, "labels": {"app": "x"} if labels is None else labels}
    if owner:
        m["ownerReferences"] = [{"kind": "Job", "name": "j", "uid": "u", "controller": True}]
    if deleting:
        m["deletionTimestamp"] = at(0)
    cond = {"type": "Ready", "status": "True" if ready else "False"}
    return {"metadata": m, "status": {"phase": "Running", "conditions": [cond]}}


@dataclass
class P:
    name: str
    pdb: Obj
    pods: list[Obj]
    status: dict[str, Any]
    reason: str = ""
    recheck: float | None = None
    events: list[str] = field(default_factory=list)


SCENARIOS = [
    P(
        "integer minAvailable: healthy pods above it allow disruptions",
        budget(minAvailable=1),
        [a_pod("a"), a_pod("b")],
        {
            "currentHealthy": 2,
            "desiredHealthy": 1,
            "expectedPods": 2,
            "disruptionsAllowed": 1,
            "observedGeneration": 1,
        },
        "SufficientPods",
    ),
    P(
        "integer minAvailable: unready pods are not healthy",
        budget(minAvailable=1),
        [a_pod("a", ready=False), a_pod("b")],
        {"currentHealthy": 1, "desiredHealthy": 1, "disruptionsAllowed": 0},
        "InsufficientPods",
    ),
    P(
        "pods being deleted are not healthy",
        budget(minAvailable=0),
        [a_pod("a", deleting=True)],
        {"currentHealthy": 0, "expectedPods": 1, "disruptionsAllowed": 0},
        "InsufficientPods",
    ),
    P(
        "pods of other namespaces and other labels are not selected",
        budget(minAvailable=0),
        [a_pod("a", ns="other"), a_pod("b", labels={"app": "y"})],
        {"currentHealthy": 0, "expectedPods": 0, "disruptionsAllowed": 0},
        "InsufficientPods",
        events=["NoPods"],
    ),
    P(
        "a recently evicted pod is not healthy until the deletion timeout",
        budget(minAvailable=0, status={"disruptedPods": {"a": at(-30)}}),
        [a_pod("a"), a_pod("b")],
        {"currentHealthy": 1, "disruptionsAllowed": 1, "disruptedPods": {"a": at(-30)}},
        "SufficientPods",
        recheck=90.0,
    ),
    P(
        "an eviction older than the deletion timeout is forgotten",
        budget(minAvailable=0, status={"disruptedPods": {"a": at(-130)}}),
        [a_pod("a")],
        {"currentHealthy": 1, "disruptionsAllowed": 1},
        "SufficientPods",
    ),
    P(
        "maxUnavailable over a Job's pods fails safe: a Job has no scale",
        budget(maxUnavailable=1),
        [a_pod("a", owner=True)],
        {"disruptionsAllowed": 0},
        "SyncFailed",
        events=["CalculateExpectedPodCountFailed"],
    ),
    P(
        "a percentage over unmanaged pods expects none",
        budget(minAvailable="50%"),
        [a_pod("a")],
        {"expectedPods": 0, "desiredHealthy": 0, "currentHealthy": 1, "disruptionsAllowed": 0},
        "InsufficientPods",
        events=["UnmanagedPods"],
    ),
]


@pytest.mark.parametrize("s", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_sync_pdb(s: P) -> None:
    before = json.dumps([s.pdb, s.pods], sort_keys=True)
    r = sync_pdb(s.pdb, s.pods, NOW)
    assert json.dumps([s.pdb, s.pods], sort_keys=True) == before, "sync_pdb mutated its inputs"
    for k, v in s.status.items():
        assert r.status.get(k) == v, k
    if "disruptedPods" not in s.status:
        assert "disruptedPods" not in r.status
    (cond,) = r.status["conditions"]
    assert (cond["type"], cond["reason"]) == ("DisruptionAllowed", s.reason)
    assert r.recheck_after == s.recheck
    assert [e[1] for e in r.events] == s.events


def test_the_unmanaged_pods_warning_names_the_selector_as_go_prints_it() -> None:
    r = sync_pdb(budget(minAvailable="50%"), [a_pod("a")], NOW)
    message = dict((reason, msg) for _, reason, msg in r.events)["UnmanagedPods"]
    assert "(selector: &LabelSelector{MatchLabels:map[string]string{app: x,},MatchExpressions:" in message
    assert "[]LabelSelectorRequirement{},})" in message


def test_the_condition_keeps_its_transition_time_while_its_status_holds() -> None:
    first = sync_pdb(budget(minAvailable=1), [a_pod("a"), a_pod("b")], NOW)
    later = sync_pdb(
        budget(minAvailable=1, status=first.status), [a_pod("a"), a_pod("c")], NOW + timedelta(minutes=5)
    )
    assert later.status == first.status
    flipped = sync_pdb(budget(minAvailable=1, status=first.status), [a_pod("a")], NOW + timedelta(minutes=5))
    assert flipped.status["conditions"][0]["lastTransitionTime"] == rfc3339(NOW + timedelta(minutes=5))
