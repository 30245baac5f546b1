"""Table-driven scenarios for ``sync_cronjob`` over an injected clock (upstream ``cronjob_controllerv2``)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from minik.controllers.cronjob import SCHEDULED_ANNOTATION, sync_cronjob
from minik.k8s import Obj, rfc3339
from tests.unit.controllers import builders

NOW = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
T12 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def name_for(when: datetime, cj: str = "cj") -> str:
    return f"{cj}-{int(when.timestamp()) // 60}"


def cronjob(
    *,
    status: Obj | None = None,
    created: datetime = NOW - timedelta(hours=1),
    meta: Obj | None = None,
    **spec: Any,
) -> Obj:
    return builders.cronjob(created=created, status=status, meta=meta, **spec)


def in_zone(schedule: str, zone: str, *, last_scheduled: str) -> Obj:
    """A CronJob whose schedule is read in the time zone `zone`, last scheduled at `last_scheduled` (UTC)."""
    return cronjob(schedule=schedule, timeZone=zone, status={"lastScheduleTime": last_scheduled})


def ref(name: str) -> Obj:
    return {
        "kind": "Job",
        "namespace": "default",
        "name": name,
        "uid": f"uid-{name}",
        "apiVersion": "batch/v1",
    }


def job(
    name: str, finished: str | None = None, *, start: datetime = NOW, done: datetime | None = None
) -> Obj:
    status: Obj = {"startTime": rfc3339(start)}
    if finished:
        status["conditions"] = [{"type": finished, "status": "True"}]
        if finished == "Complete":
            status["completionTime"] = rfc3339(done or start)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "ownerReferences": [{"kind": "CronJob", "name": "cj", "uid": "cj-uid", "controller": True}],
        },
        "status": status,
    }


@dataclass
class S:
    """One scenario: input, and the parts of the result it pins down."""

    name: str
    cj: Obj
    jobs: list[Obj] = field(default_factory=list)
    now: datetime = NOW
    create: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    events: list[str] | None = None  # "Reason: message" (or just "Reason" to match the reason only)
    status: Obj | None = None  # keys that must be present (None value: must be absent)
    requeue: float | str | None = "any"


LAST_11_55 = {"lastScheduleTime": "2026-01-01T11:55:00Z"}

SCENARIOS = [
    S(
        "first due time after creation: one Job named by minutes since the epoch",
        cronjob(created=NOW - timedelta(seconds=90)),
        create=[name_for(T12)],
        events=[f"SuccessfulCreate: Created job {name_for(T12)}"],
        status={"lastScheduleTime": "2026-01-01T12:00:00Z", "active": None},
        requeue=30.1,
    ),
    S(
        "before the first due time nothing runs; requeue at the next minute plus 100 ms",
        cronjob(created=NOW - timedelta(seconds=20)),
        events=[],
        requeue=30.1,
    ),
    S(
        "the last scheduled time is not run twice",
        cronjob(status={"lastScheduleTime": "2026-01-01T12:00:00Z"}),
        events=[],
        requeue=30.1,
    ),
    S(
        "a Job of that time already in status.active is not created again",
        cronjob(status={"active": [ref(name_for(T12))], "lastScheduleTime": "2026-01-01T11:59:00Z"}),
        jobs=[job(name_for(T12))],
        events=[],
        requeue=30.1,
    ),
    S(
        "after a restart: one Job for the most recent missed time only",
        cronjob(status=LAST_11_55),
        create=[name_for(T12)],
        events=["SuccessfulCreate"],
        status={"lastScheduleTime": "2026-01-01T12:00:00Z"},
    ),
    S(
        "a time older than startingDeadlineSeconds is not started",
        cronjob(startingDeadlineSeconds=20, status=LAST_11_55),
        events=[],
        requeue=30.1,
    ),
    S(
        "a missed time within startingDeadlineSeconds still starts",
        cronjob(startingDeadlineSeconds=60, status=LAST_11_55),
        create=[name_for(T12)],
        events=["SuccessfulCreate"],
    ),
    S(
        "more than 100 missed times: a warning, and the latest still runs",
        cronjob(status={"lastScheduleTime": "2026-01-01T09:00:00Z"}),
        create=[name_for(T12)],
        events=[
            "TooManyMissedTimes: too many missed start times. Set or decrease "
            ".spec.startingDeadlineSeconds or check clock skew",
            "SuccessfulCreate",
        ],
        status={"lastScheduleTime": "2026-01-01T12:00:00Z"},
    ),
    S(
        "a long outage with startingDeadlineSeconds: only the latest time in the window, no warning",
        cronjob(startingDeadlineSeconds=200, status={"lastScheduleTime": "2025-12-20T09:00:00Z"}),
        create=[name_for(T12)],
        events=["SuccessfulCreate"],
    ),
    S(
        "over 100 missed times inside a long startingDeadlineSeconds: a warning, and the latest runs",
        cronjob(startingDeadlineSeconds=3 * 3600, status={"lastScheduleTime": "2026-01-01T07:00:00Z"}),
        create=[name_for(T12)],
        events=["TooManyMissedTimes", f"SuccessfulCreate: Created job {name_for(T12)}"],
        status={"lastScheduleTime": "2026-01-01T12:00:00Z"},
        requeue=30.1,
    ),
    S(
        "an hourly schedule missed for a week (168 times) warns and runs the latest hour",
        cronjob(schedule="@hourly", status={"lastScheduleTime": "2025-12-25T12:00:00Z"}),
        create=[name_for(T12)],
        events=["TooManyMissedTimes", "SuccessfulCreate"],
        requeue=3570.1,
    ),
    S(
        "Allow: a new Job starts while the previous one runs",
        cronjob(status={"active": [ref("cj-1")], "lastScheduleTime": "2026-01-01T11:59:00Z"}),
        jobs=[job("cj-1")],
        create=[name_for(T12)],
        events=["SuccessfulCreate"],
        status={"active": [ref("cj-1")]},
    ),
    S(
        "Forbid: no new Job while one is active",
        cronjob(
            concurrencyPolicy="Forbid",
            status={"active": [ref("cj-1")], "lastScheduleTime": "2026-01-01T11:59:00Z"},
        ),
        jobs=[job("cj-1")],
        events=[
            "JobAlreadyActive: Not starting job because prior execution is running and concurrency policy is Forbid"
        ],
        status={"lastScheduleTime": "2026-01-01T11:59:00Z", "active": [ref("cj-1")]},
        requeue=30.1,
    ),
    S(
        "Forbid: the next time starts once the active Job has finished",
        cronjob(
            concurrencyPolicy="Forbid",
            status={"active": [ref("cj-1")], "lastScheduleTime": "2026-01-01T11:59:00Z"},
        ),
        jobs=[job("cj-1", "Complete")],
        create=[name_for(T12)],
        events=["SawCompletedJob: Saw completed job: cj-1, status: Complete", "SuccessfulCreate"],
        status={"active": None},
    ),
    S(
        "Replace: the active Job is deleted and the new one created",
        cronjob(
            concurrencyPolicy="Replace",
            status={"active": [ref("cj-1")], "lastScheduleTime": "2026-01-01T11:59:00Z"},
        ),
        jobs=[job("cj-1")],
        create=[name_for(T12)],
        delete=["cj-1"],
        events=["SuccessfulDelete: Deleted job cj-1", f"SuccessfulCreate: Created job {name_for(T12)}"],
        status={"active": None},
    ),
    S(
        "suspend: nothing is scheduled and no requeue",
        cronjob(suspend=True, status=LAST_11_55),
        events=[],
        requeue=None,
    ),
    S(
        "a deleting CronJob only updates its status",
        cronjob(meta={"deletionTimestamp": "2026-01-01T12:00:00Z"}, status=LAST_11_55),
        events=[],
        requeue=None,
    ),
    S(
        "a finished active Job leaves status.active; lastSuccessfulTime follows on the next pass",
        cronjob(status={"active": [ref("cj-1")], "lastScheduleTime": "2026-01-01T12:00:00Z"}),
        jobs=[job("cj-1", "Complete", done=NOW - timedelta(seconds=5))],
        events=["SawCompletedJob: Saw completed job: cj-1, status: Complete"],
        status={"active": None, "lastSuccessfulTime": None},
    ),
    S(
        "lastSuccessfulTime is the latest completion of a succeeded Job",
        cronjob(status={"lastScheduleTime": "2026-01-01T12:00:00Z"}),
        jobs=[
            job("cj-1", "Complete", done=NOW - timedelta(seconds=65)),
            job("cj-2", "Complete", done=NOW - timedelta(seconds=5)),
            job("cj-3", "Failed"),
        ],
        events=[],
        status={"lastSuccessfulTime": "2026-01-01T12:00:25Z"},
    ),
    S(
        "a failed active Job leaves status.active with status Failed",
        cronjob(status={"active": [ref("cj-1")], "lastScheduleTime": "2026-01-01T12:00:00Z"}),
        jobs=[job("cj-1", "Failed")],
        events=["SawCompletedJob: Saw completed job: cj-1, status: Failed"],
        status={"active": None, "lastSuccessfulTime": None},
    ),
    S(
        "an unfinished Job it does not list as active (kubectl create --from) is UnexpectedJob",
        cronjob(status={"lastScheduleTime": "2026-01-01T12:00:00Z"}),
        jobs=[job("manual")],
        events=["UnexpectedJob: Saw a job that the controller did not create or forgot: manual"],
        status={"active": None},
    ),
    S(
        "an active Job that no longer exists is MissingJob and leaves status.active",
        cronjob(status={"active": [ref("gone")], "lastScheduleTime": "2026-01-01T12:00:00Z"}),
        events=["MissingJob: Active job went missing: gone"],
        status={"active": None},
    ),
    S(
        "a Job created before a crash (status never written) is taken back, not created again",
        cronjob(status=LAST_11_55),
        jobs=[job(name_for(T12))],
        events=[f"UnexpectedJob: Saw a job that the controller did not create or forgot: {name_for(T12)}"],
        status={"active": [ref(name_for(T12))], "lastScheduleTime": "2026-01-01T12:00:00Z"},
    ),
    S(
        "history: succeeded Jobs beyond successfulJobsHistoryLimit go, oldest start first",
        cronjob(status={"lastScheduleTime": "2026-01-01T12:00:00Z"}),
        jobs=[job(f"cj-{i}", "Complete", start=NOW - timedelta(minutes=10 - i)) for i in (3, 1, 4, 2, 5)],
        delete=["cj-1", "cj-2"],
        events=["SuccessfulDelete: Deleted job cj-1", "SuccessfulDelete: Deleted job cj-2"],
        status={"lastSuccessfulTime": rfc3339(NOW - timedelta(minutes=5))},
    ),
    S(
        "history: failed Jobs beyond failedJobsHistoryLimit go; running Jobs are never counted",
        cronjob(status={"active": [ref("run")], "lastScheduleTime": "2026-01-01T12:00:00Z"}),
        jobs=[job("f1", "Failed", start=NOW - timedelta(minutes=3)), job("f2", "Failed"), job("run")],
        delete=["f1"],
        events=["SuccessfulDelete: Deleted job f1"],
        status={"active": [ref("run")]},
    ),
    S(
        "history: a limit of 0 keeps no finished Job, and one unset keeps all",
        cronjob(
            successfulJobsHistoryLimit=0,
            failedJobsHistoryLimit=None,
            status={"lastScheduleTime": "2026-01-01T12:00:00Z"},
        ),
        jobs=[job("ok", "Complete"), job("bad", "Failed")],
        delete=["ok"],
        events=["SuccessfulDelete: Deleted job ok"],
    ),
    S(
        "history: Jobs without startTime are deleted last, by name",
        cronjob(successfulJobsHistoryLimit=1, status={"lastScheduleTime": "2026-01-01T12:00:00Z"}),
        jobs=[
            {**job("b", "Complete"), "status": {"conditions": [{"type": "Complete", "status": "True"}]}},
            {**job("a", "Complete"), "status": {"conditions": [{"type": "Complete", "status": "True"}]}},
            job("z", "Complete"),
        ],
        delete=["z", "a"],
    ),
    S(
        "TZ in a schedule stored before validation rejected it: a warning, and it still runs",
        cronjob(schedule="CRON_TZ=UTC * * * * *", status=LAST_11_55),
        create=[name_for(T12)],
        events=["UnsupportedSchedule", "SuccessfulCreate"],
    ),
    S(
        "timeZone: the schedule is read in that zone (09:00 Berlin is 08:00 UTC)",
        in_zone("0 9 * * *", "Europe/Berlin", last_scheduled="2025-12-31T08:00:00Z"),
        now=t("2026-01-01T08:00:05Z"),
        create=[name_for(t("2026-01-01T08:00:00Z"))],
        status={"lastScheduleTime": "2026-01-01T08:00:00Z"},
        requeue=86395.1,
    ),
    S(
        "DST spring forward: 02:30 New York does not exist on 8 March, the next run is 9 March",
        in_zone("30 2 * * *", "America/New_York", last_scheduled="2026-03-07T07:30:00Z"),
        now=t("2026-03-08T08:00:00Z"),
        events=[],
        requeue=(t("2026-03-09T06:30:00Z") - t("2026-03-08T08:00:00Z")).total_seconds() + 0.1,
    ),
    S(
        "DST fall back: 01:30 New York runs again in the repeated hour",
        in_zone("30 1 * * *", "America/New_York", last_scheduled="2026-11-01T05:30:00Z"),
        now=t("2026-11-01T06:45:00Z"),
        create=[name_for(t("2026-11-01T06:30:00Z"))],
        status={"lastScheduleTime": "2026-11-01T06:30:00Z"},
    ),
    S(
        "DST fall back: after the first 01:30 New York the next run is one hour later",
        in_zone("30 1 * * *", "America/New_York", last_scheduled="2026-11-01T05:30:00Z"),
        now=t("2026-11-01T05:31:00Z"),
        events=[],
        requeue=3540.1,
    ),
    S(
        "DST: a daily 09:00 keeps local time across the change (13:00 UTC, then 14:00 UTC)",
        in_zone("0 9 * * *", "America/New_York", last_scheduled="2026-10-31T13:00:00Z"),
        now=t("2026-11-01T14:00:30Z"),
        create=[name_for(t("2026-11-01T14:00:00Z"))],
    ),
]

# A schedule or zone that cannot be read: no Job, one warning event naming the problem, and no requeue.
STOPPED = [
    ("an unknown timeZone stops scheduling with a warning", {"timeZone": "Mars/Olympus_Mons"},
     'UnknownTimeZone: invalid timeZone: "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons'),
    ("an unparseable schedule stops scheduling with a warning", {"schedule": "61 * * * *"},
     'UnparseableSchedule: unparseable schedule: "61 * * * *" : end of range (61) above maximum (59): 61'),
    ("a schedule that never fires (31 February) is InvalidSchedule", {"schedule": "0 0 31 2 *"},
     "InvalidSchedule: invalid schedule: 0 0 31 2 * : time difference between two schedules is less than 1 second"),
]  # fmt: skip
SCENARIOS += [
    S(name, cronjob(status=LAST_11_55, **spec), events=[event], requeue=None) for name, spec, event in STOPPED
]


def _event_text(ev: Any) -> str:
    return f"{ev.reason}: {ev.message}"


@pytest.mark.parametrize("s", SCENARIOS, ids=lambda s: s.name)
def test_cronjob_sync_scenario(s: S) -> None:
    before = json.dumps([s.cj, s.jobs], sort_keys=True)
    res = sync_cronjob(s.cj, copy.deepcopy(s.jobs), s.now)
    assert json.dumps([s.cj, s.jobs], sort_keys=True) == before, "inputs were mutated"
    assert [meta["metadata"]["name"] for meta in res.create] == s.create
    assert res.delete == s.delete
    if s.events is not None:
        got = [
            _event_text(e) if ":" in want else e.reason for e, want in zip(res.events, s.events, strict=False)
        ]
        assert len(res.events) == len(s.events), [_event_text(e) for e in res.events]
        assert got == s.events
    for key, value in (s.status or {}).items():
        if value is None:
            assert key not in res.status, res.status
        else:
            assert res.status.get(key) == value
    if s.requeue != "any":
        if s.requeue is None:
            assert res.requeue_after is None
        else:
            assert res.requeue_after == pytest.approx(s.requeue)


def test_the_job_carries_the_template_and_its_scheduled_time() -> None:
    res = sync_cronjob(
        cronjob(timeZone="Europe/Berlin", status=LAST_11_55, startingDeadlineSeconds=100), [], NOW
    )
    (created,) = res.create
    assert created["metadata"] == {
        "name": name_for(T12),
        "namespace": "default",
        "labels": {"app": "hello"},
        "annotations": {"team": "a", SCHEDULED_ANNOTATION: "2026-01-01T13:00:00+01:00"},
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": "cj",
                "uid": "cj-uid",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }
    assert created["spec"] == cronjob()["spec"]["jobTemplate"]["spec"]
    assert created["apiVersion"] == "batch/v1" and created["kind"] == "Job"


def test_without_time_zone_the_scheduled_timestamp_is_utc() -> None:
    (created,) = sync_cronjob(cronjob(status=LAST_11_55), [], NOW).create
    assert created["metadata"]["annotations"][SCHEDULED_ANNOTATION] == "2026-01-01T12:00:00Z"


def test_a_running_clock_creates_one_job_per_minute_and_never_twice() -> None:
    """Drive the pure controller with an injected clock, feeding its own results back."""
    cj = cronjob(created=T12 - timedelta(seconds=1))
    jobs: list[Obj] = []
    now = T12
    created: list[str] = []
    for _ in range(10):
        res = sync_cronjob(cj, jobs, now)
        for new in res.create:
            j = copy.deepcopy(new)
            j["metadata"]["uid"] = f"uid-{j['metadata']['name']}"
            jobs.append(j)
            res.status.setdefault("active", []).append(ref(j["metadata"]["name"]))
            created.append(j["metadata"]["name"])
        cj = {**cj, "status": res.status}
        assert res.requeue_after is not None
        now += timedelta(seconds=res.requeue_after)
    assert created == [name_for(T12 + timedelta(minutes=i)) for i in range(10)]
