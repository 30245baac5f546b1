"""The per-resource API rules: one :class:`Strategy` per resource, as the API server's
``pkg/registry/*/strategy.go`` (``PrepareForCreate``, ``PrepareForUpdate``, ``Validate``,
the status strategy and the graceful-deletion strategy).

The generic rules live here once: the server-owned metadata fields, what a
create fills in, what an update keeps, generation bumps, no new finalizers
on a deleting object, and when a deleting object can go. The per-resource
strategies (:mod:`minik.registry.kinds`) override only what differs.
Pure: a strategy reads and changes the object it is given; what it needs
from the store comes in as arguments.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from minik import apierrors as st
from minik.errors import FieldError
from minik.k8s import Obj, clone, meta, rfc3339
from minik.registry.status_strategy import prepare_status_update
from minik.resources import GENERATION_RESOURCES, Resource, generate_name
from minik.store import Store

SERVER_OWNED = ("uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds")
"""Metadata only the server sets: dropped from what a client creates, kept from the stored object on update."""
CLEARED_ON_CREATE = (*SERVER_OWNED, "resourceVersion", "managedFields", "selfLink")
"""What a create never takes from the client (resourceVersion is the store's; managedFields the API's)."""


class Strategy:
    """The rules every resource shares (upstream ``rest.BeforeCreate`` / ``BeforeUpdate`` / ``BeforeDelete``)."""

    manifest_rules = True
    """Defaulted and validated by the registry's rules (:mod:`minik.registry.rules`: :mod:`minik.manifest`)."""
    reset_status_on_create = False
    """The client's status is dropped on create (resources with a status subresource)."""
    default_propagation: str | None = None
    """An owner's propagationPolicy when a delete names none (Jobs: Orphan, CronJobs: Background)."""

    def __init__(self, resource: Resource) -> None:
        self.resource = resource

    # -- create --------------------------------------------------------------------------
    def clear_for_create(self, obj: Obj) -> None:
        """What a client's create may not set: server-owned metadata, a status the server owns.

        Gives a ``generateName`` object its name (upstream ``BeforeCreate``); 422 when there is neither.
        """
        m = meta(obj)
        for key in CLEARED_ON_CREATE:
            m.pop(key, None)
        self.name(obj)
        if self.reset_status_on_create:
            obj.pop("status", None)

    def name(self, obj: Obj) -> None:
        """``metadata.name`` from ``generateName`` when unset; 422 when there is neither."""
        m = meta(obj)
        if not m.get("name") and m.get("generateName"):
            m["name"] = generate_name(m["generateName"])
        if not m.get("name"):
            body = "Required value: name or generateName is required"
            raise st.invalid(self.resource.plural, "", [("metadata.name", "Required value", body)])

    def prepare_for_create(self, obj: Obj, now: datetime) -> None:
        """Fill the server-owned fields of a new object (the uid is kept when the caller chose it)."""
        m = meta(obj)
        m["uid"] = m.get("uid") or str(uuid.uuid4())
        m["creationTimestamp"] = rfc3339(now)
        for key in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion"):
            m.pop(key, None)
        if self.resource.plural in GENERATION_RESOURCES:
            m["generation"] = 1
        else:
            m.pop("generation", None)

    def admit(self, obj: Obj, store: Store) -> None:
        """What admission changes on a new object, reading what is stored (after :meth:`prepare_for_create`)."""

    def admit_update(self, new: Obj, old: Obj, store: Store) -> None:
        """What admission changes on a client's update, reading what is stored (after validation)."""

    def validate(self, obj: Obj) -> list[FieldError]:
        """Rules of the registry itself for a resource :mod:`minik.manifest` does not validate."""
        return []

    # -- update --------------------------------------------------------------------------
    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        """A spec/metadata update keeps the stored status and server-owned metadata (``PrepareForUpdate``)."""
        if "status" in old:
            new["status"] = clone(old["status"])
        else:
            new.pop("status", None)
        nm, om = meta(new), meta(old)
        for key in SERVER_OWNED:
            if key in om:
                nm[key] = om[key]
            else:
                nm.pop(key, None)

    def check_update(self, new: Obj, old: Obj) -> None:
        """No new finalizers on a deleting object; a spec change bumps ``generation``."""
        nm, om = meta(new), meta(old)
        if om.get("deletionTimestamp"):
            added = set(nm.get("finalizers") or []) - set(om.get("finalizers") or [])
            if added:
                body = "Forbidden: no new finalizers can be added if the object is being deleted"
                raise st.invalid(
                    self.resource.plural, nm.get("name", ""), [("metadata.finalizers", "Forbidden", body)]
                )
        if not nm.get("finalizers"):
            nm.pop("finalizers", None)
        if self.resource.plural in GENERATION_RESOURCES and new.get("spec") != old.get("spec"):
            nm["generation"] = int(om.get("generation") or 0) + 1

    def prepare_status_update(self, sent: Obj, stored: Obj) -> Obj:
        """What a ``/status`` write stores (the resource's status strategy)."""
        return prepare_status_update(self.resource.plural, sent, stored)

    # -- delete --------------------------------------------------------------------------
    def prepare_for_delete(
        self, obj: Obj, now: datetime, *, propagation: str | None, grace: int | None
    ) -> None:
        """Mark ``obj`` deleting (upstream ``BeforeDelete``): the deletionTimestamp, the GC's finalizers."""
        m = meta(obj)
        if self.resource.plural != "namespaces":  # every kind the garbage collector knows
            policy = propagation or self.default_propagation or "Background"
            wanted = {"Orphan": "orphan", "Foreground": "foregroundDeletion"}.get(policy)
            fins = [
                f
                for f in m.get("finalizers") or []
                if f not in ("orphan", "foregroundDeletion") or f == wanted
            ]
            if wanted and wanted not in fins:
                fins.append(wanted)
            if fins:
                m["finalizers"] = fins
        first = not m.get("deletionTimestamp")
        self.mark_deleting(obj, now, grace)
        if self.resource.plural in GENERATION_RESOURCES and first:
            m["generation"] = int(m.get("generation") or 0) + 1

    def mark_deleting(self, obj: Obj, now: datetime, grace: int | None) -> None:
        """Set the deletionTimestamp (at once: only pods have a grace period)."""
        m = meta(obj)
        if not m.get("deletionTimestamp"):
            m["deletionTimestamp"] = rfc3339(now)
            m["deletionGracePeriodSeconds"] = 0

    def removable(self, obj: Obj, *, has_children: bool = False) -> bool:
        """A deleting object with no finalizer left goes from the store."""
        m = meta(obj)
        return bool(m.get("deletionTimestamp")) and not m.get("finalizers")
