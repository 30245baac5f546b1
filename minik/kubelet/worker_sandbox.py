"""A pod's sandbox and volumes, set up with the kubelet's retries; its deadline and eviction watchers."""

from __future__ import annotations

import contextlib
from typing import Any

import anyio
import anyio.abc

from minik.errors import DockerUnavailable, MinikError, RuntimeFailure
from minik.k8s import parse_time
from minik.kubelet import deadline, labels, podnet
from minik.kubelet.config import HOST_IP, host_network, sandbox_config
from minik.kubelet.errors import ConfigError, PodDeleted, sentence
from minik.kubelet.runtime import NoSuchObject
from minik.kubelet.volumes import Sources, disk_usage
from minik.kubelet.worker_base import (
    EVICTED,
    EVICTION_INTERVAL,
    SANDBOX_STOP_DELAY,
    SandboxError,
    WorkerBase,
    log,
)


class SandboxWorker(WorkerBase):
    """The pod-level setup and watchers of a :class:`~minik.kubelet.worker.PodWorker`."""

    async def _enforce_deadline(self) -> None:
        """Kill the pod once it has been active longer than spec.activeDeadlineSeconds."""
        started = parse_time((self.pod.get("status") or {}).get("startTime")) or self.k.clock()
        left = deadline.remaining_seconds(self.spec, started, self.k.clock())
        if left is None:
            return
        with anyio.move_on_after(max(left, 0.0)):
            await self.done.wait()
        if self.done.is_set() or self.kill.is_set():
            return
        self.deadline_exceeded = True
        await self.k.sink.record_event(self.pod, "Normal", deadline.REASON, deadline.MESSAGE, "kubelet")
        self.kill.set()

    async def watch_size_limits(self) -> None:
        """Evict the pod when a disk emptyDir outgrows its sizeLimit (the eviction manager's check).

        Checked every 10 s, as the kubelet's housekeeping does; the pod is
        killed at once (grace 0) and ends Failed, reason Evicted, with a
        DisruptionTarget condition.
        """
        while not self.done.is_set():
            with anyio.move_on_after(EVICTION_INTERVAL * self.k.time_scale):
                await self.done.wait()
            if self.done.is_set() or self.kill.is_set():
                return
            for name, (path, limit, written) in self.size_limits.items():
                used = await anyio.to_thread.run_sync(disk_usage, path)
                if used > limit:
                    self.evicted = f'Usage of EmptyDir volume "{name}" exceeds the limit "{written}". '
                    self.kill_grace = 0
                    await self.k.sink.record_event(self.pod, "Warning", EVICTED, self.evicted, "kubelet")
                    self.kill.set()
                    return

    async def _stop_sandbox_later(self) -> None:
        with anyio.move_on_after(SANDBOX_STOP_DELAY):
            await self.forgotten.wait()
        await self.stop_sandbox()

    async def stop_sandbox(self) -> None:
        """Tear down a finished pod as the kubelet's syncTerminatedPod does: its sandbox stops
        (PodReadyToStartContainers turns False), its address goes back to the pool and its volumes
        are unmounted. Its stopped containers stay, for ``logs``, until the pod is deleted.

        Nothing is done once the pod is being forgotten: its deletion removes it all.
        """
        stops = self.sandboxed and bool(self.sandbox_id)
        async with self.sandbox_lock:
            if self.forgotten.is_set():
                return
            if stops:
                try:
                    await self.k.docker.stop(self.sandbox_id, grace_seconds=0)
                except MinikError:
                    return  # the engine is down: the next start finishes it (Kubelet.sync_pod)
            await self.k.release_finished(self.uid, self.pod, self.net_owners)
        self.sandbox_stopped = True
        if stops:
            last = self.status or {}
            phase = str(last.get("phase") or "Failed")
            await self.report(
                phase, reason=str(last.get("reason") or ""), message=str(last.get("message") or "")
            )
        self.k.finished(self.uid)

    async def _setup(self) -> Sources:
        """Sandbox and volumes, retried as the kubelet does until they can be made.

        A missing configMap/secret or a failed hostPath check is a
        FailedMount event and a Pending pod that starts once the cause is
        gone; an unreachable engine keeps the pod Pending until it answers.
        """
        attempt = 0
        while True:
            try:
                if not self.network_ready():
                    await self._make_pod_network()
                sources, self.size_limits = await self.k.volumes.prepare(self.pod, self.ip)
                return sources
            except SandboxError as exc:
                # A node problem, not the pod's: it stays Pending (ContainerCreating)
                # and is retried with back-off; it never counts against a Job.
                msg = f"Failed to create pod sandbox: {exc}"
                log.warning("pod %s/%s: %s", self.ns, self.name, msg)
                await self.k.sink.record_event(self.pod, "Warning", "FailedCreatePodSandBox", msg, "kubelet")
                await self.report("Pending")
            except ConfigError as exc:
                msg = f"MountVolume.SetUp failed: {exc}"
                await self.k.sink.record_event(self.pod, "Warning", "FailedMount", msg, "kubelet")
                await self.report("Pending")
            except DockerUnavailable as exc:
                log.warning("pod %s/%s waits for the engine: %s", self.ns, self.name, exc)
                self.sandbox_id = ""  # whatever was half-made went with the engine
                await self.report("Pending")
            if not await self._retry_pause(attempt):
                raise PodDeleted
            attempt += 1

    async def _make_pod_network(self) -> None:
        """The pod's address on the instance network and, if it needs one, its pause container;
        :class:`SandboxError` when the engine refuses them or no address is left."""
        try:
            await self.k.ensure_network()
            if host_network(self.spec):
                self.ip = HOST_IP  # a hostNetwork pod's IP is the node's, as the kubelet reports it
            else:
                self.ip = await self.k.allocate_address(self.uid)  # recorded before any container uses it
            if self.sandboxed:
                await self._create_sandbox()
        except DockerUnavailable:
            raise
        except RuntimeFailure as exc:
            if self.sandbox_id:
                with contextlib.suppress(MinikError):
                    await self.k.docker.remove_container(self.sandbox_id)
            self.sandbox_id = ""
            self.k.network_lost()  # it may be what went missing: the next attempt checks
            raise SandboxError(sentence(exc)) from exc
        except MinikError as exc:  # no address left, or the store refused to record it
            raise SandboxError(sentence(exc)) from exc

    def _owner_settings(self) -> dict[str, Any]:
        """``create_container`` keywords of a container owning the pod's network namespace."""
        aliases = self.k.aliases.get(self.uid, frozenset())
        return podnet.owner_settings(self.pod, network=self.k.network, ip=self.ip, aliases=aliases)

    def container_network(self) -> tuple[str, dict[str, Any]]:
        """A container's network mode and extra ``create_container`` keywords: it joins the
        sandbox, or (sandbox-less) owns the namespace with the pod's hostname, address, aliases."""
        if self.sandboxed:
            return podnet.joined_mode(self.sandbox_id), {}
        return self.k.network, self._owner_settings()

    async def _create_sandbox(self) -> None:
        name = self.cname(labels.SANDBOX)
        with contextlib.suppress(NoSuchObject):  # left by an attempt the engine dropped
            await self.k.docker.remove_container(name)
        config = sandbox_config(self.spec, name=self.name, namespace=self.ns, network=self.k.network)
        if not host_network(self.spec):  # the pod's address and Service aliases on the instance network
            config["endpoint"] = self._owner_settings()["endpoint"]
        async with self.net_lock:
            self.sandbox_id = await self.k.docker.create_container(
                image=self.k.pause_image, name=name, labels=self.labels(labels.SANDBOX), **config
            )
            if "endpoint" in config:
                self.net_owners.append(self.sandbox_id)
                self.aliased[self.sandbox_id] = frozenset(config["endpoint"].aliases)
            await self.k.docker.start(self.sandbox_id)
