"""Container exits from Docker's event stream: one stream for every pod.

The kubelet learns that a container ended from a single ``/events``
subscription (``die``, ``destroy``) filtered to this instance's containers,
instead of one blocking ``wait`` request (and one thread) per running
container. A worker calls :meth:`ContainerExits.wait` with the container's
state as read after starting it; the exit code comes from the ``die`` event.

No exit is lost to a race or an outage:

- every ``die`` seen is remembered for a while, so an exit that comes before
  its waiter is there is still found;
- the waiter's own inspect (taken after the stream was open) already shows a
  container that has exited;
- after the stream breaks (engine restart), it is reopened with back-off and
  every container still waited for is inspected again once it is open, so
  an exit during the outage is found.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict

import anyio

from minik.errors import MinikError
from minik.kubelet.runtime import ContainerInfo, NoSuchObject, Runtime

log = logging.getLogger("minik.kubelet.runtime.exits")

GONE = -1  # the exit code for a container that was removed without a die event seen
RECENT = 4096  # exits remembered for waiters that come late
RECONNECT_FIRST = 0.2  # seconds; doubling …
RECONNECT_CAP = 5.0  # … to this while the engine is away


class ContainerExits:
    """Waits for container exits, fed by Docker's event stream."""

    def __init__(self, docker: Runtime, labels: dict[str, str]) -> None:
        self._docker = docker
        self._labels = labels
        self._waiters: dict[str, anyio.Event] = {}
        self._codes: OrderedDict[str, int] = OrderedDict()  # container id → exit code, newest last
        self._open = anyio.Event()  # the stream is open (set while it is)
        self.reconnects = 0

    async def run(self) -> None:
        """Keep the stream open for good (run in the kubelet's task group)."""
        attempt = 0
        while True:
            try:
                stream = await self._docker.open_container_events(self._labels, ("die", "destroy"))
                async with contextlib.aclosing(stream):
                    self._open.set()
                    await self.recheck()  # exits while it was closed
                    async for ev in stream:
                        self._on(ev.action, ev.id, ev.exit_code)
                        attempt = 0
            except MinikError as exc:  # DockerUnavailable when the engine went away
                (log.warning if attempt == 0 else log.debug)("Docker event stream lost (%s); reopening", exc)
            self._open = anyio.Event()
            self.reconnects += 1
            await anyio.sleep(min(RECONNECT_FIRST * 2**attempt, RECONNECT_CAP))
            attempt += 1

    async def opened(self) -> None:
        """Wait until the stream is open."""
        await self._open.wait()

    def _on(self, action: str, cid: str, code: int | None) -> None:
        if action == "die":
            self._exit(cid, code if code is not None else GONE)
        elif action == "destroy":
            self._exit(cid, self._codes.get(cid, GONE))

    def _exit(self, cid: str, code: int) -> None:
        self._codes[cid] = code
        self._codes.move_to_end(cid)
        while len(self._codes) > RECENT:
            self._codes.popitem(last=False)
        waiter = self._waiters.pop(cid, None)
        if waiter is not None:
            waiter.set()

    def mark(self) -> int | None:
        """Call before reading a container's state for :meth:`wait`: which stream saw it."""
        return self.reconnects if self._open.is_set() else None

    def _trusted(self, mark: int | None) -> bool:
        """Whether every exit since ``mark`` reached this object (the stream stayed open)."""
        return mark is not None and mark == self.reconnects and self._open.is_set()

    async def wait(self, cid: str, *, known: ContainerInfo | None = None, mark: int | None = None) -> int:
        """The container's exit code once it has exited (``GONE`` if it was removed).

        ``known`` is the container's state as read by the caller after
        :meth:`mark` returned ``mark``. If the stream did not stay open since
        then, the container is inspected again here, so an exit that the
        stream missed is still found.
        """
        while True:
            if cid in self._codes:
                return self._codes[cid]
            if known is None or not self._trusted(mark):
                mark = self.mark()
                known = await self._inspect(cid)
                if cid in self._codes:  # exited while being inspected
                    return self._codes[cid]
            if known is None:
                return GONE
            if known.status in ("exited", "dead"):
                return known.exit_code
            if self._trusted(mark) or not self._open.is_set():
                break  # the stream saw everything since, or its reopening rechecks this waiter
            known = None  # the stream (re)opened during the inspect: look again
        waiter = self._waiters.get(cid)
        if waiter is None:
            waiter = self._waiters[cid] = anyio.Event()
        await waiter.wait()
        return self._codes.get(cid, GONE)

    async def _inspect(self, cid: str) -> ContainerInfo | None:
        try:
            return await self._docker.inspect(cid)
        except NoSuchObject:
            return None

    async def recheck(self) -> None:
        """Inspect every container still waited for: exits missed while the stream was down."""
        for cid in list(self._waiters):
            try:
                info = await self._docker.inspect(cid)
            except NoSuchObject:
                self._exit(cid, GONE)
                continue
            except MinikError:
                return  # the engine went again; the next reopen rechecks
            if info.status in ("exited", "dead"):
                self._exit(cid, info.exit_code)
