"""The garbage collector as a pure plan: what to do about the dependents of deleted owners.

Upstream's garbage collector (``pkg/controller/garbagecollector``) acts on
owner references: the dependents of an owner being deleted are deleted
(Background, Foreground) or lose their controller reference (Orphan, the
``orphan`` finalizer); the owner's ``orphan`` finalizer goes once its
dependents are orphaned, its ``foregroundDeletion`` finalizer once no
dependent is left. The Job controller's ``syncOrphanPod`` adds one rule for
pods: a pod without a controller keeps no job-tracking finalizer.

:func:`plan` decides for the pods of Jobs (:func:`plan_cronjob_jobs` for the
Jobs of CronJobs); the control plane carries the actions out in one store
transaction (:mod:`minik.server.garbage`). No I/O, no clock: the inputs are
what is stored now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from minik.k8s import controller_of, meta
from minik.resources import FOREGROUND_FINALIZER, JOB_TRACKING_FINALIZER, ORPHAN_FINALIZER

Verb = Literal["delete", "orphan", "drop-tracking", "finish"]


@dataclass(frozen=True)
class Action:
    """One step: ``delete`` a dependent, ``orphan`` it (its controller reference and tracking finalizer go),
    ``drop-tracking`` (only the job-tracking finalizer goes), ``finish`` an owner (its GC finalizers go)."""

    verb: Verb
    resource: str
    namespace: str
    name: str
    uid: str


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    waiting: bool = False
    """A foreground deletion still waits for dependents: plan again soon."""


def _action(verb: Verb, resource: str, obj: Mapping[str, Any]) -> Action:
    m = meta(obj)
    return Action(
        verb, resource, str(m.get("namespace") or "default"), str(m.get("name")), str(m.get("uid", ""))
    )


def _plan(
    owner_kind: str,
    owner_resource: str,
    owners: Iterable[Mapping[str, Any]],
    dependent_resource: str,
    dependents: Iterable[Mapping[str, Any]],
) -> Plan:
    by_uid = {meta(o).get("uid"): o for o in owners}
    dependents = list(dependents)
    out = Plan()
    tracking = dependent_resource == "pods"
    for dep in dependents:
        owner_ref = controller_of(dep)
        has_tracking = tracking and JOB_TRACKING_FINALIZER in (meta(dep).get("finalizers") or [])
        if owner_ref is None:
            if has_tracking:  # upstream syncOrphanPod
                out.actions.append(_action("drop-tracking", dependent_resource, dep))
            continue
        if owner_ref.get("kind") != owner_kind:
            continue
        owner = by_uid.get(owner_ref.get("uid"))
        if owner is not None and not meta(owner).get("deletionTimestamp"):
            continue
        if owner is not None and ORPHAN_FINALIZER in (meta(owner).get("finalizers") or []):
            out.actions.append(_action("orphan", dependent_resource, dep))
            continue
        if has_tracking:
            out.actions.append(_action("drop-tracking", dependent_resource, dep))
        if not meta(dep).get("deletionTimestamp"):
            out.actions.append(_action("delete", dependent_resource, dep))
    for owner in by_uid.values():
        om = meta(owner)
        if not om.get("deletionTimestamp"):
            continue
        uid = om.get("uid")
        left = any((controller_of(d) or {}).get("uid") == uid for d in dependents)
        fins = om.get("finalizers") or []
        if ORPHAN_FINALIZER in fins or (FOREGROUND_FINALIZER in fins and not left):
            out.actions.append(_action("finish", owner_resource, owner))
        elif left:
            out.waiting = True
    return out


def plan(jobs: Iterable[Mapping[str, Any]], pods: Iterable[Mapping[str, Any]]) -> Plan:
    """The pods of deleted Jobs, and the orphans' tracking finalizers (see the module docstring)."""
    return _plan("Job", "jobs", jobs, "pods", pods)


def plan_cronjob_jobs(cronjobs: Iterable[Mapping[str, Any]], jobs: Iterable[Mapping[str, Any]]) -> Plan:
    """The Jobs of deleted CronJobs (deleted with Background propagation, or orphaned)."""
    return _plan("CronJob", "cronjobs", cronjobs, "jobs", jobs)
