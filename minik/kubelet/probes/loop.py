"""One container run's probe workers: each probe on its period, results into :mod:`minik.kubelet.probes.rules`.

:class:`ContainerProbes` is made for a container once it has started and
runs until that run ends. Each probe (startup, readiness, liveness) is a
loop that waits for its first tick, probes when the rules say so, records
the Unhealthy (or ProbeWarning) event of each result, and folds it into
its state. A change of ``started`` or ``ready`` calls ``changed`` (the
worker reports the pod); a liveness or startup failure sets :attr:`failed`
(the worker kills the container). When the startup probe succeeds, the
readiness probe runs at once (the manager's manual trigger).

Periods and initial delays are scaled by ``MINIK_TIME_SCALE`` as minik's
other kubelet timings are; a probe's timeout is not (it bounds real work).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio

from minik.k8s import Obj
from minik.kubelet.probes import rules as probes
from minik.kubelet.probes.actions import Outcome
from minik.kubelet.probes.rules import KINDS, LIVENESS, READINESS, STARTUP, TITLE, ProbeState, Timing

log = logging.getLogger("minik.kubelet")

RunProbe = Callable[[str, Obj], Awaitable[Outcome]]  # (kind, probe spec) → one probe's outcome
Record = Callable[[str, str, str], Awaitable[None]]  # (type, reason, message)


class ContainerProbes:
    """The probes of one container run, and what they decide."""

    def __init__(
        self,
        c: Obj,
        *,
        run_probe: RunProbe,
        record: Record,
        changed: Callable[[], Awaitable[None]],
        stopping: Callable[[], bool],
        alive: Callable[[], Awaitable[bool]],
        scale: float,
    ) -> None:
        self.c = c
        self._run_probe = run_probe
        self._record = record
        self._changed = changed
        self._stopping = stopping
        self._alive = alive
        self._scale = scale
        self.states: dict[str, ProbeState] = {k: ProbeState.new(k) for k in KINDS if c.get(k) is not None}
        self.failed = anyio.Event()  # a liveness or startup probe failed: kill the container
        self._wake = {k: anyio.Event() for k in self.states}

    @property
    def any(self) -> bool:
        return bool(self.states)

    @property
    def started(self) -> bool:
        return probes.started(self.states, running=True)

    @property
    def ready(self) -> bool:
        return probes.ready(self.states, running=True)

    async def run(self) -> None:
        """Run every probe until cancelled (the container run ended) or a kill is decided."""
        async with anyio.create_task_group() as tg:
            for kind in self.states:
                tg.start_soon(self._loop, kind)

    async def _loop(self, kind: str) -> None:
        timing = Timing.of(self.c[kind])
        await self._pause(kind, timing.first_probe())
        while True:
            st = self.states[kind]
            if kind in (LIVENESS, STARTUP) and self._stopping():
                return  # a pod being stopped is not killed again by its probes (StopLivenessAndStartup)
            if probes.should_probe(kind, started=self.started, on_hold=st.on_hold):
                await self._probe(kind, timing)
                if self.states[kind].on_hold:
                    self.failed.set()
                    return
            await self._pause(kind, timing.period)

    async def _pause(self, kind: str, seconds: float) -> None:
        with anyio.move_on_after(seconds * self._scale):
            await self._wake[kind].wait()
        self._wake[kind] = anyio.Event()

    async def _probe(self, kind: str, timing: Timing) -> None:
        outcome = await self._run_probe(kind, self.c[kind])
        if outcome.error:
            # A prober error throws the result away (the worker keeps its state). A container
            # that has just exited is not probed at all (upstream probes running containers only).
            if not await self._alive():
                return
            log.info("%s probe errored for %s: %s", TITLE[kind], self.c.get("name"), outcome.error)
            await self._record("Warning", "Unhealthy", f"{TITLE[kind]} probe errored: {outcome.error}")
            return
        if outcome.warning:
            await self._record("Warning", "ProbeWarning", f"{TITLE[kind]} probe warning: {outcome.output}")
        message = probes.event_message(kind, outcome.result, outcome.output)
        if message:
            await self._record("Warning", "Unhealthy", message)
        before = (self.started, self.ready)
        self.states[kind] = probes.record(self.states[kind], outcome.result, timing)
        if (self.started, self.ready) != before:
            if kind == STARTUP and self.started and READINESS in self._wake:
                self._wake[READINESS].set()
            await self._changed()
