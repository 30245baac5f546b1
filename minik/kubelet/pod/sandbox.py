"""A pod's network and volumes: its address, its sandbox (when it has one), and their teardown.

A pod that can run two containers at once, has init containers, or holds
host ports or the host network gets a pause container (the sandbox) that
holds the pod's network namespace (:func:`minik.kubelet.plan.uses_sandbox`);
any other pod's container owns the namespace itself, with the pod's
hostname, address and Service aliases. Either way the pod keeps one address
from its start until it has finished.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import anyio

from minik.errors import DockerUnavailable, MinikError, RuntimeFailure
from minik.kubelet import labels, plan
from minik.kubelet.container_config import HOST_IP, host_network, sandbox_config
from minik.kubelet.errors import ConfigError, sentence
from minik.kubelet.network import podnet
from minik.kubelet.pod.observe import LIVE, Observed
from minik.kubelet.pod.owner import PodOwner
from minik.kubelet.runtime import NoSuchObject
from minik.kubelet.volumes import SizeLimits, Sources, disk_usage

log = logging.getLogger("minik.kubelet")

EVICTION_INTERVAL = 10.0  # seconds between emptyDir sizeLimit checks (the kubelet's housekeeping)


class SandboxError(MinikError):
    """The pod's sandbox (its network or pause container) could not be made."""


