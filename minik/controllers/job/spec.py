"""A read-only view of a Job's spec with the API defaults applied (R1.x).

Owns the questions every policy asks about the Job itself: Indexed or not,
completions/parallelism, limits, replacement policy, and upstream's
``isPodFailed`` (which depends on the replacement policy). Does not look at
the Job's status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minik.controllers.job import indexes, podutil
from minik.controllers.job.failure_policy import match_pod_failure_policy
from minik.k8s import meta

MAX_INT32 = 2**31 - 1


class JobSpec:
    """The Job's spec, read once with the API defaults applied (R1.x)."""

    def __init__(self, job: Mapping[str, Any]) -> None:
        self.obj = job
        self.spec: Mapping[str, Any] = job.get("spec") or {}
        s = self.spec
        self.name = str(meta(job).get("name", ""))
        self.indexed = s.get("completionMode") == "Indexed"
        raw_completions = s.get("completions")
        self.completions: int | None = None if raw_completions is None else int(raw_completions)
        if self.indexed and self.completions is None:
            self.completions = 1
        self.parallelism = int(s.get("parallelism", 1))
        self.per_index: int | None = (
            None if s.get("backoffLimitPerIndex") is None else int(s["backoffLimitPerIndex"])
        )
        self.per_index = self.per_index if self.indexed else None
        default_limit = MAX_INT32 if self.per_index is not None else 6
        self.backoff_limit = int(s.get("backoffLimit", default_limit))
        self.failure_policy: Mapping[str, Any] | None = s.get("podFailurePolicy")
        self.suspended = bool(s.get("suspend"))
        self.only_replace_failed = s.get("podReplacementPolicy") == "Failed" or bool(self.failure_policy)
        self.deleting = bool(meta(job).get("deletionTimestamp"))
        self.restart_policy = ((s.get("template") or {}).get("spec") or {}).get("restartPolicy")

    def is_failed(self, pod: Mapping[str, Any]) -> bool:
        """Upstream ``isPodFailed``: Failed, or deleted unfinished unless only failed pods are replaced."""
        if podutil.phase(pod) == "Failed":
            return True
        if self.only_replace_failed:
            return False
        return podutil.is_deleted(pod) and podutil.phase(pod) != "Succeeded"

    def valid(self, pod: Mapping[str, Any]) -> bool:
        """Indexed pods count only with an index within range."""
        return not self.indexed or indexes.valid_index(pod, self.completions or 0) is not None

    def counts(self, pod: Mapping[str, Any]) -> bool:
        """Is this failure counted (not Ignored by the pod failure policy)?"""
        return match_pod_failure_policy(self.failure_policy, pod).counts
