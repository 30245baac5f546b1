"""``batch/v1`` CronJob validation (upstream ``ValidateCronJobCreate``/``Update``).

Owns, in the API server's order: object metadata (a DNS subdomain), the
schedule (robfig's ``ParseStandard`` messages; ``TZ``/``CRON_TZ`` in it
rejected unless the stored object already had one), startingDeadlineSeconds,
timeZone (IANA name rules, not ``Local``, and present in the system's zone
database), concurrencyPolicy, the ``jobTemplate`` validated as a Job spec
(no selector, no manualSelector), the history limits, and the 52-character
name limit on create. Pure functions over schema-valid, defaulted dicts.
"""

from __future__ import annotations

import re
from typing import Any

from minik import cron
from minik.errors import FieldError
from minik.manifest import fields as f
from minik.manifest import rules_meta as m
from minik.manifest.rules_job import job_spec_errors

SPEC = ("spec",)
POLICIES = ("Allow", "Forbid", "Replace")
MAX_NAME = 52
_ZONE_PART = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}$")


def _schedule(schedule: str, old_schedule: str | None, zone: str | None) -> list[FieldError]:
    path = (*SPEC, "schedule")
    if not schedule:
        return [f.required(path)]
    errors: list[FieldError] = []
    try:
        cron.parse(schedule)
    except cron.CronError as exc:
        errors.append(f.invalid(path, schedule, str(exc)))
    allow_tz = old_schedule is not None and "TZ" in old_schedule
    if allow_tz and "TZ" in schedule and zone is not None:
        errors.append(
            f.invalid(path, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule")
        )
    elif not allow_tz and "TZ" in schedule:
        errors.append(
            f.invalid(path, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
        )
    return errors


def time_zone_errors(zone: str | None) -> list[FieldError]:
    """Upstream ``validateTimeZone``: IANA naming rules, not ``Local``, known to the zone database."""
    path = (*SPEC, "timeZone")
    if zone is None:
        return []
    if zone == "":
        return [f.invalid(path, zone, "timeZone must be nil or non-empty string")]
    for part in zone.split("/"):
        if part in (".", "..") or part.startswith("-") or not _ZONE_PART.match(part):
            return [f.invalid(path, zone, f"unknown time zone {zone}")]
    errors: list[FieldError] = []
    if zone.lower() == "local":
        errors.append(
            f.invalid(
                path,
                zone,
                "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
            )
        )
    if zone == "Local":  # Go's LoadLocation("Local") is the process's zone: no second error
        return errors
    try:
        cron.load_zone(zone)
    except cron.CronError as exc:
        errors.append(f.invalid(path, zone, str(exc)))
    return errors


def _spec(spec: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    errors = _schedule(
        spec.get("schedule") or "", None if old is None else (old.get("schedule") or ""), spec.get("timeZone")
    )
    deadline = spec.get("startingDeadlineSeconds")
    if deadline is not None and deadline < 0:
        errors.append(
            f.invalid((*SPEC, "startingDeadlineSeconds"), deadline, "must be greater than or equal to 0")
        )
    if old is None or old.get("timeZone") != spec.get("timeZone"):
        errors += time_zone_errors(spec.get("timeZone"))
    policy = spec.get("concurrencyPolicy") or ""
    if not policy:
        errors.append(f.required((*SPEC, "concurrencyPolicy")))
    elif policy not in POLICIES:
        errors.append(f.not_supported((*SPEC, "concurrencyPolicy"), policy, POLICIES))
    template = (*SPEC, "jobTemplate", "spec")
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    errors += job_spec_errors(job_spec, template)
    if job_spec.get("selector") is not None:
        errors.append(
            f.invalid((*template, "selector"), job_spec["selector"], "`selector` will be auto-generated")
        )
    if job_spec.get("manualSelector") is True:
        errors.append(f.not_supported((*template, "manualSelector"), True, ("nil", "false")))
    for fld in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        value = spec.get(fld)
        if value is not None and value < 0:
            errors.append(f.invalid((*SPEC, fld), value, "must be greater than or equal to 0"))
    return errors


def validate_cronjob(cj: dict[str, Any]) -> list[FieldError]:
    """Every create-time error of a defaulted CronJob, in the API server's order."""
    meta = cj.get("metadata") or {}
    errors = m.object_meta(meta)
    errors += _spec(cj.get("spec") or {}, None)
    name = meta.get("name") or ""
    if len(name) > MAX_NAME:
        errors.append(f.invalid(("metadata", "name"), name, f"must be no more than {MAX_NAME} characters"))
    return errors


def validate_cronjob_update(new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """``ValidateCronJobUpdate``: metadata, then the spec against the stored spec.

    ``TZ`` stays allowed in a schedule that already had it; timeZone is checked
    only when it changed; the 52-character name limit is not applied.
    """
    return m.object_meta(new.get("metadata") or {}) + _spec(new.get("spec") or {}, old.get("spec") or {})
