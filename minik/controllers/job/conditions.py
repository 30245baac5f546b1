"""Job conditions: construction, lookup and the ensure-status rule of upstream.

Owns the condition shape of R8.10 and the reasons/messages of R5.2, R6.3 and
R7.1–R7.3. Does not decide when a condition applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from minik.k8s import Obj, parse_time, rfc3339

SUSPENDED = "Suspended"
SUCCESS_CRITERIA_MET = "SuccessCriteriaMet"
COMPLETE = "Complete"
FAILURE_TARGET = "FailureTarget"
FAILED = "Failed"

COMPLETIONS_REACHED = ("CompletionsReached", "Reached expected number of succeeded pods")
BACKOFF_LIMIT_EXCEEDED = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE_EXCEEDED = ("DeadlineExceeded", "Job was active longer than specified deadline")
MAX_FAILED_INDEXES_EXCEEDED = (
    "MaxFailedIndexesExceeded",
    "Job has exceeded the specified maximal number of failed indexes",
)
FAILED_INDEXES = ("FailedIndexes", "Job has failed indexes")
POD_FAILURE_POLICY = "PodFailurePolicy"


@dataclass(frozen=True)
class Cond:
    """A condition to be written: type, reason and message (status is always True)."""

    type: str
    reason: str
    message: str


def new_condition(ctype: str, status: str, reason: str, message: str, now: datetime) -> Obj:
    """A condition dict with both times set to ``now``."""
    t = rfc3339(now)
    return {
        "type": ctype,
        "status": status,
        "reason": reason,
        "message": message,
        "lastProbeTime": t,
        "lastTransitionTime": t,
    }


def find(conditions: list[Obj], ctype: str) -> Obj | None:
    """The first condition of that type."""
    for c in conditions:
        if c.get("type") == ctype:
            return c
    return None


def is_true(conditions: list[Obj], ctype: str) -> bool:
    """Is a condition of that type present with status True?"""
    c = find(conditions, ctype)
    return c is not None and c.get("status") == "True"


def ensure(
    conditions: list[Obj], ctype: str, status: str, reason: str, message: str, *, now: datetime
) -> bool:
    """Set or append a condition; a False condition is never appended. Returns whether it changed."""
    c = find(conditions, ctype)
    if c is not None:
        if (c.get("status"), c.get("reason"), c.get("message")) != (status, reason, message):
            c.clear()
            c.update(new_condition(ctype, status, reason, message, now))
            return True
        return False
    if status != "False":
        conditions.append(new_condition(ctype, status, reason, message, now))
        return True
    return False


def finished_condition(status: Mapping[str, Any]) -> Obj | None:
    """The true ``Complete`` or ``Failed`` condition of a finished Job."""
    conds = list(status.get("conditions") or [])
    for c in conds:
        if c.get("type") in (COMPLETE, FAILED) and c.get("status") == "True":
            return dict(c)
    return None


def transition_time(c: Mapping[str, Any]) -> datetime | None:
    """``lastTransitionTime`` as a datetime."""
    return parse_time(c.get("lastTransitionTime"))
