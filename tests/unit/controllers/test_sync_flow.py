"""Multi-sync flows: each result is applied as the executor would, then synced again.

Checks level-triggered idempotency (a second sync on the applied state takes
no further action) and the two-step terminal conditions over time.
"""

from __future__ import annotations

from datetime import timedelta

from minik.controllers.job import SyncResult, sync_job
from minik.k8s import Obj, rfc3339
from tests.unit.controllers.builders import NOW, apply, job, namer, pod

NAMES = namer()


def step(j: Obj, pods: list[Obj], seconds: float = 0) -> tuple[SyncResult, Obj, list[Obj]]:
    now = NOW + timedelta(seconds=seconds)
    r = sync_job(j, pods, now, new_name=NAMES)
    j2, pods2 = apply(r, j, pods, now)
    return r, j2, pods2


def no_action(r: SyncResult) -> bool:
    return not (r.create or r.delete or r.finalize or r.events or r.delete_job)


def finish(pods: list[Obj], name_prefix: str, phase: str, at_seconds: float = 1) -> None:
    for p in pods:
        if p["metadata"]["name"].startswith(name_prefix):
            p["status"] = {
                "phase": phase,
                "containerStatuses": [
                    {
                        "name": "main",
                        "state": {
                            "terminated": {
                                "exitCode": 0 if phase == "Succeeded" else 1,
                                "finishedAt": rfc3339(NOW + timedelta(seconds=at_seconds)),
                            }
                        },
                    }
                ],
            }


def test_syncing_twice_after_creating_pods_creates_nothing_more() -> None:
    r1, j, pods = step(job(completions=4, parallelism=2), [])
    assert len(r1.create) == 2
    r2, _j2, _ = step(j, pods)
    assert no_action(r2)
    assert r2.status == j["status"]


def test_successful_job_end_to_end_then_idle() -> None:
    _, j, pods = step(job(completions=2, parallelism=2), [])
    finish(pods, "pi-", "Succeeded")
    r, j, pods = step(j, pods, 2)
    assert [c["type"] for c in r.status["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    assert r.status["succeeded"] == 2 and "active" not in r.status
    assert sorted(r.finalize) == sorted(p["metadata"]["name"] for p in pods)
    r2, _, _ = step(j, pods, 3)
    assert no_action(r2)
    assert r2.status == r.status


def test_failing_job_writes_failure_target_then_failed_after_pods_terminate() -> None:
    _, j, pods = step(job(completions=2, parallelism=2, backoffLimit=0), [])
    finish(pods[:1], "pi-", "Failed")
    r, j, pods = step(j, pods, 2)
    assert [c["type"] for c in r.status["conditions"]] == ["FailureTarget"]
    assert r.status["failed"] == 2 and r.status["terminating"] == 1
    # nothing changes while the killed pod is still terminating
    r_wait, j, pods = step(j, pods, 3)
    assert no_action(r_wait) and r_wait.status["failed"] == 2
    # the kubelet finishes the killed pod; the store removes it (no finalizer left)
    pods = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    r, j, pods = step(j, pods, 4)
    assert [(c["type"], c["reason"]) for c in r.status["conditions"]] == [
        ("FailureTarget", "BackoffLimitExceeded"),
        ("Failed", "BackoffLimitExceeded"),
    ]
    assert [(e.type, e.reason) for e in r.events] == [("Warning", "BackoffLimitExceeded")]
    assert "completionTime" not in r.status
    assert no_action(step(j, pods, 5)[0])


def test_suspend_then_resume() -> None:
    _, j, pods = step(job(completions=1), [])
    j["spec"]["suspend"] = True
    r, j, pods = step(j, pods, 1)
    assert len(r.delete) == 1 and r.finalize == r.delete and "failed" not in r.status
    r2, j, pods = step(j, pods, 2)
    assert no_action(r2)
    pods = []  # the deleted pod terminated and is gone
    j["spec"]["suspend"] = False
    r3, j, pods = step(j, pods, 10)
    assert len(r3.create) == 1
    assert r3.status["startTime"] == rfc3339(NOW + timedelta(seconds=10))
    assert [(c["type"], c["status"]) for c in r3.status["conditions"]] == [("Suspended", "False")]


def test_per_index_retry_then_count_flow() -> None:
    j = job(completions=1, completionMode="Indexed", backoffLimitPerIndex=1)
    _, j, pods = step(j, [])
    finish(pods, "pi-0-", "Failed")
    r, j, pods = step(j, pods, 30)
    assert [
        p["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] for p in r.create
    ] == ["1"]
    assert r.finalize == [] and "failed" not in r.status
    r2, j, pods = step(j, pods, 31)
    assert r2.status["failed"] == 1 and len(r2.finalize) == 1 and not r2.create
    assert no_action(step(j, pods, 32)[0])


def test_pod_counted_once_across_syncs() -> None:
    j = job(completions=1, status={"startTime": rfc3339(NOW)})
    pods = [pod("a", "Failed", finished=-60)]
    r, j, pods = step(j, pods)
    assert r.status["failed"] == 1
    r2, _, _ = step(j, pods, 1)
    assert r2.status["failed"] == 1
