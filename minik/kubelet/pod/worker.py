"""One pod's life on Docker: observe, decide, act — the same loop for every pod.

A :class:`PodWorker` starts by reading what the runtime holds of its pod
(:mod:`~minik.kubelet.pod.observe`): nothing for a new pod; a sandbox and
container runs for a pod found after a server restart. Then it loops:
:func:`~minik.kubelet.pod.actions.compute_pod_actions` decides from the
observation, the pod as it is now (deletion, deadline, image) and what
only the worker's memory holds (image pulls backing off, probe results);
the worker carries the actions out — sets up the pod's network and volumes
(:mod:`~minik.kubelet.pod.sandbox`), starts and stops container runs
(:mod:`~minik.kubelet.pod.container`) — reports the status built from the
observation (pure :func:`~minik.kubelet.status.pod_status`), and sleeps
until a container exits, the pod changes, a probe result changes or a
timer (back-off, deadline) runs out. Every wake decides again from scratch.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import anyio
import anyio.abc

from minik.k8s import Obj, meta, parse_time
from minik.kubelet import deadline, plan
from minik.kubelet.errors import sentence
from minik.kubelet.pod.actions import (
    EXITED,
    RUNNING,
    STARTING,
    BackOff,
    Kill,
    PodActions,
    PodInputs,
    Run,
    Start,
    compute_pod_actions,
)
from minik.kubelet.pod.container import ContainerRuns
from minik.kubelet.pod.context import PodContext
from minik.kubelet.pod.observe import observe
from minik.kubelet.pod.owner import Hold
from minik.kubelet.pod.sandbox import PodSandbox
from minik.kubelet.status import PodView, container_status, docker_time, go_duration, pod_status

log = logging.getLogger("minik.kubelet")

SCHEDULER = "default-scheduler"  # the component of the Scheduled event
SANDBOX_STOP_DELAY = 0.5  # seconds after a pod's terminal report before its teardown


class PodWorker:
    """Runs one pod from wherever the runtime has it to a terminal phase; owns its status."""

    def __init__(self, ctx: PodContext, pod: Obj) -> None:
        self.ctx = ctx
        self.pod = pod
        m = meta(pod)
        self.uid = str(m["uid"])
        self.name = str(m["name"])
        self.ns = str(m.get("namespace") or "default")
        self.status: Obj = dict(pod.get("status") or {})  # the status last reported
        self.runs: dict[str, list[Run]] = {}
        self.terms: dict[str, Obj] = {}  # container id → its terminated state (message included)
        self.waiting: dict[str, tuple[str, str]] = {}  # container → (reason, message) while it cannot run
        self.holds: dict[str, Hold] = {}
        self.kill_grace: int | None = None  # overrides every grace (eviction, force delete)
        self.gone = False  # removed from the API (the kubelet forgets it): it stops whatever it shows
        self.evicted = ""  # the eviction message, once the kubelet evicted the pod
        self.wake = anyio.Event()
        self.done = anyio.Event()
        self.forgotten = anyio.Event()  # the pod is gone: its containers are being removed
        self.sandbox = PodSandbox(self)
        self.containers = ContainerRuns(self)
        self._recorded: set[tuple[str, str, int]] = set()  # events recorded once per run
        self._setup_attempts = 0
        self._setup_retry = 0.0
        self._tg: anyio.abc.TaskGroup | None = None

    # -- the pod as it is now --------------------------------------------------
    @property
    def spec(self) -> Obj:
        return self.pod.get("spec") or {}

    @property
    def pod_ref(self) -> str:
        """The pod as the kubelet names it in messages: ``name_namespace(uid)``."""
        return f"{self.name}_{self.ns}({self.uid})"

    def update(self, pod: Obj) -> None:
        """The pod changed in the API (deletion, deadline, image): decide again."""
        self.pod = pod
        self.poke()

    def force(self, grace: int) -> None:
        """Stop with at most ``grace`` (a force delete the worker may not have seen)."""
        if self.kill_grace is None or grace < self.kill_grace:
            self.kill_grace = grace
        self.gone = True
        self.poke()

    def evict(self, message: str) -> None:
        self.evicted = message
        self.kill_grace = 0
        self.poke()

    def poke(self) -> None:
        self.wake.set()

    def container_spec(self, name: str) -> tuple[Obj, bool]:
        for c in self.spec.get("initContainers") or []:
            if c["name"] == name:
                return c, True
        for c in self.spec.get("containers") or []:
            if c["name"] == name:
                return c, False
        return {"name": name}, False

    async def record(self, type: str, reason: str, message: str) -> None:
        """An event of this pod from the kubelet."""
        await self.ctx.sink.record_event(self.pod, type, reason, message, "kubelet")

    async def record_once(self, key: tuple[str, str, int], type: str, reason: str, message: str) -> None:
        if key not in self._recorded:
            self._recorded.add(key)
            await self.record(type, reason, message)

    # -- the loop --------------------------------------------------------------
    async def run(self) -> None:
        if "startTime" not in self.status and not meta(self.pod).get("deletionTimestamp"):
            where = f"{self.ns}/{self.name} to {self.ctx.node_name}"
            await self.ctx.sink.record_event(
                self.pod, "Normal", "Scheduled", f"Successfully assigned {where}", SCHEDULER
            )
        acts = PodActions(phase="Failed", done=True)
        try:
            async with anyio.create_task_group() as tg:
                self._tg = tg
                await self._observe()
                acts = await self._loop()
                tg.cancel_scope.cancel()  # watchers (probes of nothing, size limits)
        except Exception as exc:
            log.warning("pod %s/%s failed to run: %s", self.ns, self.name, exc, exc_info=True)
            await self.record("Warning", "Failed", sentence(exc))
            acts = PodActions(phase="Failed", done=True)
        if not self.sandbox.sandboxed:  # no container holds its network any more
            self.sandbox.stopped = True
        await self.report(acts.phase, reason=acts.reason, message=acts.message)  # the next pod waits on it
        self.done.set()
        # Torn down a moment later, off the hand-off path: a sandbox stop slows
        # the next pod's sandbox start in the engine (~10 %).
        self.ctx.spawn(self._tear_down_later)

    async def _observe(self) -> None:
        """What the runtime holds of this pod now (nothing, for a new one)."""
        if "startTime" not in self.status and not self.status.get("phase"):
            return  # never reported by a kubelet: nothing of it can exist yet
        found = observe(await self.ctx.runtime.list_containers(self.containers.pod_labels()))
        for info in found.never_started:
            await self.ctx.runtime.remove_container(info.id)
        self.runs = found.runs
        for runs in found.runs.values():
            for r in runs:
                if r.state == EXITED:
                    self.terms[r.cid] = self.containers.terminated_of(found.infos[r.cid], r)
        await self.sandbox.adopt(found)
        for name, runs in found.runs.items():
            last = runs[-1]
            if last.state == RUNNING:
                c, init = self.container_spec(name)
                self._spawn(self.containers.watch, c, init, last, None)

    def _spawn(self, fn: Any, *args: Any) -> None:
        assert self._tg is not None
        self._tg.start_soon(fn, *args)

    async def _loop(self) -> PodActions:
        while True:
            self.wake = anyio.Event()
            acts = compute_pod_actions(self._inputs())
            if acts.deadline_exceeded:
                await self.record_once(("", deadline.REASON, 0), "Normal", deadline.REASON, deadline.MESSAGE)
            if acts.done:
                return acts
            if acts.starts and not self.sandbox.ready() and not await self._set_up():
                await self.report("Pending")
                await self._sleep(max(self._setup_retry - anyio.current_time(), 0.0))
                continue
            await self._execute(acts)
            await self._sleep(acts.wake_in)

    async def _sleep(self, seconds: float | None) -> None:
        with anyio.move_on_after(seconds if seconds is not None else float("inf")):
            await self.wake.wait()

    def _inputs(self) -> PodInputs:
        m = meta(self.pod)
        now = anyio.current_time()
        grace = m.get("deletionGracePeriodSeconds") if m.get("deletionTimestamp") else None
        if m.get("deletionTimestamp") and grace is None:
            grace = int(self.spec.get("terminationGracePeriodSeconds", 30))
        if self.gone and grace is None:
            grace = self.kill_grace if self.kill_grace is not None else 0
        runs = {
            name: [*rs[:-1], replace(rs[-1], started=self.containers.started(rs[-1]))]
            for name, rs in self.runs.items()
            if rs
        }
        return PodInputs(
            spec=self.spec,
            runs=runs,
            now=self.ctx.clock(),
            start_time=parse_time(self.status.get("startTime")),
            deletion_grace=None if grace is None else int(grace),
            kill_grace=self.kill_grace,
            evicted=self.evicted,
            holds={n: h.until - now for n, h in self.holds.items() if h.until > now},
            time_scale=self.ctx.time_scale,
        )

    async def _set_up(self) -> bool:
        """The pod's network, sandbox and volumes; False (retried later) when they cannot be made."""
        if anyio.current_time() < self._setup_retry:
            return False
        if await self.sandbox.set_up():
            self._setup_attempts = 0
            return True
        delay = min(1.0 * 2**self._setup_attempts, 300.0) * self.ctx.time_scale
        self._setup_attempts += 1
        self._setup_retry = anyio.current_time() + delay
        return False

    async def _execute(self, acts: PodActions) -> None:
        for k in acts.kills:
            self._kill(k)
        for b in acts.backoffs:
            await self._back_off(b)
        await self.report(acts.phase)  # first: a run created before any report would not be found again
        for s in acts.starts:
            self._start(s)

    def _kill(self, k: Kill) -> None:
        last = self.runs[k.name][-1]
        override = self.kill_grace is not None or bool(meta(self.pod).get("deletionTimestamp"))
        self.containers.stop(k.name, last, k.grace, k.message, override=override)

    async def _back_off(self, b: BackOff) -> None:
        msg = (
            f"back-off {go_duration(b.backoff or 10.0)} restarting failed container={b.name} "
            f"pod={self.name}_{self.ns}({self.uid})"
        )
        self.waiting[b.name] = ("CrashLoopBackOff", msg)
        await self.record_once(
            (b.name, "BackOff", b.attempt),
            "Warning",
            "BackOff",
            f"Back-off restarting failed container {b.name} in pod {self.pod_ref}",
        )

    def _start(self, s: Start) -> None:
        name = s.container["name"]
        self.runs.setdefault(name, []).append(Run(s.attempt, STARTING))
        self._spawn(self.containers.run, s.container, s.init, s.attempt)

    # -- what the runs report back -------------------------------------------------
    def started_run(self, name: str, run: Run) -> None:
        """A start under way became a container run (running, or exited at once)."""
        runs = self.runs.setdefault(name, [])
        if runs and runs[-1].state == STARTING:
            runs[-1] = run
        else:
            runs.append(run)
        self.waiting.pop(name, None)
        self.poke()

    def gave_up(self, name: str) -> None:
        """A start under way could not create its container (held, or the pod is stopping)."""
        runs = self.runs.get(name) or []
        if runs and runs[-1].state == STARTING:
            runs.pop()
        if not runs:
            self.runs.pop(name, None)
        self.poke()

    def ended(self, name: str, run: Run, terminated: Obj) -> None:
        runs = self.runs.setdefault(name, [])
        for idx, r in enumerate(runs):
            if r.cid == run.cid:
                runs[idx] = run
        self.terms[run.cid] = terminated
        self.poke()

    def hold(self, name: str, first: float, reason: str, message: str) -> None:
        """The container cannot be created now: it waits ``reason`` and is tried again after a back-off."""
        h = self.holds.get(name) or Hold(0.0, 0)
        delay = min(first * 2**h.attempts, 300.0) * self.ctx.time_scale
        self.holds[name] = Hold(anyio.current_time() + delay, h.attempts + 1)
        self.waiting[name] = (reason, message)

    def unhold(self, name: str) -> None:
        self.holds.pop(name, None)

    # -- status ------------------------------------------------------------------
    def container_statuses(self) -> dict[str, Obj]:
        out: dict[str, Obj] = {}
        for c, init in [(c, True) for c in self.spec.get("initContainers") or []] + [
            (c, False) for c in self.spec.get("containers") or []
        ]:
            name = c["name"]
            runs = [r for r in self.runs.get(name) or [] if r.state != STARTING]
            wait = self.waiting.get(name)
            last_state = (
                {"terminated": self.terms[runs[-2].cid]}
                if len(runs) > 1 and runs[-2].cid in self.terms
                else None
            )
            if not runs:
                if wait:
                    out[name] = container_status(c, {"waiting": {"reason": wait[0], "message": wait[1]}})
                continue
            r = runs[-1]
            if r.state == RUNNING:
                ready, started = self.containers.probe_view(r, init)
                out[name] = container_status(
                    c,
                    {"running": {"startedAt": docker_time(r.started_at)}},
                    cid=r.cid,
                    restarts=r.attempt,
                    ready=ready,
                    started=started,
                    last=last_state,
                )
                continue
            term = self.terms.get(r.cid) or {}
            if wait:  # CrashLoopBackOff, or its next run cannot be created: the exit is the last state
                out[name] = container_status(
                    c,
                    {"waiting": {"reason": wait[0], "message": wait[1]}},
                    cid=r.cid,
                    restarts=r.attempt,
                    last={"terminated": term},
                )
                continue
            sidecar = plan.is_sidecar(c, init)
            out[name] = container_status(
                c,
                {"terminated": term},
                cid=r.cid,
                restarts=r.attempt,
                ready=init and not sidecar and r.exit_code == 0,  # the prober manager's rule
                last=last_state,
            )
        return out

    async def report(self, phase: str, *, reason: str = "", message: str = "") -> None:
        ready = self.sandbox.network_ready() and not self.sandbox.stopped
        view = PodView(
            self.spec, self.container_statuses(), self.status, ready, self.sandbox.ip, self.evicted
        )
        status = pod_status(view, phase, now=self.ctx.clock(), reason=reason, message=message)
        if status == self.status:
            return
        self.status = status
        await self.ctx.sink.update_pod_status(self.pod, status)

    # -- after the end ---------------------------------------------------------------
    async def _tear_down_later(self) -> None:
        with anyio.move_on_after(SANDBOX_STOP_DELAY):
            await self.forgotten.wait()
        await self.sandbox.tear_down()
