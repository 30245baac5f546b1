"""The CronJob's Jobs: building one from the template, reading their outcome, history limits.

Owns ``getJobFromTemplate2`` (name ``<cronjob>-<minutes since epoch>``,
template labels and annotations, the scheduled-timestamp annotation in the
CronJob's zone, a controller ownerReference), the finished/succeeded
predicates, and ``cleanupFinishedJobs``: the oldest finished Jobs (by start
time, then name) beyond ``successfulJobsHistoryLimit`` /
``failedJobsHistoryLimit`` are deleted. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from minik import cron
from minik.controllers.event import ControllerEvent
from minik.jobtemplate import job_from_cronjob
from minik.k8s import Obj, meta, parse_time
from minik.resources import CRONJOB_SCHEDULED_KEY

SCHEDULED_ANNOTATION = CRONJOB_SCHEDULED_KEY


def job_name(cj: Obj, scheduled: datetime) -> str:
    """``<cronjob>-<scheduled time in minutes since the epoch>``."""
    return f"{meta(cj).get('name', '')}-{int(scheduled.timestamp()) // 60}"


def go_rfc3339(t: datetime, zone: tzinfo) -> str:
    """Go's ``Format(time.RFC3339)`` in ``zone``: ``Z`` for a zero offset, else ``+hh:mm``."""
    local = t.astimezone(zone)
    offset = local.utcoffset()
    stamp = local.strftime("%Y-%m-%dT%H:%M:%S")
    if not offset:
        return stamp + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{stamp}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def job_from_template(cj: Obj, scheduled: datetime) -> Obj:
    """The Job the controller creates for ``scheduled`` (the API server defaults it)."""
    try:
        zone = cron.load_zone((cj.get("spec") or {}).get("timeZone") or "")
    except cron.CronError:
        zone = UTC
    return job_from_cronjob(
        cj,
        name=job_name(cj, scheduled),
        namespace=meta(cj).get("namespace", "default"),
        after={SCHEDULED_ANNOTATION: go_rfc3339(scheduled, zone)},
        block_owner_deletion=True,
    )


def finished_type(job: Obj) -> str | None:
    """``Complete`` or ``Failed`` when that condition is True (``getFinishedStatus``), else None."""
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return str(c["type"])
    return None


def _start_key(job: Obj) -> tuple[int, datetime, str]:
    start = parse_time((job.get("status") or {}).get("startTime"))
    never = datetime.max.replace(tzinfo=UTC)
    return (1 if start is None else 0, start or never, str(meta(job).get("name", "")))


@dataclass
class Cleanup:
    """What ``cleanupFinishedJobs`` decided."""

    delete: list[Obj] = field(default_factory=list)
    events: list[ControllerEvent] = field(default_factory=list)


def cleanup_finished_jobs(cj: Obj, jobs: list[Obj]) -> Cleanup:
    """The oldest finished Jobs beyond the history limits, to delete (upstream order, upstream events)."""
    spec = cj.get("spec") or {}
    out = Cleanup()
    for kind, limit in (
        ("Complete", spec.get("successfulJobsHistoryLimit")),
        ("Failed", spec.get("failedJobsHistoryLimit")),
    ):
        if limit is None:
            continue
        done = sorted((j for j in jobs if finished_type(j) == kind), key=_start_key)
        for j in done[: max(0, len(done) - int(limit))]:
            out.delete.append(j)
            out.events.append(
                ControllerEvent("Normal", "SuccessfulDelete", f"Deleted job {meta(j).get('name')}")
            )
    return out
