"""minik.controllers.cronjob — the pure Kubernetes CronJob controller.

``sync_cronjob(cronjob, jobs, now) -> SyncResult`` decides; the executor in
``minik.server`` acts. Layout follows upstream ``pkg/controller/cronjob``:
``sync`` orchestrates (``cronjob_controllerv2.go``); ``schedule`` owns the
due-time arithmetic and ``jobs`` the Jobs (``utils.go``); ``result`` the
returned values. Schedules are parsed by :mod:`minik.cron`.
"""

from minik.controllers.cronjob.jobs import SCHEDULED_ANNOTATION, job_name
from minik.controllers.cronjob.result import SyncResult, job_ref
from minik.controllers.cronjob.schedule import delay_after_schedule_change
from minik.controllers.cronjob.sync import sync_cronjob
from minik.controllers.event import ControllerEvent

__all__ = [
    "SCHEDULED_ANNOTATION",
    "ControllerEvent",
    "SyncResult",
    "delay_after_schedule_change",
    "job_name",
    "job_ref",
    "sync_cronjob",
]
