"""A pod worker's state and the plumbing every part of it uses (see :mod:`minik.kubelet.worker`).

The worker is one class built in layers, each in its own module:
:class:`WorkerBase` (state, names, status reports, back-off pauses, waiting
for or stopping a container) → :class:`~minik.kubelet.worker_sandbox.SandboxWorker`
(sandbox and volumes, deadline and eviction watchers) →
:class:`~minik.kubelet.worker_containers.ContainerWorker` (one container
run's states: waiting reasons, start errors, termination messages) →
:class:`~minik.kubelet.worker.PodWorker` (the pod's life, restarts, adoption).
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

from minik.errors import MinikError
from minik.k8s import Obj, meta
from minik.kubelet import hooks, labels, lifecycle, plan, podnet
from minik.kubelet.probe_loop import ContainerProbes
from minik.kubelet.probes import kill_for
from minik.kubelet.runtime import ContainerInfo
from minik.kubelet.status import (
    PodView,
    pod_status,
)

if TYPE_CHECKING:
    from minik.kubelet.kubelet import Kubelet

log = logging.getLogger("minik.kubelet")

PAUSE_IMAGE_DEFAULT = "registry.k8s.io/pause:3.10"
SANDBOX_STOP_DELAY = (
    0.5  # seconds after a pod's terminal report before its sandbox stops and its address goes
)
SETUP_RETRY_FIRST = 1.0  # pod setup / image pull retries: 1 s doubling …
SETUP_RETRY_CAP = 300.0  # … to 5 min, as the kubelet's back-off (scaled by MINIK_TIME_SCALE)
IMAGE_BACKOFF_FIRST = 10.0  # image pulls back off 10 s doubling to 5 min (upstream image manager)
SCHEDULER = "default-scheduler"  # the component of the Scheduled event
EVICTED = "Evicted"  # the eviction manager's pod reason
EVICTION_INTERVAL = 10.0  # seconds between emptyDir sizeLimit checks (the kubelet's housekeeping)


class SandboxError(MinikError):
    """The pod's sandbox (its network or pause container) could not be made."""


