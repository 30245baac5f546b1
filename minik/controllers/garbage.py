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

Verb = Literal["delete", "orphan", "drop-tracking", "finish", "unown", "unblock"]


@dataclass(frozen=True)
class Action:
    """One step: ``delete`` a dependent (with ``propagation`` when given), ``orphan`` it (its controller
    reference and tracking finalizer go), ``drop-tracking`` (only the job-tracking finalizer goes),
    ``unown`` it (its references to ``owners`` go), ``unblock`` it (its references to ``owners`` stop
    blocking their deletion), ``finish`` an owner (its GC finalizers go)."""

    verb: Verb
    resource: str
    namespace: str
    name: str
    uid: str
    propagation: str | None = None
    owners: tuple[str, ...] = ()


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    waiting: bool = False
    """A foreground deletion still waits for dependents: plan again soon."""


def _action(
    verb: Verb, resource: str, obj: Mapping[str, Any], *, propagation: str | None = None,
    owners: tuple[str, ...] = (), namespaced: bool = True,
) -> Action:  # fmt: skip
    m = meta(obj)
    ns = str(m.get("namespace") or "default") if namespaced else ""
    return Action(verb, resource, ns, str(m.get("name")), str(m.get("uid", "")), propagation, owners)


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


# -- every other owner reference ---------------------------------------------------------

SPECIFIC = frozenset({("pods", "Job"), ("jobs", "CronJob")})
"""Controller references :func:`plan` and :func:`plan_cronjob_jobs` own (dependent resource, owner kind)."""
OWNED_BY_SPECIFIC = frozenset({"jobs", "cronjobs"})
"""Owners whose GC finalizers :func:`plan` and :func:`plan_cronjob_jobs` finish."""


