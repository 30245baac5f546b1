"""Table scenarios for claiming pods (upstream ``ClaimPods``/``getPodsForJob``) and ``spec.managedBy``."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

import pytest

from minik.controllers.job import sync_job
from minik.controllers.job.claim import claim_pods, managed_by_builtin
from minik.controllers.job.podutil import TRACKING_FINALIZER
from minik.k8s import Obj
from tests.unit.controllers.builders import NOW, PI_OWNER, at, job, namer, pod


def orphan(name: str, phase: str = "Running", *, finalizer: bool = False, **kw: object) -> Obj:
    p = pod(name, phase, finalizer=finalizer, **kw)  # type: ignore[arg-type]
    del p["metadata"]["ownerReferences"]
    return p


def relabelled(p: Obj, labels: dict[str, str]) -> Obj:
    p = copy.deepcopy(p)
    p["metadata"]["labels"] = labels
    return p


def owned_by(p: Obj, uid: str) -> Obj:
    p = copy.deepcopy(p)
    p["metadata"]["ownerReferences"] = [{"kind": "Job", "name": "other", "uid": uid, "controller": True}]
    return p


def in_namespace(p: Obj, ns: str) -> Obj:
    p = copy.deepcopy(p)
    p["metadata"]["namespace"] = ns
    return p


DELETING = {"deletionTimestamp": at(-5)}
STARTED = {"startTime": at(-120)}


@dataclass
class C:
    name: str
    job: Obj
    pods: list[Obj]
    owned: list[str]
    adopt: list[str] = field(default_factory=list)
    release: list[str] = field(default_factory=list)


CLAIMS = [
    C("owned pods whose labels match are kept", job(), [pod("a"), pod("b")], ["a", "b"]),
    C("an orphan whose labels match the selector is adopted", job(), [orphan("o")], ["o"], adopt=["o"]),
    C("an orphan whose labels do not match is ignored", job(), [relabelled(orphan("o"), {"x": "y"})], []),
    C("an orphan being deleted is not adopted", job(), [orphan("o", deleted=10)], []),
    C("an orphan in another namespace is not adopted", job(), [in_namespace(orphan("o"), "other")], []),
    C(
        "an owned pod whose labels stopped matching is released",
        job(),
        [relabelled(pod("a"), {}), pod("b")],
        ["b"],
        release=["a"],
    ),
    C("a pod controlled by another owner is ignored", job(), [owned_by(pod("a"), "uid-2")], []),
    C("a job being deleted adopts nothing", job(meta=DELETING), [orphan("o"), pod("a")], ["a"]),
    C(
        "a job being deleted releases nothing",
        job(meta=DELETING),
        [relabelled(pod("a"), {})],
        [],
    ),
]


@pytest.mark.parametrize("c", CLAIMS, ids=[c.name for c in CLAIMS])
def test_claim_pods(c: C) -> None:
    before = json.dumps([c.job, c.pods], sort_keys=True)
    claim = claim_pods(c.job, c.pods)
    assert json.dumps([c.job, c.pods], sort_keys=True) == before, "claim_pods mutated its inputs"
    assert [p["metadata"]["name"] for p in claim.pods] == c.owned
    assert claim.adopt == c.adopt
    assert claim.release == c.release


def test_an_adopted_pod_is_counted_with_the_jobs_reference_and_the_tracking_finalizer() -> None:
    claim = claim_pods(job(), [orphan("o")])
    (adopted,) = claim.pods
    assert adopted["metadata"]["finalizers"] == [TRACKING_FINALIZER]
    assert adopted["metadata"]["ownerReferences"][0] == PI_OWNER


def test_sync_adopts_a_matching_orphan_instead_of_creating_a_pod() -> None:
    r = sync_job(job(status=STARTED), [orphan("o")], NOW, new_name=namer())
    assert r.adopt == ["o"]
    assert r.create == []
    assert r.status["active"] == 1


def test_sync_counts_an_adopted_finished_orphan_and_removes_its_finalizer() -> None:
    r = sync_job(job(status=STARTED), [orphan("o", "Succeeded")], NOW, new_name=namer())
    assert r.adopt == ["o"]
    assert r.finalize == ["o"]
    assert r.status["succeeded"] == 1


def test_sync_releases_a_pod_whose_labels_stopped_matching_and_replaces_it() -> None:
    r = sync_job(job(status=STARTED), [relabelled(pod("a"), {"app": "x"})], NOW, new_name=namer())
    assert r.release == ["a"]
    assert len(r.create) == 1


def test_a_finished_job_claims_nothing() -> None:
    done = job(status={**STARTED, "conditions": [{"type": "Complete", "status": "True"}]})
    r = sync_job(done, [orphan("o")], NOW, new_name=namer())
    assert r.adopt == [] and r.release == [] and r.finalize == []


# -- Jobs being deleted are still synced (upstream syncJob with a deletionTimestamp) ----------


def test_a_job_being_deleted_creates_no_pods_and_counts_terminating_ones() -> None:
    pods = [pod("a", deleted=20), pod("b", "Failed")]
    r = sync_job(
        job(completions=3, parallelism=3, status=STARTED, meta=DELETING), pods, NOW, new_name=namer()
    )
    assert r.create == []
    assert r.status["terminating"] == 1
    assert sorted(r.finalize) == ["a", "b"]
    assert r.status["failed"] == 2, "a deleted unfinished pod counts as failed (upstream isPodFailed)"


# -- spec.managedBy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("managed_by", "builtin"),
    [(None, True), ("kubernetes.io/job-controller", True), ("example.com/other", False)],
)
def test_managed_by_builtin(managed_by: str | None, builtin: bool) -> None:
    assert managed_by_builtin(job(managedBy=managed_by)) is builtin


def test_a_job_managed_by_another_controller_is_left_alone() -> None:
    the_job = job(managedBy="example.com/other")
    r = sync_job(the_job, [orphan("o"), pod("a", "Succeeded")], NOW, new_name=namer())
    assert r.status == {}
    assert (r.create, r.delete, r.finalize, r.adopt, r.events, r.requeue_after) == ([], [], [], [], [], None)


def test_a_job_managed_by_the_builtin_controller_is_synced() -> None:
    r = sync_job(job(managedBy="kubernetes.io/job-controller"), [], NOW, new_name=namer())
    assert len(r.create) == 1
