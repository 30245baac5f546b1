"""The garbage collector's plan (pure), scenario by scenario.

Upstream: pkg/controller/garbagecollector/garbagecollector.go (attemptToDeleteItem,
orphanDependents, processDeletingDependentsItem) and the Job controller's syncOrphanPod
(pkg/controller/job/job_controller.go).
"""

from __future__ import annotations

from typing import Any

import pytest

from minik.controllers.garbage import Action, plan, plan_cronjob_jobs

TRACKING = "batch.kubernetes.io/job-tracking"


def job(uid: str, *, deleting: bool = False, finalizers: tuple[str, ...] = ()) -> dict[str, Any]:
    m: dict[str, Any] = {"name": f"job-{uid}", "namespace": "default", "uid": uid}
    if deleting:
        m["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    if finalizers:
        m["finalizers"] = list(finalizers)
    return {"metadata": m}


def pod(name: str, owner: str | None, *, tracking: bool = True, deleting: bool = False) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name, "namespace": "default", "uid": f"u-{name}"}
    if owner is not None:
        m["ownerReferences"] = [{"kind": "Job", "name": f"job-{owner}", "uid": owner, "controller": True}]
    if tracking:
        m["finalizers"] = [TRACKING]
    if deleting:
        m["deletionTimestamp"] = "2026-01-01T00:00:30Z"
    return {"metadata": m}


def verbs(actions: list[Action]) -> list[tuple[str, str]]:
    return [(a.verb, a.name) for a in actions]


SCENARIOS = [
    ("a live job's pods are left alone", [job("a")], [pod("p", "a")], [], False),
    ("a pod of a gone job loses its finalizer and is deleted", [], [pod("p", "a")],
     [("drop-tracking", "p"), ("delete", "p")], False),
    ("a pod already terminating is not deleted twice", [], [pod("p", "a", tracking=False, deleting=True)], [], False),
    ("an orphan keeps no tracking finalizer (syncOrphanPod)", [], [pod("p", None)], [("drop-tracking", "p")], False),
    ("orphan propagation: pods are orphaned, the owner finished", [job("a", deleting=True, finalizers=("orphan",))],
     [pod("p", "a")], [("orphan", "p"), ("finish", "job-a")], False),
    ("foreground: pods deleted, owner waits while any is left",
     [job("a", deleting=True, finalizers=("foregroundDeletion",))], [pod("p", "a")],
     [("drop-tracking", "p"), ("delete", "p")], True),
    ("foreground: no pod left, the owner is finished", [job("a", deleting=True, finalizers=("foregroundDeletion",))],
     [], [("finish", "job-a")], False),
    ("a pod owned by something else is not the Job collector's", [],
     [{"metadata": {"name": "p", "ownerReferences": [{"kind": "ReplicaSet", "uid": "r", "controller": True}]}}],
     [], False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("scenario", "jobs", "pods", "expected", "waiting"), SCENARIOS, ids=[s[0] for s in SCENARIOS]
)
def test_plan(scenario: str, jobs: list, pods: list, expected: list, waiting: bool) -> None:
    p = plan(jobs, pods)
    assert verbs(p.actions) == expected
    assert p.waiting is waiting


def test_the_jobs_of_a_deleted_cronjob_are_deleted_and_carry_no_tracking_step() -> None:
    cj = {"metadata": {"name": "cj", "namespace": "default", "uid": "c", "deletionTimestamp": "x"}}
    j = {"metadata": {"name": "j", "namespace": "default", "uid": "uj",
                      "ownerReferences": [{"kind": "CronJob", "uid": "c", "controller": True}]}}  # fmt: skip
    p = plan_cronjob_jobs([cj], [j])
    assert [(a.verb, a.resource, a.name) for a in p.actions] == [("delete", "jobs", "j")]
    assert p.waiting


def test_the_plan_does_not_change_its_inputs() -> None:
    jobs, pods = [job("a", deleting=True, finalizers=("orphan",))], [pod("p", "a"), pod("q", None)]
    before = repr((jobs, pods))
    plan(jobs, pods)
    assert repr((jobs, pods)) == before
