"""The pod-failure back-off record kept between syncs (upstream ``backoffStore``/``newBackoffRecord``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pytest

from minik.controllers.job import sync_job
from minik.controllers.job.backoff import NO_FAILURES, BackoffRecord, next_record
from minik.k8s import Obj, parse_time
from tests.unit.controllers.builders import NOW, at, job, namer, pod


def t(seconds: float) -> datetime:
    when = parse_time(at(seconds))
    assert when is not None
    return when


@dataclass
class R:
    name: str
    previous: BackoffRecord | None
    succeeded: list[Obj] = field(default_factory=list)
    failed: list[Obj] = field(default_factory=list)
    want: BackoffRecord = NO_FAILURES


RECORDS = [
    R("no record and no new pods: no failures", None),
    R("no new pods keep the record", BackoffRecord(2, t(-30)), want=BackoffRecord(2, t(-30))),
    R(
        "new failures add to the record and move its last failure",
        BackoffRecord(1, t(-30)),
        failed=[pod("a", "Failed", finished=-5), pod("b", "Failed", finished=-10)],
        want=BackoffRecord(3, t(-5)),
    ),
    R(
        "a new success resets the record",
        BackoffRecord(4, t(-30)),
        succeeded=[pod("s", "Succeeded", finished=-20)],
    ),
    R(
        "a new success counts only the new failures after it",
        BackoffRecord(4, t(-60)),
        succeeded=[pod("s", "Succeeded", finished=-20)],
        failed=[
            pod("a", "Failed", finished=-25),
            pod("b", "Failed", finished=-10),
            pod("c", "Failed", finished=-5),
        ],
        want=BackoffRecord(2, t(-5)),
    ),
]


@pytest.mark.parametrize("r", RECORDS, ids=[r.name for r in RECORDS])
def test_next_record(r: R) -> None:
    assert next_record(r.previous, r.succeeded, r.failed) == r.want


STARTED = {"startTime": at(-120)}


def test_pods_released_by_suspend_do_not_delay_new_pods_after_a_resume() -> None:
    # Suspending deleted the pod and took its finalizer; the record holds no failure.
    released = pod("a", finalizer=False, deleted=-3)
    r = sync_job(job(status=STARTED), [released], NOW, new_name=namer(), backoff=BackoffRecord(0, None))
    assert len(r.create) == 1


def test_pods_released_by_a_scale_down_do_not_feed_the_record() -> None:
    released = [pod("a", "Failed", finalizer=False, finished=-2), pod("b", finalizer=False, deleted=-2)]
    r = sync_job(job(completions=None, parallelism=2, status=STARTED), released, NOW, new_name=namer())
    assert r.backoff == BackoffRecord(0, None)
    assert len(r.create) == 2


def test_a_user_deleted_pod_is_replaced_only_after_the_back_off_even_once_its_object_is_gone() -> None:
    deleted = pod("a", ready=True, deleted=-3)  # deleted by a user, still carrying the finalizer
    first = sync_job(job(status=STARTED), [deleted], NOW, new_name=namer())
    assert first.finalize == ["a"] and first.create == []
    assert first.backoff == BackoffRecord(1, t(-3))
    gone = sync_job(job(status={**STARTED, "failed": 1}), [], NOW, new_name=namer(), backoff=first.backoff)
    assert gone.create == [] and gone.requeue_after == pytest.approx(7.0)


def test_a_finished_job_forgets_its_record() -> None:
    done = job(status={**STARTED, "conditions": [{"type": "Failed", "status": "True"}]})
    assert sync_job(done, [], NOW, new_name=namer(), backoff=BackoffRecord(3, t(-1))).backoff is None
