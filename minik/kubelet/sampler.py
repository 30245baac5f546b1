"""Samples the engine's container stats in the background, only while metrics are being asked for.

Owns the timing: a reading of every running container of the instance
every ``interval`` seconds (15 s by default, as metrics-server's resolution)
while a metrics request came in the last ``idle_after`` seconds; then it
stops and forgets its readings, and the next request wakes it. Requests
read the last computed :class:`Snapshot` and never call the engine. The
math is :mod:`minik.kubelet.metrics`; every engine call goes through the
:class:`~minik.kubelet.runtime.Runtime`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import anyio

from minik.errors import MinikError
from minik.k8s import rfc3339
from minik.kubelet import labels, metrics
from minik.kubelet.runtime import NoSuchObject, Runtime

log = logging.getLogger("minik.metrics")


@dataclass(frozen=True)
class Snapshot:
    usages: list[metrics.Usage]
    timestamp: str
    window: float


class MetricsSampler:
    def __init__(
        self,
        runtime: Runtime,
        *,
        instance: str,
        wall: Callable[[], datetime],
        interval: float = 15.0,
        idle_after: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runtime = runtime
        self.instance = instance
        self.wall = wall
        self.interval = interval
        self.idle_after = idle_after
        self.clock = clock
        self._asked = float("-inf")
        self._wake = anyio.Event()
        self._previous: dict[str, metrics.Reading] = {}
        self.latest: Snapshot | None = None

    def touch(self) -> None:
        """A metrics request came in: keep sampling (or start again)."""
        self._asked = self.clock()
        self._wake.set()

    def asked_recently(self) -> bool:
        return self.clock() - self._asked <= self.idle_after

    async def run(self) -> None:
        while True:
            if not self.asked_recently():
                self._previous, self.latest = {}, None
                await self._wake.wait()
                self._wake = anyio.Event()
                continue
            try:
                await self.sample()
            except MinikError as exc:
                log.warning("metrics: could not read container stats: %s", exc)
            await anyio.sleep(self.interval)

    async def sample(self) -> None:
        """Read every running container once; compute usage against the previous readings."""
        current: dict[str, metrics.Reading] = {}
        for c in await self.runtime.list_containers(labels.instance(self.instance)):
            name = c.labels.get(labels.CONTAINER, "")
            if c.status != "running" or not name or name == labels.SANDBOX:
                continue
            try:
                st = await self.runtime.stats(c.id)
            except NoSuchObject:
                continue
            current[c.id] = metrics.Reading(
                at=self.clock(),
                cpu_ns=st.cpu_ns,
                working_set=st.working_set,
                namespace=c.labels.get(labels.NAMESPACE, "default"),
                pod=c.labels.get(labels.POD_NAME, ""),
                pod_uid=c.labels.get(labels.POD_UID, ""),
                container=name,
            )
        usages = metrics.usage(self._previous, current)
        if self._previous:
            window = max((u.window for u in usages), default=self.interval)
            self.latest = Snapshot(usages, rfc3339(self.wall()), window)
        self._previous = current
