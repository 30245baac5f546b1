"""Which pods are the Job's: upstream ``ClaimPods`` (``controller_ref_manager.go``) for Jobs.

Owns the adoption and release rules: a pod controlled by this Job whose
labels still match the selector is kept; one whose labels stopped matching
is released (controller reference and tracking finalizer removed) unless
the Job is being deleted; an orphan (no controller reference) in the Job's
namespace whose labels match is adopted (controller reference and tracking
finalizer added) unless the Job or the pod is being deleted. Pods controlled
by someone else are ignored. Pure: the executor writes the references.
Also owns ``spec.managedBy``: a Job managed by another controller is left alone.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from minik.controllers.job import podutil
from minik.k8s import Obj, controller_of, meta, selector_matches
from minik.resources import JOB_CONTROLLER_NAME

BUILTIN_CONTROLLER = JOB_CONTROLLER_NAME


def managed_by_builtin(job: Mapping[str, Any]) -> bool:
    """``spec.managedBy`` unset or ``kubernetes.io/job-controller`` (upstream ``managedByExternalController``)."""
    managed = (job.get("spec") or {}).get("managedBy")
    return managed is None or managed == BUILTIN_CONTROLLER


def owner_reference(job: Mapping[str, Any]) -> Obj:
    """The controller reference an adopted (or created) pod carries."""
    m = meta(job)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "name": m.get("name"),
        "uid": m.get("uid"),
        "controller": True,
        "blockOwnerDeletion": True,
    }


@dataclass(frozen=True)
class Claim:
    """The Job's pods after claiming, and the writes the claim needs."""

    pods: list[Obj] = field(default_factory=list)
    """Pods the Job controls for this sync (adopted ones shown with reference and finalizer)."""
    adopt: list[str] = field(default_factory=list)
    release: list[str] = field(default_factory=list)


def claim_pods(job: Mapping[str, Any], candidates: list[Obj]) -> Claim:
    """Claim the Job's pods among ``candidates`` (any pods of its namespace); inputs are not mutated."""
    jm = meta(job)
    uid = jm.get("uid")
    selector = (job.get("spec") or {}).get("selector")
    deleting = bool(jm.get("deletionTimestamp"))
    namespace = jm.get("namespace") or "default"
    owned: list[Obj] = []
    adopt: list[str] = []
    release: list[str] = []
    for pod in candidates:
        matches = selector_matches(selector, meta(pod).get("labels"))
        ref = controller_of(pod)
        if ref is not None:
            if ref.get("uid") != uid:
                continue
            if matches:
                owned.append(pod)
            elif not deleting:
                release.append(podutil.name(pod))
            continue
        if deleting or not matches or podutil.is_deleted(pod):
            continue
        if (meta(pod).get("namespace") or "default") != namespace:
            continue
        adopted = copy.deepcopy(pod)
        am = meta(adopted)
        am["ownerReferences"] = [*(am.get("ownerReferences") or []), owner_reference(job)]
        if not podutil.has_tracking_finalizer(adopted):
            am["finalizers"] = [*(am.get("finalizers") or []), podutil.TRACKING_FINALIZER]
        owned.append(adopted)
        adopt.append(podutil.name(pod))
    return Claim(owned, adopt, release)
