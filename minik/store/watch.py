"""The store's change feed: :class:`WatchEvent` values and :class:`Subscription`.

Owns fan-out only. The store calls :meth:`Hub.publish` after each commit (in
commit order); every open subscription gets the events of its resource through
an anyio memory object stream. Must be used from the event loop's thread (the
store is). A subscriber that falls ``max_buffer`` events behind is closed and
its iterator raises :class:`~minik.apierrors.Expired`, as the API server
drops a slow watcher; the client then lists again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import TracebackType

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from minik.apierrors import Expired, failure
from minik.k8s import Obj


@dataclass(frozen=True)
class WatchEvent:
    """One committed change. ``obj`` is the object after it (for DELETED, its last state).

    ``old`` is the object before a MODIFIED change for live events (``None``
    when replayed from the log); ``rv`` is the change's resourceVersion.
    """

    type: str  # ADDED | MODIFIED | DELETED
    resource: str
    obj: Obj
    rv: int
    old: Obj | None = None


class Subscription:
    """An async iterator of :class:`WatchEvent`; close it (or use ``with``) when done."""

    def __init__(self, hub: Hub, resource: str | None, max_buffer: float) -> None:
        self.resource = resource
        self._hub = hub
        send: MemoryObjectSendStream[WatchEvent]
        recv: MemoryObjectReceiveStream[WatchEvent]
        send, recv = anyio.create_memory_object_stream(max_buffer_size=max_buffer)
        self._send = send
        self._recv = recv
        self.overflowed = False

    def _offer(self, event: WatchEvent) -> None:
        if self.overflowed:
            return
        try:
            self._send.send_nowait(event)
        except anyio.WouldBlock:
            self.overflowed = True
            self._send.close()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            self._hub.remove(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> WatchEvent:
        try:
            return await self._recv.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            self.close()
            if self.overflowed:
                raise Expired(failure(410, "Expired", "the watch fell too far behind; list again")) from None
            raise StopAsyncIteration from None

    def close(self) -> None:
        self._hub.remove(self)
        self._send.close()
        self._recv.close()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Hub:
    """The set of open subscriptions."""

    def __init__(self) -> None:
        self._subs: list[Subscription] = []

    def add(self, resource: str | None, *, max_buffer: float = math.inf) -> Subscription:
        sub = Subscription(self, resource, max_buffer)
        self._subs.append(sub)
        return sub

    def remove(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    def publish(self, events: list[WatchEvent]) -> None:
        for event in events:
            for sub in list(self._subs):
                if sub.resource is None or sub.resource == event.resource:
                    sub._offer(event)

    def close_all(self) -> None:
        for sub in list(self._subs):
            sub.close()

    def __len__(self) -> int:
        return len(self._subs)