class WorkerBase:
    """One pod's state as its worker keeps it."""

    """Runs one pod from start to a terminal phase; owns its status."""

    def __init__(self, kubelet: Kubelet, pod: Obj) -> None:
        self.k = kubelet
        self.pod = pod
        m = meta(pod)
        self.uid = str(m["uid"])
        self.name = str(m["name"])
        self.ns = str(m.get("namespace") or "default")
        self.spec: dict[str, Any] = pod.get("spec") or {}
        self.kill = anyio.Event()
        self.done = anyio.Event()
        self.forgotten = anyio.Event()  # the pod is gone: its containers are being removed
        self.sandbox_lock = anyio.Lock()  # one Docker operation on the sandbox at a time
        self.sandbox_id = ""
        self.ip = ""
        self.status: Obj = {}
        self.statuses: dict[str, Obj] = {}
        self.restart_policy = self.spec.get("restartPolicy", "Always")
        self.deadline_exceeded = False  # killed by spec.activeDeadlineSeconds
        self.size_limits: dict[
            str, tuple[str, int, str]
        ] = {}  # disk emptyDir → (host path, bytes, as written)
        self.evicted = ""  # the eviction message, once the kubelet evicted the pod
        self.kill_grace: int | None = None  # overrides the grace period of a kill (an eviction's 0)
        self.sidecar_stop = anyio.Event()  # the regular containers are done: sidecars stop
        self.sidecar_started: dict[str, anyio.Event] = {}
        self.sandbox_stopped = False  # a finished pod's sandbox is stopped: PodReadyToStartContainers False
        # A pod that can run two containers at once gets a sandbox, and so does one with
        # init containers (cheaper on Docker); a one-container pod's container owns the
        # pod's network namespace itself (issue 22, plan.uses_sandbox).
        self.sandboxed = plan.uses_sandbox(self.spec)
        self.net_container = ""  # sandbox-less: the latest container, which holds the pod's address
        self.net_owners: list[str] = []  # every container made on the instance network (sandbox or runs)
        self.aliased: dict[str, frozenset[str]] = {}  # namespace owner → the DNS aliases it was given
        self.net_lock = anyio.Lock()  # a new owner's create+start and an alias change, one at a time
        self.probe_kills: set[str] = set()  # containers whose last run a liveness/startup probe killed

    def network_ready(self) -> bool:
        """The pod's network is set up (PodReadyToStartContainers): its sandbox runs, or
        (sandbox-less) its address is allocated."""
        return bool(self.sandbox_id) if self.sandboxed else bool(self.ip)

    def network_target(self) -> str:
        """The container whose network namespace is the pod's now (see :func:`podnet.network_target`):
        what exec probes, port-forward and alias changes use; ``""`` before there is one."""
        return podnet.network_target(self.sandbox_id, self.net_container)

    async def apply_aliases(self) -> None:
        """Give the pod's network owner the DNS aliases the kubelet wants for it (Services)."""
        async with self.net_lock:
            target = self.network_target()
            want = self.k.aliases.get(self.uid, frozenset())
            if not target or self.aliased.get(target, frozenset()) == want:
                return
            await self.k.docker.set_aliases(self.k.network, target, sorted(want), ip=self.ip)
            self.aliased[target] = want

    @property
    def pod_ref(self) -> str:
        """The pod as the kubelet names it in messages: ``name_namespace(uid)``."""
        return f"{self.name}_{self.ns}({self.uid})"

    def probe_address(self) -> str:
        """The address probes and HTTP hooks connect to: the pod's IP on the instance network.

        Asked of the pod, never of a particular container, so that however
        the pod gets its network (a sandbox, or a container on the network
        directly) probes follow it.
        """
        return self.ip

    async def record(self, type: str, reason: str, message: str) -> None:
        """An event of this pod from the kubelet."""
        await self.k.sink.record_event(self.pod, type, reason, message, "kubelet")

    def labels(self, container: str) -> dict[str, str]:
        return labels.for_container(self.k.instance, self.pod, container)

    def cname(self, container: str, attempt: int = 0) -> str:
        return labels.container_name(self.k.instance, self.pod, container, attempt)

    async def report(self, phase: str, *, reason: str = "", message: str = "") -> None:
        ready = self.network_ready() and not self.sandbox_stopped
        view = PodView(self.spec, self.statuses, self.status, ready, self.ip, self.evicted)
        self.status = pod_status(view, phase, now=self.k.clock(), reason=reason, message=message)
        await self.k.sink.update_pod_status(self.pod, self.status)

    async def _retry_pause(self, attempt: int, *, first: float = SETUP_RETRY_FIRST) -> bool:
        """Wait before retrying pod setup; False when the pod is being deleted."""
        delay = min(first * 2**attempt, SETUP_RETRY_CAP) * self.k.time_scale
        with anyio.move_on_after(delay):
            await self.kill.wait()
        return not self.kill.is_set()

    def _stopping(self, sidecar: bool) -> bool:
        """The pod is being killed, or (for a sidecar) its regular containers are done."""
        return self.kill.is_set() or (sidecar and self.sidecar_stop.is_set())

    def _live_phase(self, init: bool, sidecar: bool) -> str:
        return plan.live_phase(str(self.status.get("phase") or ""), init=init, sidecar=sidecar)

    def _last_state(self, name: str) -> Obj | None:
        """The container's previous termination, kept across its restarts."""
        return (self.statuses.get(name) or {}).get("lastState")

    def _grace(self) -> int:
        """The grace period of a kill: an override (eviction), the deletion's, else the pod's."""
        grace = self.kill_grace
        if grace is None:
            grace = meta(self.pod).get("deletionGracePeriodSeconds")
        if grace is None:
            grace = self.spec.get("terminationGracePeriodSeconds", 30)
        return int(grace)

    async def _wait_or_kill(
        self,
        cid: str,
        *,
        also: anyio.Event | None = None,
        known: ContainerInfo | None = None,
        mark: int | None = None,
        container: str = "",
        spec: Obj | None = None,
        probes: ContainerProbes | None = None,
        hook_failed: anyio.Event | None = None,
    ) -> int:
        """The container's exit code; it is stopped (grace period, preStop hook first) on a kill,
        on ``also``, when a liveness/startup probe failed or when its postStart hook failed."""
        code = -1
        async with anyio.create_task_group() as tg:

            async def waiter() -> None:
                nonlocal code
                code = await self.k.exits.wait(
                    cid, known=known, mark=mark
                )  # GONE: the caller's inspect tells
                tg.cancel_scope.cancel()

            async def killer() -> None:
                triggers = [e for e in (self.kill, also, hook_failed) if e is not None]
                if probes is not None:
                    triggers.append(probes.failed)
                await _first(*triggers)
                grace, message = self._grace(), f"Stopping container {container}"
                if probes is not None and probes.failed.is_set() and not self.kill.is_set() and spec:
                    # Only an init container can set restartPolicy (Always: a sidecar).
                    policy = plan.restart_policy(spec, self.restart_policy, init="restartPolicy" in spec)
                    decided = kill_for(
                        probes.states,
                        spec,
                        restart=policy != "Never",
                        pod_grace=grace,
                        deletion_grace=meta(self.pod).get("deletionGracePeriodSeconds"),
                    )
                    if decided is not None:
                        grace, message = decided.grace, decided.message
                        self.probe_kills.add(container)
                elif hook_failed is not None and hook_failed.is_set() and not self.kill.is_set():
                    message = hooks.POST_START_KILL_MESSAGE
                if container:
                    await self.record("Normal", "Killing", message)
                with contextlib.suppress(MinikError):
                    await lifecycle.stop(
                        self.k.actions,
                        spec or {"name": container},
                        cid=cid,
                        ip=self.probe_address(),
                        pod_ref=self.pod_ref,
                        grace=grace,
                        record=self.record,
                    )

            tg.start_soon(waiter)
            tg.start_soon(killer)
        return code


async def _first(*events: anyio.Event) -> None:
    """Wait until any of ``events`` is set."""
    async with anyio.create_task_group() as tg:

        async def one(e: anyio.Event) -> None:
            await e.wait()
            tg.cancel_scope.cancel()

        for e in events:
            tg.start_soon(one, e)
