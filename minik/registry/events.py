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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from minik.k8s import Obj, meta, rfc3339
from minik.registry.correlator import COMBINED, EventCorrelator, EventSource
from minik.resources import BY_KIND
from minik.store import Store
from minik.store.query import Before, Column, Field, FirstOf, Is, JsonIndex, Select, StartsWith

EVENT_TTL = timedelta(hours=1)
"""How long an Event lives after its last occurrence: the API server's default ``--event-ttl``."""

_INVOLVED_UID, _INVOLVED_NAME = Field("$.involvedObject.uid"), Field("$.involvedObject.name")
_REASON, _MESSAGE = Field("$.reason"), Field("$.message")
_TYPE, _COMPONENT = Field("$.type"), Field("$.source.component")
LAST_SEEN = FirstOf((Field("$.lastTimestamp"), Field("$.metadata.creationTimestamp")))
"""When an Event last occurred: its ``lastTimestamp``, else its creation."""

REPEAT_INDEX = JsonIndex(
    "events_repeat", "events", (Column("namespace"), _INVOLVED_UID, _INVOLVED_NAME, _REASON)
)
"""Finds a repeat's stored Event among every Event of a namespace without reading them all."""
EXPIRY_INDEX = JsonIndex("events_expiry", "events", (LAST_SEEN,))
"""Finds the Events past the TTL in order of their last occurrence."""


def repeat_of(namespace: str, involved: Obj, key: dict[str, str], *, message_prefix: bool = False) -> Select:
    """The newest stored Event in ``namespace`` about ``involved`` (uid, name) with the same reason,
    message, type and source component (``key``) — client-go's aggregation key; with
    ``message_prefix`` the message only starts with ``key["message"]`` (a combined event's)."""
    m = meta(involved)
    same_message = StartsWith(_MESSAGE, key["message"]) if message_prefix else Is(_MESSAGE, key["message"])
    where = [
        Is(Column("namespace"), namespace),
        Is(_INVOLVED_UID, m.get("uid")),
        Is(_INVOLVED_NAME, m.get("name", "")),
        Is(_REASON, key["reason"]),
        same_message,
        Is(_TYPE, key["type"]),
        Is(_COMPONENT, key["component"]),
    ]
    return Select("events", where, REPEAT_INDEX, newest_first=True, limit=1)


def last_seen_before(cutoff: str, limit: int) -> Select:
    """Up to ``limit`` Events whose last occurrence is before ``cutoff`` (RFC 3339)."""
    return Select("events", [Before(LAST_SEEN, cutoff)], EXPIRY_INDEX, limit=limit)


@dataclass(frozen=True)
class PendingEvent:
    """An occurrence the correlator let through, to be written (once, however often the write is retried)."""

    involved: Obj
    namespace: str
    type: str
    reason: str
    message: str
    component: str
    occurrences: int
    combined: bool


class EventRecorder:
    """Records Events as client-go's recorder does (see the module docstring).

    :meth:`correlate` runs the correlator once per occurrence; :meth:`write`
    stores what it let through and may be retried after a store fault without
    counting the occurrence twice. ``create`` is the registry's create.
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime],
        correlator: EventCorrelator,
        create: Callable[[str, Obj], Obj],
    ) -> None:
        self.store = store
        for index in (REPEAT_INDEX, EXPIRY_INDEX):
            store.ensure_index(index)
        self.clock = clock
        self.correlator = correlator
        self._create = create

    def correlate(
        self, involved: Obj, *, type: str, reason: str, message: str, component: str
    ) -> PendingEvent | None:
        """What to write for this occurrence; ``None`` when nothing is (spam, a terminating namespace)."""
        ns = meta(involved).get("namespace") or "default"
        owner = self.store.find("namespaces", "", ns)
        if owner is not None and meta(owner).get("deletionTimestamp"):
            return None
        source = EventSource.about(involved, namespace=ns, type=type, reason=reason, component=component)
        seen = self.correlator.correlate(source, message)
        if seen.skip:
            return None
        return PendingEvent(
            involved, ns, type, reason, seen.message, component, seen.occurrences, bool(seen.combined)
        )

    def record(self, involved: Obj, *, type: str, reason: str, message: str, component: str) -> Obj:
        """Correlate and write one occurrence; ``{}`` when nothing was written."""
        pending = self.correlate(involved, type=type, reason=reason, message=message, component=component)
        return {} if pending is None else self.write(pending)

    def write(self, p: PendingEvent) -> Obj:
        """Store ``p``: a repeat bumps the stored Event's count, else a new Event; ``{}`` when the
        namespace began terminating meanwhile."""
        store, ns, m = self.store, p.namespace, meta(p.involved)
        owner = store.find("namespaces", "", ns)
        if owner is not None and meta(owner).get("deletionTimestamp"):
            return {}
        now = rfc3339(self.clock())
        with store.transaction():
            # The combined event of a group is found by its prefix: its message follows the latest event.
            key = {"reason": p.reason, "message": COMBINED if p.combined else p.message, "type": p.type,
                   "component": p.component}  # fmt: skip
            found = store.select(repeat_of(ns, p.involved, key, message_prefix=p.combined))
            if found:
                event = found[0]
                count = int(event.get("count") or 1) + p.occurrences
                return store.replace(
                    "events", {**event, "count": count, "lastTimestamp": now, "message": p.message}, event
                )
            kind = BY_KIND.get(str(p.involved.get("kind", "")))
            cluster_scoped = kind is not None and not kind.namespaced
            involved_ref = {
                "kind": p.involved.get("kind", ""),
                # A cluster-scoped object's events live in "default" but name no namespace, as upstream's.
                "namespace": "" if cluster_scoped else ns,
                "name": m.get("name", ""),
                "uid": m.get("uid", ""),
                "apiVersion": p.involved.get("apiVersion", ""),
                "resourceVersion": m.get("resourceVersion", ""),
            }
            event = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": f"{m.get('name', 'unknown')}.{secrets.token_hex(8)}", "namespace": ns},
                "involvedObject": {k: v for k, v in involved_ref.items() if v},
                "reason": p.reason,
                "message": p.message,
                "source": {"component": p.component},
                "firstTimestamp": now,
                "lastTimestamp": now,
                "count": p.occurrences,
                "type": p.type,
                "eventTime": None,
                "reportingComponent": p.component,
                "reportingInstance": "",
            }
            return self._create("events", event)

    def expire(self, *, batch: int = 1000) -> int:
        """Remove up to ``batch`` Events last seen more than :data:`EVENT_TTL` ago; how many went.

        Found through :data:`EXPIRY_INDEX`; each removal is a DELETED
        watch event, as when etcd's lease on an Event runs out.
        """
        store = self.store
        found = store.select(last_seen_before(rfc3339(self.clock() - EVENT_TTL), batch))
        with store.transaction():
            for event in found:
                store.remove("events", event)
        return len(found)
