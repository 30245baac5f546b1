"""Read-only questions about pod objects that every Job-controller policy asks.

Owns: the well-known keys (tracking finalizer, completion-index and
failure-count annotations) and the pod predicates of upstream's
``controller_utils`` / ``job_controller`` (active, terminating, failed, ready).
Does not own any decision about the Job; that is ``sync``'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from minik.k8s import Obj, meta, parse_time
from minik.resources import (
    COMPLETION_INDEX_KEY,
    FAILURE_COUNT_KEY,
    IGNORED_FAILURE_COUNT_KEY,
    JOB_TRACKING_FINALIZER,
)

TRACKING_FINALIZER = JOB_TRACKING_FINALIZER
INDEX_KEY = COMPLETION_INDEX_KEY
__all__ = ["FAILURE_COUNT_KEY", "IGNORED_FAILURE_COUNT_KEY", "INDEX_KEY", "TRACKING_FINALIZER"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TERMINAL = ("Succeeded", "Failed")


def name(pod: Mapping[str, Any]) -> str:
    """The pod's ``metadata.name``."""
    return str(meta(pod).get("name", ""))


def phase(pod: Mapping[str, Any]) -> str:
    """``status.phase`` (``Pending`` when absent, as for a freshly created pod)."""
    return str((pod.get("status") or {}).get("phase") or "Pending")


def is_terminal(pod: Mapping[str, Any]) -> bool:
    """Phase Succeeded or Failed."""
    return phase(pod) in _TERMINAL


def is_deleted(pod: Mapping[str, Any]) -> bool:
    """Has a ``deletionTimestamp``."""
    return bool(meta(pod).get("deletionTimestamp"))


def is_active(pod: Mapping[str, Any]) -> bool:
    """Pending/Running and not being deleted (R4.1)."""
    return not is_terminal(pod) and not is_deleted(pod)


def is_terminating(pod: Mapping[str, Any]) -> bool:
    """Being deleted but not yet in a terminal phase (R8.5)."""
    return is_deleted(pod) and not is_terminal(pod)


def has_tracking_finalizer(pod: Mapping[str, Any]) -> bool:
    """Still carries ``batch.kubernetes.io/job-tracking`` (outcome not yet counted)."""
    return TRACKING_FINALIZER in (meta(pod).get("finalizers") or [])


def conditions(pod: Mapping[str, Any]) -> list[Obj]:
    """``status.conditions`` (empty list when absent)."""
    return list((pod.get("status") or {}).get("conditions") or [])


def ready_condition(pod: Mapping[str, Any]) -> Obj | None:
    """The pod's ``Ready`` condition, if any."""
    for c in conditions(pod):
        if c.get("type") == "Ready":
            return c
    return None


def is_ready(pod: Mapping[str, Any]) -> bool:
    """``Ready=True`` (R8.4)."""
    c = ready_condition(pod)
    return c is not None and c.get("status") == "True"


def container_statuses(pod: Mapping[str, Any]) -> list[Obj]:
    """``status.containerStatuses``."""
    return list((pod.get("status") or {}).get("containerStatuses") or [])


def init_container_statuses(pod: Mapping[str, Any]) -> list[Obj]:
    """``status.initContainerStatuses``."""
    return list((pod.get("status") or {}).get("initContainerStatuses") or [])


def restart_count(pod: Mapping[str, Any]) -> int:
    """Sum of ``restartCount`` over init and regular containers."""
    return sum(
        int(s.get("restartCount") or 0) for s in init_container_statuses(pod) + container_statuses(pod)
    )


def _non_negative_int(value: Any) -> int | None:
    try:
        i = int(str(value))
    except ValueError:
        return None
    return i if 0 <= i <= 2**31 - 1 else None


def completion_index(pod: Mapping[str, Any]) -> int | None:
    """The completion-index annotation as an int; ``None`` when absent or invalid."""
    value = (meta(pod).get("annotations") or {}).get(INDEX_KEY)
    return None if value is None else _non_negative_int(value)


def failure_count(pod: Mapping[str, Any]) -> int:
    """``job-index-failure-count`` annotation (0 when absent or invalid)."""
    return _non_negative_int((meta(pod).get("annotations") or {}).get(FAILURE_COUNT_KEY, "0")) or 0


def ignored_failure_count(pod: Mapping[str, Any]) -> int:
    """``job-index-ignored-failure-count`` annotation (0 when absent or invalid)."""
    return _non_negative_int((meta(pod).get("annotations") or {}).get(IGNORED_FAILURE_COUNT_KEY, "0")) or 0


def creation_time(pod: Mapping[str, Any]) -> datetime:
    """``metadata.creationTimestamp`` (the epoch when absent)."""
    return parse_time(meta(pod).get("creationTimestamp")) or EPOCH
