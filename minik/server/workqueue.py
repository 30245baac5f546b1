"""A keyed, de-duplicating work queue with delayed re-adds.

Level-triggered controllers only need to know *which* key changed: adding a
key that is already queued does nothing, and a key is never processed by two
workers at once (a key added while it is being processed is processed once
more afterwards). ``add_after`` schedules a wake-up (backoff expiry, deadline,
TTL) without a polling loop: one timer task sleeps until the earliest due key.
``add_batched`` is the delaying queue's batching (upstream's ``AddAfter`` of a
key already waiting keeps the one wake-up): changes that can wait fold into
one run, and a run that starts meanwhile takes them all, so the pending batch
is dropped.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

import anyio

K = TypeVar("K", bound=Hashable)


class WorkQueue(Generic[K]):
    def __init__(self, *, clock: Callable[[], float] | None = None) -> None:
        self._queue: list[K] = []
        self._queued: set[K] = set()
        self._processing: set[K] = set()
        self._dirty: set[K] = set()
        self._timers: list[tuple[float, int, K, bool]] = []  # (due, seq, key, a batch's timer)
        self._seq = 0
        self._batched: dict[K, int] = {}  # key → the seq of its pending batch timer
        self._work = anyio.Event()
        self._timer_changed = anyio.Event()
        self._clock = clock or anyio.current_time
        self._failures: dict[K, int] = {}  # key -> handler failures in a row

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
        self._push(key, delay, batch=False)

    def _push(self, key: K, delay: float, *, batch: bool) -> int:
        self._seq += 1
        heapq.heappush(self._timers, (self._clock() + delay, self._seq, key, batch))
        self._timer_changed.set()
        return self._seq

    def add_batched(self, key: K, delay: float) -> None:
        """Process ``key`` within ``delay`` seconds, with every other change that comes meanwhile."""
        if key in self._batched or key in self._queued:
            return
        if delay <= 0:
            self.add(key)
            return
        self._batched[key] = self._push(key, delay, batch=True)

    def __len__(self) -> int:
        return len(self._queue)

    async def _next(self) -> K:
        while not self._queue:
            self._work = anyio.Event()
            await self._work.wait()
        key = self._queue.pop(0)
        self._queued.discard(key)
        self._batched.pop(key, None)  # this run sees the changes a batch waited for
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
                _, seq, key, batch = heapq.heappop(self._timers)
                if batch and self._batched.get(key) != seq:
                    continue  # a run has already taken this batch
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
                self._failures[key] = self._failures.get(key, 0) + 1
                on_error(key, exc)
            else:
                self._failures.pop(key, None)
            finally:
                self._done(key)

    def failures(self, key: K) -> int:
        """How many times in a row the handler has failed for ``key`` (0 after a success)."""
        return self._failures.get(key, 0)


class Pacer(Generic[K]):
    """Spaces out a costly handler per key, in proportion to what it cost.

    After a run for ``key`` that took ``c`` seconds, the next run for it may
    start ``factor × c`` later: a Job with a handful of pods (a sync of about
    a millisecond) is synced at once on every pod change, while one with
    thousands of pods (tens of milliseconds per sync) has the pod changes of
    that window folded into one sync, bounding the share of a core a Job's
    syncs can take to ``1 / (1 + factor)``. Only the changes that free a slot
    come here at once; the rest wait for upstream's one-second batch
    (:mod:`minik.controllers.job.wake`).
    """

    def __init__(self, factor: float, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self._factor = factor
        self._clock = clock
        self._not_before: dict[K, float] = {}

    def delay(self, key: K) -> float:
        """Seconds until ``key`` may run again (0: now)."""
        return max(0.0, self._not_before.get(key, 0.0) - self._clock())

    @contextmanager
    def timed(self, key: K) -> Iterator[None]:
        """Time one run for ``key``."""
        start = self._clock()
        try:
            yield
        finally:
            end = self._clock()
            self._not_before[key] = end + self._factor * (end - start)

    def forget(self, key: K) -> None:
        self._not_before.pop(key, None)