def _refs(resource: str, obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    refs = [r for r in meta(obj).get("ownerReferences") or [] if isinstance(r, Mapping) and r.get("uid")]
    return [r for r in refs if not (r.get("controller") and (resource, r.get("kind")) in SPECIFIC)]


def concerns_owners(resource: str, kind: str, obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> bool:
    """Whether a change may give :func:`plan_owners` work: an object gone (its dependents may dangle), a
    deletion that orphans or waits for dependents, a dependent created or re-owned — an Event's
    as any other's (a pass lists Events only when a reference names one, or an Event's own
    change asked for it)."""
    if kind == "DELETED":
        return True
    m = meta(obj)
    if m.get("deletionTimestamp") and set(m.get("finalizers") or []) & {
        ORPHAN_FINALIZER,
        FOREGROUND_FINALIZER,
    }:
        return True
    refs = _refs(resource, obj)
    if kind == "ADDED":
        return bool(refs)
    return old is not None and refs != _refs(resource, old)


def references_kind(objects: Mapping[str, Iterable[Mapping[str, Any]]], kind: str) -> bool:
    """Whether any of ``objects`` has an owner reference to ``kind``."""
    return any(r.get("kind") == kind for res, objs in objects.items() for o in objs for r in _refs(res, o))


def plan_owners(
    objects: Mapping[str, Iterable[Mapping[str, Any]]], namespaced: Mapping[str, bool], kinds: Iterable[str]
) -> Plan:
    """Upstream's garbage collector for every owner reference of every kind (``objects``: resource →
    what is stored; ``namespaced``: resource → whether it is; ``kinds``: the kinds served), but the
    two :data:`SPECIFIC` pairs. A dependent with a reference to a kind not served is left alone:
    upstream cannot map it either and retries without deleting anything.

    A dependent whose owners are all gone is deleted (Background, or as its own ``orphan``/
    ``foregroundDeletion`` finalizer asks); one whose remaining owners all wait for their
    dependents (Foreground) is deleted too (Foreground when it has dependents of its own); one
    that keeps a live owner loses its references to gone owners and stops blocking deleting ones.
    An owner deleted with ``orphan`` loses its dependents' references, then its finalizer; one
    deleted with ``foregroundDeletion`` keeps it while a dependent that blocks its deletion is left.
    """
    served = set(kinds)
    by_uid: dict[str, tuple[str, Mapping[str, Any]]] = {}
    listed = {resource: list(objs) for resource, objs in objects.items()}
    for resource, objs in listed.items():
        for o in objs:
            by_uid[str(meta(o).get("uid"))] = (resource, o)
    has_dependents = {str(r.get("uid")) for res, objs in listed.items() for o in objs for r in _refs(res, o)}
    blocked: set[str] = set()
    out = Plan()
    for resource, objs in listed.items():
        for dep in objs:
            refs = _refs(resource, dep)
            if refs and all(r.get("kind") in served for r in refs):
                out.actions += _dependent(
                    resource, dep, refs, by_uid=by_uid, namespaced=namespaced,
                    has_dependents=has_dependents, blocked=blocked,
                )  # fmt: skip
    for uid, (resource, owner) in by_uid.items():
        fins = meta(owner).get("finalizers") or []
        if resource in OWNED_BY_SPECIFIC or not meta(owner).get("deletionTimestamp"):
            continue
        if ORPHAN_FINALIZER in fins or (FOREGROUND_FINALIZER in fins and uid not in blocked):
            out.actions.append(_action("finish", resource, owner, namespaced=namespaced.get(resource, True)))
        elif FOREGROUND_FINALIZER in fins:
            out.waiting = True
    return out


def _owner(
    ref: Mapping[str, Any], dep_ns: str, by_uid: Mapping[str, tuple[str, Mapping[str, Any]]],
    namespaced: Mapping[str, bool],
) -> Mapping[str, Any] | None:  # fmt: skip
    """The stored owner a reference names: same uid, kind and name, in the dependent's namespace
    unless cluster-scoped (upstream looks it up by name there and compares the uid)."""
    found = by_uid.get(str(ref.get("uid")))
    if found is None:
        return None
    resource, owner = found
    m = meta(owner)
    if owner.get("kind") not in (None, ref.get("kind")) or m.get("name") != ref.get("name"):
        return None
    if namespaced.get(resource, True) and str(m.get("namespace") or "default") != dep_ns:
        return None
    return owner


def _dependent(
    resource: str, dep: Mapping[str, Any], refs: list[Mapping[str, Any]], *,
    by_uid: Mapping[str, tuple[str, Mapping[str, Any]]], namespaced: Mapping[str, bool],
    has_dependents: set[str], blocked: set[str],
) -> list[Action]:  # fmt: skip
    dm = meta(dep)
    ns = str(dm.get("namespace") or "default")
    scoped = namespaced.get(resource, True)
    solid: list[str] = []
    dangling: list[str] = []
    waiting: list[str] = []
    orphaning: list[str] = []
    blocking: list[str] = []
    for ref in refs:
        uid = str(ref.get("uid"))
        owner = _owner(ref, ns, by_uid, namespaced)
        fins = (meta(owner).get("finalizers") or []) if owner is not None else []
        deleting = owner is not None and bool(meta(owner).get("deletionTimestamp"))
        if owner is None:
            dangling.append(uid)
        elif deleting and ORPHAN_FINALIZER in fins:
            orphaning.append(uid)
        elif deleting and FOREGROUND_FINALIZER in fins:
            waiting.append(uid)
            if ref.get("blockOwnerDeletion"):
                blocking.append(uid)
        else:
            solid.append(uid)
    actions: list[Action] = []
    if orphaning:
        actions.append(_action("unown", resource, dep, owners=tuple(orphaning), namespaced=scoped))
    if dm.get("deletionTimestamp"):  # blocks its foreground owners until it is gone
        blocked.update(blocking)
        return actions
    if solid:
        if dangling:
            actions.append(_action("unown", resource, dep, owners=tuple(dangling), namespaced=scoped))
        if blocking:  # a live owner keeps it: it stops holding up the deleting ones
            actions.append(_action("unblock", resource, dep, owners=tuple(blocking), namespaced=scoped))
        return actions
    blocked.update(blocking)
    if waiting:
        policy = "Foreground" if str(dm.get("uid")) in has_dependents else "Background"
        actions.append(_action("delete", resource, dep, propagation=policy, namespaced=scoped))
    elif dangling:
        fins = dm.get("finalizers") or []
        policy = (
            "Orphan"
            if ORPHAN_FINALIZER in fins
            else "Foreground"
            if FOREGROUND_FINALIZER in fins
            else "Background"
        )
        actions.append(_action("delete", resource, dep, propagation=policy, namespaced=scoped))
    return actions
