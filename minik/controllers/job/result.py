"""The values ``sync_job`` returns: :class:`SyncResult` and :class:`~minik.controllers.event.ControllerEvent`.

Owns only the shapes; the executor in ``minik.server`` carries them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from minik.controllers.event import ControllerEvent
from minik.controllers.job.backoff import BackoffRecord
from minik.k8s import Obj


@dataclass(frozen=True)
class SyncResult:
    """Everything one Job sync decided, for the Job executor to apply."""

    status: Obj
    """The Job's complete new ``status``."""
    create: list[Obj] = field(default_factory=list)
    """Complete pod objects to store."""
    delete: list[str] = field(default_factory=list)
    """Pod names to delete (graceful)."""
    finalize: list[str] = field(default_factory=list)
    """Pod names whose tracking finalizer is removed in the status-write transaction."""
    events: list[ControllerEvent] = field(default_factory=list)
    requeue_after: float | None = None
    """Seconds until a time-driven re-sync (backoff, activeDeadline, TTL)."""
    delete_job: bool = False
    """ttlSecondsAfterFinished has expired: delete the Job (Foreground: it stays until its pods are gone)."""
    adopt: list[str] = field(default_factory=list)
    """Orphan pods to adopt: add the Job's controller reference and the tracking finalizer."""
    release: list[str] = field(default_factory=list)
    """Pods to release: remove the Job's controller reference and the tracking finalizer."""
    backoff: BackoffRecord | None = None
    """The pod-failure back-off record to keep for the next sync (``None``: forget it)."""
