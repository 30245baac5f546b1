"""The CronJob controller's reconcile pass: ``sync_cronjob(cronjob, jobs, now) -> SyncResult``.

Owns the order of decisions of upstream ``ControllerV2.sync``: clean up
finished Jobs beyond the history limits, then ``syncCronJob`` — reconcile
``status.active`` with the Jobs that exist (UnexpectedJob, SawCompletedJob,
MissingJob, lastSuccessfulTime), stop for a deleting or suspended CronJob or
an unknown zone or schedule, find the most recent unmet time (TooManyMissedTimes
past 100), honour startingDeadlineSeconds (MissSchedule), never run one time
twice, apply concurrencyPolicy (Forbid: JobAlreadyActive; Replace: delete the
active Jobs), create the Job and say when to come back. Pure: no I/O, no clock.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from minik import cron
from minik.controllers.cronjob import schedule as sch
from minik.controllers.cronjob.jobs import cleanup_finished_jobs, finished_type, job_from_template, job_name
from minik.controllers.cronjob.result import SyncResult, job_ref
from minik.controllers.event import ControllerEvent
from minik.gotime import rfc1123z
from minik.k8s import Obj, meta, parse_time, rfc3339

TOO_MANY_MISSED = (
    "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew"
)


class _Sync:
    def __init__(self, cj: Obj, jobs: list[Obj], now: datetime) -> None:
        self.cj = copy.deepcopy(cj)  # the working copy (``cronJobCopy``); inputs stay untouched
        self.status: Obj = self.cj.setdefault("status", {})
        self.jobs = jobs
        self.now = now
        self.create: list[Obj] = []
        self.delete: list[str] = []
        self.events: list[ControllerEvent] = []

    def event(self, type_: str, reason: str, message: str) -> None:
        self.events.append(ControllerEvent(type_, reason, message))

    def active(self) -> list[Obj]:
        return list(self.status.get("active") or [])

    def drop_active(self, uid: str) -> None:
        left = [r for r in self.active() if r.get("uid") != uid]
        if left:
            self.status["active"] = left
        else:
            self.status.pop("active", None)

    def delete_job(self, job: Obj) -> None:
        name = str(meta(job).get("name"))
        if name not in self.delete:
            self.delete.append(name)
        self.drop_active(str(meta(job).get("uid")))
        self.event("Normal", "SuccessfulDelete", f"Deleted job {name}")

    # -- the pass -----------------------------------------------------------------

    def run(self) -> SyncResult:
        cleanup = cleanup_finished_jobs(self.cj, self.jobs)
        for job in cleanup.delete:
            self.delete.append(str(meta(job).get("name")))
            self.drop_active(str(meta(job).get("uid")))
        self.events += cleanup.events
        requeue = self.sync()
        return SyncResult(
            status=self.status,
            create=self.create,
            delete=self.delete,
            events=self.events,
            requeue_after=requeue,
        )

    def reconcile_active(self) -> None:
        uids = {str(r.get("uid")) for r in self.active()}
        for job in self.jobs:
            jm = meta(job)
            found = str(jm.get("uid")) in uids
            finished = finished_type(job)
            if not found and finished is None:
                self.event(
                    "Warning",
                    "UnexpectedJob",
                    f"Saw a job that the controller did not create or forgot: {jm.get('name')}",
                )
            elif found and finished is not None:
                self.drop_active(str(jm.get("uid")))
                self.event(
                    "Normal", "SawCompletedJob", f"Saw completed job: {jm.get('name')}, status: {finished}"
                )
            elif finished == "Complete":
                done = parse_time((job.get("status") or {}).get("completionTime"))
                last = parse_time(self.status.get("lastSuccessfulTime"))
                if done is not None and (last is None or done > last):
                    self.status["lastSuccessfulTime"] = rfc3339(done)
        existing = {str(meta(j).get("uid")) for j in self.jobs}
        for ref in self.active():
            if str(ref.get("uid")) not in existing:
                self.event("Normal", "MissingJob", f"Active job went missing: {ref.get('name')}")
                self.drop_active(str(ref.get("uid")))

    def sync(self) -> float | None:
        self.reconcile_active()
        spec = self.cj.get("spec") or {}
        if meta(self.cj).get("deletionTimestamp"):
            return None
        zone = spec.get("timeZone")
        if zone is not None:
            try:
                cron.load_zone(zone)
            except cron.CronError as exc:
                self.event("Warning", "UnknownTimeZone", f'invalid timeZone: "{zone}": {exc}')
                return None
        if spec.get("suspend") is True:
            return None
        raw = str(spec.get("schedule") or "")
        if "TZ" in raw:
            self.event(
                "Warning",
                "UnsupportedSchedule",
                f'CRON_TZ or TZ used in schedule "{raw}" is not officially supported, see '
                "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details",
            )
        try:
            sched = cron.parse(sch.formatted_schedule(self.cj))
        except cron.CronError as exc:
            self.event("Warning", "UnparseableSchedule", f'unparseable schedule: "{raw}" : {exc}')
            return None
        recent = sch.most_recent_schedule_time(self.cj, self.now, sched, with_deadline=True)
        scheduled = recent.most_recent
        if scheduled is not None and recent.missed == sch.MANY:
            self.event("Warning", "TooManyMissedTimes", TOO_MANY_MISSED)
        if recent.error is not None:
            self.event("Warning", "InvalidSchedule", f"invalid schedule: {raw} : {recent.error}")
            return None
        if scheduled is None:
            return sch.next_schedule_delay(self.cj, self.now, sched)
        return self.start(spec, sched, scheduled)

    def start(self, spec: Obj, sched: cron.Schedule, scheduled: datetime) -> float | None:
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None and (scheduled - self.now).total_seconds() + int(deadline) < 0:
            self.event(
                "Warning",
                "MissSchedule",
                f"Missed scheduled time to start a job: {rfc1123z(scheduled.astimezone(UTC))}",
            )
            return sch.next_schedule_delay(self.cj, self.now, sched)
        name = job_name(self.cj, scheduled)
        if (
            any(r.get("name") == name for r in self.active())
            or parse_time(self.status.get("lastScheduleTime")) == scheduled
        ):
            return sch.next_schedule_delay(self.cj, self.now, sched)
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and self.active():
            self.event(
                "Normal",
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid",
            )
            return sch.next_schedule_delay(self.cj, self.now, sched)
        if policy == "Replace":
            by_uid = {str(meta(j).get("uid")): j for j in self.jobs}
            for ref in self.active():
                job = by_uid.get(str(ref.get("uid")))
                if job is not None:
                    self.delete_job(job)
        existing = next((j for j in self.jobs if meta(j).get("name") == name), None)
        if existing is not None:  # created before a crash, status not written: adopt it again
            self.status["active"] = [*self.active(), job_ref(existing)]
        else:
            self.create.append(job_from_template(self.cj, scheduled))
            self.event("Normal", "SuccessfulCreate", f"Created job {name}")
        self.status["lastScheduleTime"] = rfc3339(scheduled)
        return sch.next_schedule_delay(self.cj, self.now, sched)


def sync_cronjob(cronjob: Obj, jobs: list[Obj], now: datetime) -> SyncResult:
    """One reconcile pass of the CronJob controller over ``cronjob`` and the Jobs it controls.

    ``jobs`` = every Job whose controller ownerReference names this CronJob.
    The inputs are never mutated.
    """
    return _Sync(cronjob, jobs, now).run()
