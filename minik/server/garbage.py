"""Carries out the garbage collector's plan (:mod:`minik.controllers.garbage`) in one store transaction.

Each action re-reads the object it changes and does nothing when it is gone
(or, for ``orphan`` and ``drop-tracking``, when it changed owner or uid meanwhile).
"""

from __future__ import annotations

from minik.controllers.garbage import Action, Plan, plan, plan_cronjob_jobs, plan_owners, references_kind
from minik.errors import NotFound
from minik.k8s import Obj, meta
from minik.registry import Registry
from minik.resources import DELETION_FINALIZERS, JOB_TRACKING_FINALIZER, RESOURCES

OWNED = tuple(r for r in RESOURCES if r != "events")
"""What :func:`plan_owners` always looks at: every kind but Events (many, and rarely in an owner
reference: they are listed when a reference names one, or an Event's change asked for it)."""


def collect(registry: Registry, *, events: bool = False) -> bool:
    """Plan and carry out one pass over every owner reference but the two specific pairs (Events too
    with ``events``), then CronJobs and their Jobs, Jobs and their pods; whether to look again soon.

    The generic pass comes first: a Job or CronJob deleted with ``orphan`` must lose its other
    dependents' references before its own planner removes its finalizer (they were deleted as
    dangling), and one deleted in the foreground its blocking dependents.
    """
    objects = {r: registry.list(r, None, shared=True)[0] for r in OWNED}
    if events or references_kind(objects, "Event"):
        objects["events"] = registry.list("events", None, shared=True)[0]
    generic = plan_owners(
        objects, {r: RESOURCES[r].namespaced for r in objects}, {r.kind for r in RESOURCES.values()}
    )
    carry_out(registry, generic)
    cronjobs = registry.list("cronjobs", None, shared=True)[0]
    first = plan_cronjob_jobs(cronjobs, registry.list("jobs", None, shared=True)[0])
    carry_out(registry, first)
    second = plan(registry.list("jobs", None, shared=True)[0], registry.list("pods", None, shared=True)[0])
    carry_out(registry, second)
    return first.waiting or second.waiting or generic.waiting


def carry_out(registry: Registry, p: Plan) -> None:
    """Every action of ``p``, in order, in one transaction."""
    with registry.transaction():
        for action in p.actions:
            current = _current(registry, action)
            if current is None:
                continue
            if action.verb == "delete":
                propagation = action.propagation or ("Background" if action.resource == "jobs" else None)
                registry.delete(action.resource, action.namespace, action.name, propagation=propagation)
            elif action.verb in ("unown", "unblock"):
                _owners(registry, action, current)
            elif action.verb == "orphan":
                _orphan(registry, action.resource, current)
            elif action.verb == "drop-tracking":
                drop_tracking_finalizer(registry, current)
            else:
                cm = meta(current)
                cm["finalizers"] = [f for f in cm.get("finalizers") or [] if f not in DELETION_FINALIZERS]
                registry.update(action.resource, current)


def _current(registry: Registry, action: Action) -> Obj | None:
    try:
        current = registry.get(action.resource, action.namespace, action.name)
    except NotFound:
        return None
    return current if meta(current).get("uid") == action.uid else None


def _owners(registry: Registry, action: Action, current: Obj) -> None:
    """``unown``: the references to ``action.owners`` go; ``unblock``: they stop blocking."""
    cm = meta(current)
    refs = []
    for ref in cm.get("ownerReferences") or []:
        if ref.get("uid") not in action.owners:
            refs.append(ref)
        elif action.verb == "unblock":
            refs.append({**ref, "blockOwnerDeletion": False})
    if refs:
        cm["ownerReferences"] = refs
    else:
        cm.pop("ownerReferences", None)
    registry.update(action.resource, current)


def _orphan(registry: Registry, resource: str, current: Obj) -> None:
    cm = meta(current)
    cm["ownerReferences"] = [r for r in cm.get("ownerReferences") or [] if not r.get("controller")]
    if not cm["ownerReferences"]:
        del cm["ownerReferences"]
    if resource == "pods":
        cm["finalizers"] = [f for f in cm.get("finalizers") or [] if f != JOB_TRACKING_FINALIZER]
    registry.update(resource, current)


def drop_tracking_finalizer(registry: Registry, pod: Obj) -> None:
    """Remove ``batch.kubernetes.io/job-tracking`` from the stored pod, if it still carries it."""
    m = meta(pod)
    if JOB_TRACKING_FINALIZER not in (m.get("finalizers") or []):
        return
    try:
        current = registry.get("pods", m.get("namespace", "default"), m["name"])
    except NotFound:
        return
    meta(current)["finalizers"] = [
        f for f in meta(current).get("finalizers") or [] if f != JOB_TRACKING_FINALIZER
    ]
    registry.update("pods", current)
