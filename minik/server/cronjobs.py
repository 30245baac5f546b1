"""The CronJob executor: runs :func:`minik.controllers.cronjob.sync_cronjob` for one key and acts.

Owns reading a CronJob and the Jobs it controls from the store, the
controller's clock (the injected one; with ``MINIK_CRON_TIME_RATE`` > 1, a
test-only per-CronJob clock that runs that many times faster from the
CronJob's creation), and carrying out one result in one store transaction:
delete Jobs (background propagation, so their pods follow), create Jobs as
the API server would (defaults, generated selector, validation), write the
status with a reference to each created Job, record the events, and
requeue at the next schedule time. It decides nothing itself.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from minik import manifest
from minik.controllers.cronjob import delay_after_schedule_change, job_ref, sync_cronjob
from minik.errors import AlreadyExists, NotFound
from minik.k8s import Obj, controller_of, meta, parse_time
from minik.registry import Registry

log = logging.getLogger("minik.server")
COMPONENT = "cronjob-controller"

Key = tuple[str, str]


class CronJobExecutor:
    """One CronJob sync at a time per key (the control plane's work queue calls :meth:`sync`)."""

    def __init__(self, registry: Registry, *, clock: Callable[[], datetime], rate: float = 1.0) -> None:
        self.registry = registry
        self.clock = clock
        self.rate = rate

    def now_for(self, cj: Obj) -> datetime:
        """The controller's ``now`` for ``cj`` (test-only acceleration when ``rate`` > 1)."""
        real = self.clock()
        if self.rate == 1.0:
            return real
        created = parse_time(meta(cj).get("creationTimestamp")) or real
        return created + (real - created) * self.rate

    def wake_delay(self, old: Obj | None, new: Obj) -> float:
        """How long after a CronJob change its key is synced (upstream ``updateCronJob``).

        A changed schedule or timeZone: at the new next time (real seconds);
        anything else: at once.
        """
        os_, ns = (old or {}).get("spec") or {}, new.get("spec") or {}
        if old is None or (os_.get("schedule"), os_.get("timeZone")) == (
            ns.get("schedule"),
            ns.get("timeZone"),
        ):
            return 0.0
        delay = delay_after_schedule_change(new, self.now_for(new))
        return 0.0 if delay is None else max(0.0, delay / self.rate)

    def sync(self, key: Key) -> tuple[float | None, bool]:
        """(real seconds until the next sync or None, whether Jobs were deleted)."""
        ns, name = key
        try:
            cj = self.registry.get("cronjobs", ns, name)
        except NotFound:
            return None, False
        items, _ = self.registry.list("jobs", ns, shared=True)
        jobs = [
            j
            for j in items
            if (ref := controller_of(j)) is not None
            and ref.get("kind") == "CronJob"
            and ref.get("name") == name
        ]
        res = sync_cronjob(cj, jobs, self.now_for(cj))
        status = dict(res.status)
        failed: set[str] = set()
        with self.registry.transaction():
            for job_name in res.delete:
                try:
                    self.registry.delete("jobs", ns, job_name, propagation="Background")
                except NotFound:
                    pass
            for job in res.create:
                created = self._create_job(cj, job)
                if created is None:  # invalid, or a Job of that name that is not ours: nothing was scheduled
                    failed.add(f"Created job {meta(job).get('name')}")
                    old = (cj.get("status") or {}).get("lastScheduleTime")
                    if old is None:
                        status.pop("lastScheduleTime", None)
                    else:
                        status["lastScheduleTime"] = old
                else:
                    status["active"] = [*(status.get("active") or []), job_ref(created)]
            if status != (cj.get("status") or {}):
                cj["status"] = status
                self.registry.update("cronjobs", cj, status_only=True)
            for ev in res.events:
                if ev.reason == "SuccessfulCreate" and ev.message in failed:
                    continue
                self.registry.record_event(
                    cj, type=ev.type, reason=ev.reason, message=ev.message, component=COMPONENT
                )
        delay = None if res.requeue_after is None else max(0.0, res.requeue_after / self.rate)
        return delay, bool(res.delete)

    def _create_job(self, cj: Obj, job: Obj) -> Obj | None:
        """Create ``job`` as the API server would; ``None`` when the name is taken by a Job not ours."""
        uid = str(uuid.uuid4())
        obj = manifest.default_object(job, uid=uid)
        errors, _ = manifest.validate_object(obj)
        if errors:
            text = ", ".join(f"{e.path}: {e.body()}" for e in errors)
            self._event(
                cj,
                "Warning",
                "FailedCreate",
                f'Error creating job: Job.batch "{meta(job)["name"]}" is invalid: {text}',
            )
            return None
        meta(obj)["uid"] = uid
        try:
            return self.registry.create("jobs", obj)
        except AlreadyExists:
            log.info("cronjob %s: job %s already exists", meta(cj).get("name"), meta(job).get("name"))
            return None

    def _event(self, cj: Obj, type_: str, reason: str, message: str) -> None:
        self.registry.record_event(cj, type=type_, reason=reason, message=message, component=COMPONENT)
