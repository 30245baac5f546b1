"""The garbage collector's last step for an owner being deleted, shared by the Job and CronJob collectors."""

from __future__ import annotations

from minik.errors import NotFound
from minik.k8s import Obj, meta
from minik.registry import Registry

DELETION_FINALIZERS = ("orphan", "foregroundDeletion")


def finish_owner_deletion(store: Registry, resource: str, owner: Obj, *, children_left: bool) -> bool:
    """Drop ``orphan`` (its children are orphaned by now) or ``foregroundDeletion`` (once no child is
    left) from an owner being deleted, so the store removes it. True while it must wait for children."""
    m = meta(owner)
    fins = m.get("finalizers") or []
    if "orphan" in fins or ("foregroundDeletion" in fins and not children_left):
        try:
            current = store.get(resource, m.get("namespace", "default"), m["name"])
        except NotFound:
            return False
        meta(current)["finalizers"] = [
            f for f in meta(current).get("finalizers") or [] if f not in DELETION_FINALIZERS
        ]
        store.update(resource, current)
        return False
    return children_left