class PodSandbox:
    def __init__(self, w: PodOwner) -> None:
        self.w = w
        self.sandboxed = plan.uses_sandbox(w.spec)
        self.sandbox_id = ""
        self.ip = ""
        self.net_container = ""  # sandbox-less: the latest container, which holds the pod's address
        self.aliased: dict[str, frozenset[str]] = {}  # namespace owner → the DNS aliases it was given
        self.net_lock = anyio.Lock()  # a new owner's create+start and an alias change, one at a time
        self.lock = anyio.Lock()  # one Docker operation on the sandbox at a time (teardown, removal)
        self.stopped = False  # a finished pod's sandbox is stopped: PodReadyToStartContainers False
        self.sources: Sources | None = None  # the volumes, once prepared
        self.size_limits: SizeLimits = {}
        self._watching = False

    # -- state -------------------------------------------------------------------------
    def network_ready(self) -> bool:
        """The pod's network is set up (PodReadyToStartContainers): its sandbox runs, or
        (sandbox-less) its address is allocated."""
        return bool(self.sandbox_id) if self.sandboxed else bool(self.ip)

    def ready(self) -> bool:
        """Containers can be started: network and volumes are set up."""
        return self.network_ready() and self.sources is not None

    def network_target(self) -> str:
        """The container whose network namespace is the pod's now (see :func:`podnet.network_target`)."""
        return podnet.network_target(self.sandbox_id, self.net_container)

    def probe_address(self) -> str:
        """The address probes and HTTP hooks connect to: the pod's IP on the instance network."""
        return self.ip

    # -- found after a restart ---------------------------------------------------------------
    async def adopt(self, found: Observed) -> None:
        """Take over what the runtime holds: the sandbox as it was made, the address, the volumes' limits."""
        w = self.w
        if found.sandbox is not None and found.runs:
            self.sandboxed = True  # as it was made, whatever uses_sandbox says now
        elif found.runs:
            self.sandboxed = False
        if found.sandbox is not None and found.sandbox.status in LIVE:
            self.sandbox_id = found.sandbox.id
        if not self.sandboxed:
            live = [r for runs in found.runs.values() for r in runs]
            running = [r.cid for r in live if r.state == "running"]
            if running or live:
                self.net_container = running[-1] if running else live[-1].cid
        if host_network(w.spec):
            self.ip = HOST_IP
        elif self.sandbox_id or found.runs:
            self.ip = await w.ctx.network.allocate(w.uid)  # the one it holds (read back from the ledger)
        self.size_limits = await w.ctx.volumes.adopt_size_limits(w.pod)
        self._watch_size_limits()

    # -- set up ---------------------------------------------------------------------------
    async def set_up(self) -> bool:
        """One attempt at the pod's network, sandbox and volumes; False (an event, the pod Pending)
        when one cannot be made: a node problem, never the pod's failure."""
        w = self.w
        try:
            if not self.network_ready():
                await self._make_pod_network()
            self.sources, limits = await w.ctx.volumes.prepare(w.pod, self.ip)
            self.size_limits = limits or self.size_limits
            self._watch_size_limits()
            return True
        except SandboxError as exc:
            msg = f"Failed to create pod sandbox: {exc}"
            log.warning("pod %s/%s: %s", w.ns, w.name, msg)
            await w.record("Warning", "FailedCreatePodSandBox", msg)
        except ConfigError as exc:
            await w.record("Warning", "FailedMount", f"MountVolume.SetUp failed: {exc}")
        except DockerUnavailable as exc:
            log.warning("pod %s/%s waits for the engine: %s", w.ns, w.name, exc)
            self.sandbox_id = ""  # whatever was half-made went with the engine
        return False

    async def _make_pod_network(self) -> None:
        w = self.w
        try:
            await w.ctx.network.ensure()
            if host_network(w.spec):
                self.ip = HOST_IP  # a hostNetwork pod's IP is the node's, as the kubelet reports it
            else:
                self.ip = await w.ctx.network.allocate(w.uid)  # recorded before any container uses it
            if self.sandboxed:
                await self._create_sandbox()
        except DockerUnavailable:
            raise
        except RuntimeFailure as exc:
            if self.sandbox_id:
                with contextlib.suppress(MinikError):
                    await w.ctx.runtime.remove_container(self.sandbox_id)
            self.sandbox_id = ""
            w.ctx.network.lost()  # it may be what went missing: the next attempt checks
            raise SandboxError(sentence(exc)) from exc
        except MinikError as exc:  # no address left, or the store refused to record it
            raise SandboxError(sentence(exc)) from exc

    def owner_settings(self) -> dict[str, Any]:
        """``create_container`` keywords of a container owning the pod's network namespace."""
        w = self.w
        aliases = w.ctx.network.aliases(w.uid)
        return podnet.owner_settings(w.pod, network=w.ctx.network.name, ip=self.ip, aliases=aliases)

    def container_network(self) -> tuple[str, dict[str, Any]]:
        """A container's network mode and extra ``create_container`` keywords: it joins the
        sandbox, or (sandbox-less) owns the namespace with the pod's hostname, address, aliases."""
        if self.sandboxed:
            return podnet.joined_mode(self.sandbox_id), {}
        return self.w.ctx.network.name, self.owner_settings()

    async def _create_sandbox(self) -> None:
        w = self.w
        name = labels.container_name(w.ctx.instance, w.pod, labels.SANDBOX)
        with contextlib.suppress(NoSuchObject):  # left by an attempt the engine dropped, or a stopped one
            await w.ctx.runtime.remove_container(name)
        config = sandbox_config(w.spec, name=w.name, namespace=w.ns, network=w.ctx.network.name)
        if not host_network(w.spec):  # the pod's address and Service aliases on the instance network
            config["endpoint"] = self.owner_settings()["endpoint"]
        async with self.net_lock:
            self.sandbox_id = await w.ctx.runtime.create_container(
                image=w.ctx.pause_image,
                name=name,
                labels=labels.for_container(w.ctx.instance, w.pod, labels.SANDBOX),
                **config,
            )
            if "endpoint" in config:
                self.aliased[self.sandbox_id] = frozenset(config["endpoint"].aliases)
            await w.ctx.runtime.start(self.sandbox_id)

    async def apply_aliases(self) -> None:
        """Give the pod's network owner the DNS aliases the kubelet wants for it (Services)."""
        w = self.w
        async with self.net_lock:
            target = self.network_target()
            want = w.ctx.network.aliases(w.uid)
            if not target or self.aliased.get(target, frozenset()) == want:
                return
            await w.ctx.runtime.set_aliases(w.ctx.network.name, target, sorted(want), ip=self.ip)
            self.aliased[target] = want

    def owns_network(self, cid: str) -> None:
        """A sandbox-less pod's new container owns its network namespace now."""
        self.net_container = cid

    # -- eviction ----------------------------------------------------------------------------
    def _watch_size_limits(self) -> None:
        if self.size_limits and not self._watching:
            self._watching = True
            self.w.ctx.spawn(self._watch)

    async def _watch(self) -> None:
        """Evict the pod when a disk emptyDir outgrows its sizeLimit (the eviction manager's check).

        Checked every 10 s, as the kubelet's housekeeping does; the pod is
        killed at once (grace 0) and ends Failed, reason Evicted, with a
        DisruptionTarget condition.
        """
        w = self.w
        while not w.done.is_set():
            with anyio.move_on_after(EVICTION_INTERVAL * w.ctx.time_scale):
                await w.done.wait()
            if w.done.is_set() or w.evicted:
                return
            for name, (path, limit, written) in self.size_limits.items():
                used = await anyio.to_thread.run_sync(disk_usage, path)
                if used > limit:
                    message = f'Usage of EmptyDir volume "{name}" exceeds the limit "{written}". '
                    await w.record("Warning", "Evicted", message)
                    w.evict(message)
                    return

    # -- teardown ---------------------------------------------------------------------------
    async def tear_down(self) -> None:
        """Tear down a finished pod as the kubelet's syncTerminatedPod does: its sandbox stops
        (PodReadyToStartContainers turns False), its address goes back to the pool and its volumes
        are unmounted. Its stopped containers stay, for ``logs``, until the pod is deleted.

        Nothing is done once the pod is being forgotten: its deletion removes it all.
        """
        w = self.w
        stops = self.sandboxed and bool(self.sandbox_id)
        async with self.lock:
            if w.forgotten.is_set():
                return
            if stops:
                try:
                    await w.ctx.runtime.stop(self.sandbox_id, grace_seconds=0)
                except MinikError:
                    return  # the engine is down: the next start finishes it (Kubelet.sync_pod)
            await w.ctx.network.release_finished(w.uid, w.pod)
        self.stopped = True
        if stops:
            last = w.status or {}
            phase = str(last.get("phase") or "Failed")
            await w.report(
                phase, reason=str(last.get("reason") or ""), message=str(last.get("message") or "")
            )
        w.ctx.finished(w.uid)
