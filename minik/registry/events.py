"""core/v1 Events: recording as client-go's recorder does, and expiry after the event TTL.

The correlator (:mod:`minik.registry.correlator`) first drops spam and
combines similar events; a repeat (same involved object, reason, message,
type and source) then bumps ``count`` and ``lastTimestamp`` of the Event
already stored (found in the store, so it survives a restart) instead of
adding one. An Event goes an hour after its last occurrence (the API
server's default ``--event-ttl``). No new Event is recorded in a terminating
namespace (the API server forbids new content there; the recorder drops it).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from minik.k8s import Obj, meta, rfc3339
from minik.registry.correlator import COMBINED, EventSource
from minik.resources import BY_KIND

if TYPE_CHECKING:
    from minik.registry.registry import Registry

EVENT_TTL = timedelta(hours=1)
"""How long an Event lives after its last occurrence: the API server's default ``--event-ttl``."""


def record(registry: Registry, involved: Obj, *, type: str, reason: str, message: str, component: str) -> Obj:
    """Record an Event about ``involved`` (see the module docstring); ``{}`` when nothing was written."""
    store = registry.store
    m = meta(involved)
    ns = m.get("namespace") or "default"
    owner = store.find("namespaces", "", ns)
    if owner is not None and meta(owner).get("deletionTimestamp"):
        return {}
    source = EventSource.about(involved, namespace=ns, type=type, reason=reason, component=component)
    seen = registry.correlator.correlate(source, message)
    if seen.skip:
        return {}
    message = seen.message
    now = rfc3339(registry.clock())
    with store.transaction():
        # The combined event of a group is found by its prefix: its message follows the latest event.
        key = {"reason": reason, "message": COMBINED if seen.combined else message, "type": type,
               "component": component}  # fmt: skip
        event = store.find_repeat_event(ns, involved, key, message_prefix=seen.combined)
        if event is not None:
            count = int(event.get("count") or 1) + seen.occurrences
            return store.replace(
                "events", {**event, "count": count, "lastTimestamp": now, "message": message}, event
            )
        kind = BY_KIND.get(str(involved.get("kind", "")))
        cluster_scoped = kind is not None and not kind.namespaced
        involved_ref = {
            "kind": involved.get("kind", ""),
            # A cluster-scoped object's events live in "default" but name no namespace, as upstream's.
            "namespace": "" if cluster_scoped else ns,
            "name": m.get("name", ""),
            "uid": m.get("uid", ""),
            "apiVersion": involved.get("apiVersion", ""),
            "resourceVersion": m.get("resourceVersion", ""),
        }
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{m.get('name', 'unknown')}.{secrets.token_hex(8)}", "namespace": ns},
            "involvedObject": {k: v for k, v in involved_ref.items() if v},
            "reason": reason,
            "message": message,
            "source": {"component": component},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": seen.occurrences,
            "type": type,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": "",
        }
        return registry.create("events", event)


def expire(registry: Registry, *, batch: int = 1000) -> int:
    """Remove up to ``batch`` Events last seen more than :data:`EVENT_TTL` ago; how many went.

    Found through the store's ``events_expiry`` index; each removal is a DELETED
    watch event, as when etcd's lease on an Event runs out.
    """
    store = registry.store
    found = store.events_last_seen_before(rfc3339(registry.clock() - EVENT_TTL), batch)
    with store.transaction():
        for event in found:
            store.remove("events", event)
    return len(found)
