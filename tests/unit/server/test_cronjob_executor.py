"""The CronJob executor over a real store and an injected clock: restarts, Job creation, garbage."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from minik import manifest
from minik.controllers.cronjob import SCHEDULED_ANNOTATION
from minik.k8s import Obj, meta, rfc3339
from minik.registry import Registry
from minik.server import garbage
from minik.server.cronjobs import CronJobExecutor

START = datetime(2026, 3, 1, 12, 0, 10, tzinfo=UTC)


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Registry]:
    s = Registry.open(tmp_path / "minik.db", clock=clock)
    yield s
    s.close()


def cronjob(**spec: object) -> Obj:
    doc: Obj = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "tick"},
        "spec": {
            "schedule": "* * * * *",
            "jobTemplate": {
                "metadata": {"labels": {"app": "tick"}},
                "spec": {
                    "template": {
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}
                    }
                },
            },
            **spec,
        },
    }
    return manifest.default_object(doc)


def events(store: Registry) -> list[str]:
    return [f"{e['reason']}: {e['message']}" for e in store.list("events", "default")[0]]


def test_a_due_time_creates_a_defaulted_job_and_lists_it_as_active(store: Registry, clock: Clock) -> None:
    store.create("cronjobs", cronjob())
    ex = CronJobExecutor(store, clock=clock)
    delay, _ = ex.sync(("default", "tick"))
    assert store.list("jobs", "default")[0] == []
    assert delay == pytest.approx(50.1)
    clock.t = START + timedelta(seconds=51)
    delay, _ = ex.sync(("default", "tick"))
    (job,) = store.list("jobs", "default")[0]
    name = f"tick-{int(datetime(2026, 3, 1, 12, 1, tzinfo=UTC).timestamp()) // 60}"
    assert meta(job)["name"] == name
    assert meta(job)["annotations"][SCHEDULED_ANNOTATION] == "2026-03-01T12:01:00Z"
    assert job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"] == meta(job)["uid"]
    assert job["spec"]["backoffLimit"] == 6 and meta(job)["labels"] == {"app": "tick"}
    cj = store.get("cronjobs", "default", "tick")
    assert cj["status"]["lastScheduleTime"] == "2026-03-01T12:01:00Z"
    assert [r["uid"] for r in cj["status"]["active"]] == [meta(job)["uid"]]
    assert events(store) == [f"SuccessfulCreate: Created job {name}"]
    assert delay == pytest.approx(59.1)


def test_after_a_long_outage_a_restart_creates_one_job_for_the_latest_time(
    store: Registry, clock: Clock
) -> None:
    store.create("cronjobs", cronjob())
    clock.t = START + timedelta(hours=3, seconds=5)  # the server was down for three hours
    ex = CronJobExecutor(store, clock=clock)
    ex.sync(("default", "tick"))
    (job,) = store.list("jobs", "default")[0]
    assert meta(job)["annotations"][SCHEDULED_ANNOTATION] == "2026-03-01T15:00:00Z"
    assert any(e.startswith("TooManyMissedTimes: too many missed start times") for e in events(store))
    ex.sync(("default", "tick"))
    assert len(store.list("jobs", "default")[0]) == 1, "a second sync must not create the same time again"


def test_a_restart_within_starting_deadline_catches_up_and_one_outside_does_not(
    store: Registry, clock: Clock
) -> None:
    store.create("cronjobs", cronjob(schedule="0 * * * *", startingDeadlineSeconds=300))
    ex = CronJobExecutor(store, clock=clock)
    clock.t = datetime(2026, 3, 1, 13, 4, tzinfo=UTC)
    ex.sync(("default", "tick"))
    assert len(store.list("jobs", "default")[0]) == 1
    clock.t = datetime(2026, 3, 1, 14, 6, tzinfo=UTC)  # 14:00 is more than 300 s ago
    ex.sync(("default", "tick"))
    assert len(store.list("jobs", "default")[0]) == 1


def test_the_test_only_rate_runs_a_cronjob_clock_faster(store: Registry, clock: Clock) -> None:
    store.create("cronjobs", cronjob())
    ex = CronJobExecutor(store, clock=clock, rate=60)
    clock.t = START + timedelta(seconds=1)  # one real second is one minute for this CronJob
    delay, _ = ex.sync(("default", "tick"))
    assert len(store.list("jobs", "default")[0]) == 1
    assert delay is not None and delay < 1.0


def test_deleting_a_cronjob_lets_the_collector_delete_its_jobs(store: Registry, clock: Clock) -> None:
    store.create("cronjobs", cronjob())
    clock.t = START + timedelta(minutes=1)
    ex = CronJobExecutor(store, clock=clock)
    ex.sync(("default", "tick"))
    assert len(store.list("jobs", "default")[0]) == 1
    store.delete("cronjobs", "default", "tick")  # the default for a CronJob is background
    garbage.collect(store)
    assert store.list("jobs", "default")[0] == []


def test_deleting_a_cronjob_with_orphan_keeps_its_jobs_without_owner(store: Registry, clock: Clock) -> None:
    store.create("cronjobs", cronjob())
    clock.t = START + timedelta(minutes=1)
    ex = CronJobExecutor(store, clock=clock)
    ex.sync(("default", "tick"))
    store.delete("cronjobs", "default", "tick", propagation="Orphan")
    garbage.collect(store)
    (job,) = store.list("jobs", "default")[0]
    assert "ownerReferences" not in meta(job)
    assert store.list("cronjobs", "default")[0] == []


def test_history_limits_delete_old_jobs_through_the_store(store: Registry, clock: Clock) -> None:
    store.create("cronjobs", cronjob(successfulJobsHistoryLimit=1))
    ex = CronJobExecutor(store, clock=clock)
    for minute in (1, 2, 3):
        clock.t = START + timedelta(minutes=minute)
        ex.sync(("default", "tick"))
        for job in store.list("jobs", "default")[0]:
            if not (job.get("status") or {}).get("conditions"):
                job["status"] = {
                    "startTime": rfc3339(clock.t),
                    "completionTime": rfc3339(clock.t),
                    "conditions": [{"type": "Complete", "status": "True"}],
                }
                store.update("jobs", job, status_only=True)
    _, deleted = ex.sync(("default", "tick"))
    assert deleted
    (left,) = store.list("jobs", "default")[0]
    assert meta(left)["annotations"][SCHEDULED_ANNOTATION] == "2026-03-01T12:03:00Z"
    ex.sync(("default", "tick"))  # the status write wakes the key; that pass records the success
    cj = store.get("cronjobs", "default", "tick")
    assert cj["status"]["lastSuccessfulTime"] == rfc3339(START + timedelta(minutes=3))
    assert "active" not in cj["status"]


def test_a_schedule_change_is_synced_at_the_new_next_time_and_other_changes_at_once(
    store: Registry, clock: Clock
) -> None:
    """Upstream ``updateCronJob``: a new schedule does not start a missed time of its own at once."""
    old = store.create("cronjobs", cronjob(schedule="0 0 * * *"))
    ex = CronJobExecutor(store, clock=clock)
    new = {**old, "spec": {**old["spec"], "schedule": "*/5 * * * *"}}
    assert ex.wake_delay(old, new) == pytest.approx(4 * 60 + 50 + 0.1)  # 12:00:10 → 12:05:00
    suspended = {**old, "spec": {**old["spec"], "suspend": True}}
    assert ex.wake_delay(old, suspended) == 0.0
    assert ex.wake_delay(None, new) == 0.0
