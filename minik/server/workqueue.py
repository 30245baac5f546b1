"""A keyed, de-duplicating work queue with delayed re-adds.

Level-triggered controllers only need to know *which* key changed: adding a
key that is already queued does nothing, and a key is never processed by two
workers at once (a key added while it is being processed is processed once
more afterwards). ``add_after`` schedules a wake-up (backoff expiry, deadline,
TTL) without a polling loop: one timer task sleeps until the earliest due key.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

import anyio

K = TypeVar("K", bound=Hashable)


class WorkQueue(Generic[K]):
    def __init__(self, *, clock: Callable[[], float] | None = None) -> None:
        self._queue: list[K] = []
        self._queued: set[K] = set()
        self._processing: set[K] = set()
        self._dirty: set[K] = set()
        self._timers: list[tuple[float, int, K]] = []
        self._seq = 0
        self._work = anyio.Event()
        self._timer_changed = anyio.Event()
        self._clock = clock or anyio.current_time

    def add(self, key: K) -> None:
        if key in self._processing:
            self._dirty.add(key)
            return
        if key not in self._queued:
            self._queued.add(key)
            self._queue.append(key)
            self._work.set()

    def add_after(self, key: K, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        self._seq += 1
        heapq.heappush(self._timers, (self._clock() + delay, self._seq, key))
        self._timer_changed.set()

    def __len__(self) -> int:
        return len(self._queue)

    async def _next(self) -> K:
        while not self._queue:
            self._work = anyio.Event()
            await self._work.wait()
        key = self._queue.pop(0)
        self._queued.discard(key)
        self._processing.add(key)
        return key

    def _done(self, key: K) -> None:
        self._processing.discard(key)
        if key in self._dirty:
            self._dirty.discard(key)
            self.add(key)

    async def run_timers(self) -> None:
        """Move due timers into the queue; run this in the owner's task group."""
        while True:
            now = self._clock()
            while self._timers and self._timers[0][0] <= now:
                _, _, key = heapq.heappop(self._timers)
                self.add(key)
            delay = self._timers[0][0] - now if self._timers else math.inf
            self._timer_changed = anyio.Event()
            with anyio.move_on_after(delay):
                await self._timer_changed.wait()

    async def run_worker(
        self, handle: Callable[[K], Awaitable[None]], on_error: Callable[[K, Exception], None]
    ) -> None:
        """Process keys forever; one failing key never stops the worker."""
        while True:
            key = await self._next()
            try:
                await handle(key)
            except Exception as exc:  # noqa: BLE001 - reported, then the key is retried later
                on_error(key, exc)
            finally:
                self._done(key)
