"""The values ``sync_cronjob`` returns: :class:`SyncResult` and :class:`~minik.controllers.event.ControllerEvent`.

Owns only the shapes; the executor in ``minik.server`` carries them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from minik.controllers.event import ControllerEvent
from minik.k8s import Obj


@dataclass(frozen=True)
class SyncResult:
    """Everything one CronJob sync decided, for the CronJob executor to apply."""

    status: Obj
    """The CronJob's new ``status``; the executor appends :func:`job_ref` of each Job it creates."""
    create: list[Obj] = field(default_factory=list)
    """Complete Job objects to create (the API server defaults them and generates their selector)."""
    delete: list[str] = field(default_factory=list)
    """Job names to delete with background propagation (their pods go with them)."""
    events: list[ControllerEvent] = field(default_factory=list)
    requeue_after: float | None = None
    """Seconds until the next schedule time (plus upstream's 100 ms); ``None``: wait for a change."""


def job_ref(job: Obj) -> Obj:
    """The ``ObjectReference`` to a Job that ``status.active`` holds."""
    m = job.get("metadata") or {}
    ref: Obj = {
        "kind": "Job",
        "namespace": m.get("namespace", "default"),
        "name": m.get("name", ""),
        "uid": m.get("uid", ""),
        "apiVersion": "batch/v1",
    }
    if m.get("resourceVersion"):
        ref["resourceVersion"] = m["resourceVersion"]
    return ref
