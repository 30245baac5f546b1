"""When a CronJob's next Job is due: upstream ``mostRecentScheduleTime`` and friends (``utils.go``).

Owns the most recent unmet schedule time (from ``lastScheduleTime`` or the
creation time, moved up to ``now - startingDeadlineSeconds``), upstream's
approximate count of missed times (more than 100 is "many"), the requeue
delay to the next time (+100 ms), and the schedule a CronJob means
(``TZ=<timeZone>`` prepended, as ``formatSchedule`` does). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from minik import cron
from minik.k8s import Obj, meta, parse_time

NEXT_SCHEDULE_DELTA = 0.1
"""Upstream pads every requeue by 100 ms against clock skew."""
MANY_MISSED = 100

NONE, FEW, MANY = "none", "few", "many"


@dataclass(frozen=True)
class Recent:
    earliest: datetime
    most_recent: datetime | None
    missed: str
    error: str | None = None


def formatted_schedule(cj: Obj) -> str:
    """``formatSchedule``: a valid ``timeZone`` becomes a ``TZ=`` prefix (unless the schedule has TZ)."""
    spec = cj.get("spec") or {}
    schedule = str(spec.get("schedule") or "")
    zone = spec.get("timeZone")
    if "TZ" in schedule or zone is None:
        return schedule
    try:
        cron.load_zone(zone)
    except cron.CronError:
        return schedule
    return f"TZ={zone} {schedule}"


def most_recent_schedule_time(cj: Obj, now: datetime, sched: cron.Schedule, *, with_deadline: bool) -> Recent:
    """``mostRecentScheduleTime``: the latest due time not after ``now`` since the last one."""
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    earliest = (
        parse_time(status.get("lastScheduleTime")) or parse_time(meta(cj).get("creationTimestamp")) or now
    )
    deadline = spec.get("startingDeadlineSeconds")
    if with_deadline and deadline is not None:
        scheduling_deadline = now - timedelta(seconds=int(deadline))
        earliest = max(earliest, scheduling_deadline)
    t1 = sched.next(earliest)
    if t1 is not None and now < t1:
        return Recent(earliest, None, NONE)
    t2 = sched.next(t1) if t1 is not None else None
    if t1 is not None and t2 is not None and now < t2:
        return Recent(earliest, t1, NONE)
    between = round((t2 - t1).total_seconds()) if t1 is not None and t2 is not None else 0
    if t1 is None or between < 1:
        return Recent(earliest, None, NONE, "time difference between two schedules is less than 1 second")
    elapsed = int((now - t1).total_seconds())
    missed_count = elapsed // between + 1
    # Start one interval before the estimate and let the schedule walk to now.
    t: datetime | None = sched.next(t1 + timedelta(seconds=(missed_count - 2) * between))
    most_recent = None
    while t is not None and t <= now:
        most_recent = t
        t = sched.next(t)
    missed = MANY if missed_count > MANY_MISSED else FEW if missed_count > 0 else NONE
    return Recent(earliest, most_recent, missed)


def next_schedule_delay(cj: Obj, now: datetime, sched: cron.Schedule) -> float | None:
    """``nextScheduleTimeDuration``: seconds until the next due time after the most recent one."""
    r = most_recent_schedule_time(cj, now, sched, with_deadline=False)
    base = r.most_recent
    if r.error is not None:
        base = now
    elif base is None:
        base = r.earliest if r.missed == NONE else now
    nxt = sched.next(base)
    if nxt is None:
        return None
    return (nxt - now).total_seconds() + NEXT_SCHEDULE_DELTA


def delay_after_schedule_change(cj: Obj, now: datetime) -> float | None:
    """``updateCronJob``: a changed schedule or zone is next synced at its next time, not at once.

    ``None`` when the new schedule does not parse (validation keeps that from happening).
    """
    try:
        sched = cron.parse(formatted_schedule(cj))
    except cron.CronError:
        return None
    return next_schedule_delay(cj, now, sched)
