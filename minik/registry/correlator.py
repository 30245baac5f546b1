"""client-go's event correlator, pure: which Events to write, with which message, and which to drop.

Upstream every component (kubelet, job-controller, …) records events through
``tools/record``; its ``EventCorrelator`` (``staging/src/k8s.io/client-go/
tools/record/events_cache.go``) does three things before anything reaches the
API server, and this module does them for minik's one recorder
(:meth:`minik.registry.Registry.record_event`):

- **Aggregation** (``EventAggregator``). Events are *similar* when they share
  the source, the involved object, the type and the reason, whatever their
  message. Each group remembers the distinct messages seen while similar
  events keep coming less than 10 minutes apart; once 10 distinct messages
  are in a group, the event is replaced by one whose message is
  ``(combined from similar events): <message>``. That combined event is one
  object per group: each further one updates its message and raises its
  count. The group then forgets one message (upstream's ``PopAny``; here the
  oldest), so every further new message is combined again.
- **De-duplication** (``eventLogger``): an identical event raises the count
  and ``lastTimestamp`` of the one already written. The registry has the
  store look it up (:mod:`minik.registry.events`), so it survives a restart; this module
  only tells it how many occurrences a write stands for.
- **Spam filter** (``EventSourceObjectSpamFilter``): per source and involved
  object a token bucket of 25 that refills one token every 5 minutes. An
  event (a repeat included) with no token left is dropped; as upstream's
  logger counts it before the filter, the next write of that event adds the
  dropped occurrences to its count.

Caches are bounded (4096 entries each, least recently used first out, as
upstream's LRU). The windows (10 minutes, 5 minutes) shrink with
``MINIK_TIME_SCALE`` like minik's other durations. The clock is injected;
no I/O.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from minik.k8s import Obj, meta

CACHE_ENTRIES = 4096
AGGREGATE_MAX_EVENTS = 10
AGGREGATE_INTERVAL = timedelta(minutes=10)
SPAM_BURST = 25
SPAM_REFILL = timedelta(minutes=5)
"""One token every 5 minutes (upstream's ``defaultSpamQPS = 1/300``)."""
COMBINED = "(combined from similar events): "

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class EventSource:
    """What upstream's cache keys are built from (``getEventKey`` without the message)."""

    component: str
    kind: str
    namespace: str
    name: str
    uid: str
    api_version: str
    type: str
    reason: str
    host: str = ""
    field_path: str = ""

    @classmethod
    def about(cls, involved: Obj, *, namespace: str, type: str, reason: str, component: str) -> EventSource:
        """The source of an event ``component`` records about ``involved``."""
        m = meta(involved)
        return cls(
            component=component,
            kind=str(involved.get("kind", "")),
            namespace=namespace,
            name=str(m.get("name", "")),
            uid=str(m.get("uid", "")),
            api_version=str(involved.get("apiVersion", "")),
            type=type,
            reason=reason,
        )

    def spam_key(self) -> tuple[str, ...]:
        """``getSpamKey``: source and involved object."""
        return (self.component, self.host, self.kind, self.namespace, self.name, self.uid, self.api_version)

    def aggregate_key(self) -> tuple[str, ...]:
        """``EventAggregatorByReasonFunc``: everything but the message."""
        return (*self.spam_key(), self.type, self.reason)


@dataclass(frozen=True)
class Correlation:
    """What to write for one recorded event."""

    skip: bool
    """Dropped by the spam filter: write nothing."""
    message: str = ""
    """The message to write: the event's own, or the combined one."""
    combined: bool = False
    """Update (or create) the group's one combined event rather than an event with this exact message."""
    occurrences: int = 1
    """How much the written event's count rises: this one plus those the spam filter dropped since."""


class Lru(Generic[K, V]):
    """A bounded mapping; reading or writing an entry makes it the most recent."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        if key not in self._items:
            return None
        self._items.move_to_end(key)
        return self._items[key]

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class _Group:
    messages: dict[str, None] = field(default_factory=dict)  # insertion-ordered set
    last: datetime | None = None


@dataclass
class _Bucket:
    tokens: float
    at: datetime


class EventCorrelator:
    """``NewEventCorrelator`` with upstream's defaults; one per recorder (minik has one)."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        time_scale: float = 1.0,
        cache_entries: int = CACHE_ENTRIES,
        max_events: int = AGGREGATE_MAX_EVENTS,
        burst: int = SPAM_BURST,
    ) -> None:
        self.clock = clock
        self.interval = AGGREGATE_INTERVAL * time_scale
        self.refill = SPAM_REFILL * time_scale
        self.max_events = max_events
        self.burst = burst
        self._groups: Lru[tuple[str, ...], _Group] = Lru(cache_entries)
        self._buckets: Lru[tuple[str, ...], _Bucket] = Lru(cache_entries)
        self._dropped: Lru[tuple[str, ...], int] = Lru(cache_entries)

    def correlate(self, source: EventSource, message: str) -> Correlation:
        """``EventCorrelate``: aggregate, count, then filter."""
        now = self.clock()
        message, combined = self._aggregate(source, message, now)
        write_key = (*source.aggregate_key(), "" if combined else message)
        if not self._try_accept(source.spam_key(), now):
            self._dropped.put(write_key, (self._dropped.get(write_key) or 0) + 1)
            return Correlation(skip=True)
        dropped = self._dropped.get(write_key) or 0
        if dropped:
            self._dropped.put(write_key, 0)
        return Correlation(skip=False, message=message, combined=combined, occurrences=1 + dropped)

    def _aggregate(self, source: EventSource, message: str, now: datetime) -> tuple[str, bool]:
        """``EventAggregate``: the message to write and whether it is the group's combined event."""
        key = source.aggregate_key()
        group = self._groups.get(key)
        if group is None or group.last is None or now - group.last > self.interval:
            group = _Group()
        group.messages[message] = None
        group.last = now
        self._groups.put(key, group)
        if len(group.messages) < self.max_events:
            return message, False
        del group.messages[next(iter(group.messages))]  # upstream's PopAny; here the oldest
        return COMBINED + message, True

    def _try_accept(self, key: tuple[str, ...], now: datetime) -> bool:
        """A token bucket of ``burst`` refilled one token per ``refill`` (``TryAccept``)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), at=now)
        elapsed = max((now - bucket.at).total_seconds(), 0.0)
        per_second = 1 / self.refill.total_seconds() if self.refill.total_seconds() > 0 else float("inf")
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * per_second)
        bucket.at = now
        accepted = bucket.tokens >= 1
        if accepted:
            bucket.tokens -= 1
        self._buckets.put(key, bucket)
        return accepted
