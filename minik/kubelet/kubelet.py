"""A minimal kubelet: enough of a pod on Docker for Job workloads.

The :class:`Kubelet` owns one :class:`~minik.kubelet.worker.PodWorker` task
per pod, the Docker event stream the workers learn exits from, adoption of
running pods after a server restart, logs, pod deletion (every Docker object
of the pod) and the DNS names Services give pods. Docker is reached only
through the typed :class:`~minik.kubelet.runtime.Runtime` interface.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import anyio
import anyio.abc

from minik.errors import MinikError
from minik.k8s import NODE_NAME, Obj, meta
from minik.kubelet import labels, podnet
from minik.kubelet.env import Env, ObjectSource
from minik.kubelet.events import ContainerExits
from minik.kubelet.images import Images
from minik.kubelet.ipam import AddressesExhausted, IPLedger, MemoryLedger, PodIPs
from minik.kubelet.probe_actions import Actions
from minik.kubelet.runtime import Runtime
from minik.kubelet.volumes import Volumes
from minik.kubelet.worker import PAUSE_IMAGE_DEFAULT, PodWorker

log = logging.getLogger("minik.kubelet")

TEARDOWN_WAIT = 5.0  # seconds a pod waits for a finished pod's address before its sandbox fails


class PodSink(Protocol):
    async def update_pod_status(self, pod: Obj, status: Obj) -> None: ...

    async def record_event(
        self, involved: Obj, type: str, reason: str, message: str, component: str
    ) -> None: ...


class Kubelet:
    def __init__(
        self,
        docker: Runtime,
        objects: ObjectSource,
        sink: PodSink,
        *,
        instance: str,
        clock: Callable[[], datetime],
        time_scale: float = 1.0,
        state_dir: Path,
        pause_image: str | None = None,
        ip_ledger: IPLedger | None = None,
    ) -> None:
        import os

        self.docker = docker
        self.objects = objects
        self.sink = sink
        self.instance = instance
        self.clock = clock
        self.time_scale = time_scale
        self.state_dir = state_dir
        self.pause_image = pause_image or os.environ.get("MINIK_PAUSE_IMAGE", PAUSE_IMAGE_DEFAULT)
        self.network = labels.network_name(instance)
        self.node_name = NODE_NAME  # the one node every pod runs on
        self.workers: dict[str, PodWorker] = {}
        self.aliases: dict[str, frozenset[str]] = {}  # pod uid → the DNS names its Services give it
        self.ipam = PodIPs(ip_ledger if ip_ledger is not None else MemoryLedger())
        self._address_freed = anyio.Event()  # set (and replaced) each time an address is released
        self.env = Env(objects)
        self.volumes = Volumes(docker, self.env, objects, state_dir=state_dir, instance=instance)
        self.images = Images(docker, sink)
        self.exits = ContainerExits(docker, labels.instance(instance))
        self.actions = Actions(docker)  # probes' and lifecycle hooks' actions
        self._tg: anyio.abc.TaskGroup | None = None
        self._ready = anyio.Event()
        self._network_ok = False
        self._network_lock = anyio.Lock()
        self._adopted: set[str] = set()

    def spawn(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` in the kubelet's task group (background work of a pod)."""
        if self._tg is not None:
            self._tg.start_soon(fn)

    async def ensure_network(self) -> None:
        async with self._network_lock:
            if not self._network_ok:
                net_labels = {labels.INSTANCE: self.instance, labels.HOME: str(self.state_dir)}
                self.ipam.use_subnet(await self.docker.ensure_network(self.network, net_labels))
                self._network_ok = True

    def network_lost(self) -> None:
        """A sandbox could not be made: make sure the network exists before the next one."""
        self._network_ok = False

    async def run(self) -> None:
        async with anyio.create_task_group() as tg:
            self._tg = tg
            tg.start_soon(self.exits.run)
            tg.start_soon(self._network_early)
            with anyio.move_on_after(2):  # an engine that is down does not hold the kubelet back
                await self.exits.opened()
            self._ready.set()
            await anyio.sleep_forever()

    async def _network_early(self) -> None:
        """Make the instance's network now, so the first pod does not wait for it."""
        with contextlib.suppress(MinikError):  # the first pod retries, and reports why
            await self.ensure_network()

    async def sweep(self, known: set[str]) -> int:
        """Remove the containers, volumes and pod directories of pods not in ``known``, and release
        their addresses; how many pods."""
        found = await self.docker.label_values(labels.instance(self.instance), labels.POD_UID)
        pods_dir = self.state_dir / "pods"
        dirs = {p.name for p in pods_dir.iterdir()} if pods_dir.is_dir() else set()
        stale = (set(found) | dirs) - known
        for uid in sorted(stale):
            await self.docker.remove_labelled(labels.of_pod(self.instance, uid))
            self.volumes.remove(uid)
        self.ipam.keep_only(known)
        return len(stale)

    async def release_network(self) -> None:
        """Remove the instance's network if nothing uses it (a later start makes it again)."""
        async with self._network_lock:
            if await self.docker.remove_network_if_unused(self.network):
                self._network_ok = False

    async def adopt(self) -> None:
        """Pods that have containers from an earlier server are never started again."""
        for c in await self.docker.list_containers(labels.instance(self.instance)):
            uid = c.labels.get(labels.POD_UID)
            if uid:
                self._adopted.add(uid)

    async def sync_pod(self, pod: Obj) -> None:
        await self._ready.wait()
        assert self._tg is not None
        uid = str(meta(pod)["uid"])
        phase = (pod.get("status") or {}).get("phase")
        w = self.workers.get(uid)
        if w is not None:
            w.pod = pod
            if meta(pod).get("deletionTimestamp"):
                w.kill.set()
            return
        if phase in ("Succeeded", "Failed"):
            if uid in self._adopted or self.ipam.get(uid):
                # Finished before a restart, its teardown not done (a sandbox still
                # running, an address still held): done now, from what the engine has.
                self._adopted.discard(uid)
                self._tg.start_soon(self._tear_down_found, pod)
            return
        if uid in self._adopted:
            self._adopted.discard(uid)
            # Registered before it runs: a deletion that comes meanwhile waits for it.
            w = self.workers[uid] = PodWorker(self, pod)
            self._tg.start_soon(w.resume_or_fail)
            return
        if meta(pod).get("deletionTimestamp"):
            await self.sink.update_pod_status(pod, {**(pod.get("status") or {}), "phase": "Failed"})
            return
        w = PodWorker(self, pod)
        self.workers[uid] = w
        self._tg.start_soon(w.run)

    async def forget_pod(self, pod: Obj) -> None:
        uid = str(meta(pod)["uid"])
        w = self.workers.pop(uid, None)
        if w is not None:
            # Force-deleted (grace 0) before the worker saw the deletion: it stops
            # with the deletion's grace, not the spec's (which would hold this loop).
            grace = meta(pod).get("deletionGracePeriodSeconds")
            if grace is not None and (w.kill_grace is None or int(grace) < w.kill_grace):
                w.kill_grace = int(grace)
            w.kill.set()
            await w.done.wait()
            w.forgotten.set()
            async with w.sandbox_lock:  # a teardown in flight ends first; none starts after
                pass
        self.aliases.pop(uid, None)
        removed: list[str] = []
        await self.docker.remove_labelled(labels.of_pod(self.instance, uid), names=removed)
        # Docker 20.10 may keep a removed container's endpoint (the network then
        # cannot be removed, its address cannot be reused): a forced disconnect
        # by name drops it. Only a namespace owner has one: the sandbox, or
        # every container of a sandbox-less pod.
        if w is not None and w.sandboxed:
            owners = [labels.container_name(self.instance, pod, labels.SANDBOX)]
        else:
            owners = [n.removeprefix("container ") for n in removed if n.startswith("container ")]
        for name in owners:
            with contextlib.suppress(MinikError):
                await self.docker.forget_endpoint(self.network, name)
        self._release_address(uid)  # only now: no container holds it any more
        self.volumes.remove(uid)

    async def release_finished(self, uid: str, pod: Obj, owners: list[str]) -> None:
        """A finished pod gives back what only a running pod needs (syncTerminatedPod).

        Its address returns to the pool at once, as a node's CNI takes it back
        when the sandbox is torn down: a Job keeps its finished pods, and the
        instance's few hundred addresses must serve any number of them.
        ``status.podIP`` stays on the object as a record. Nothing is asked of
        the engine for it (``owners`` is kept for the record only): a stopped
        container holds no endpoint (Docker releases a container's address
        when it stops; its settings only name the address it would ask for
        again, and it never starts again). Forcing a disconnect of each
        stopped container was tried and deadlocked Docker 20.10's network
        controller against container creations running at the same moment.
        Allocation is next-fit, so an address comes back into use only after
        the whole range has. Its volumes are unmounted: rendered files and
        emptyDir contents go (the kubelet tears an emptyDir down when its pod
        terminates).
        """
        del owners
        self._release_address(uid)
        await self.volumes.unmount(pod)

    def _release_address(self, uid: str) -> None:
        if self.ipam.get(uid):
            self.ipam.release(uid)
            self._address_freed.set()
            self._address_freed = anyio.Event()

    async def allocate_address(self, uid: str) -> str:
        """The pod's address (:meth:`PodIPs.allocate`). When every address is held but a finished
        pod's teardown is under way (it gives one back within a second), wait for it rather than
        fail the pod's sandbox: a small subnet at full use is no reason for a Warning."""
        while True:
            try:
                return self.ipam.allocate(uid)
            except AddressesExhausted:
                if not any(w.done.is_set() for w in self.workers.values()):
                    raise
                freed = self._address_freed
                with anyio.move_on_after(TEARDOWN_WAIT):
                    await freed.wait()
                if not freed.is_set():
                    raise

    def finished(self, uid: str) -> None:
        """A finished pod's teardown is done: its worker goes (a long Job keeps thousands of pods)."""
        w = self.workers.get(uid)
        if w is not None and w.done.is_set() and not w.forgotten.is_set():
            del self.workers[uid]

    async def _tear_down_found(self, pod: Obj) -> None:
        """The teardown of a pod that finished under an earlier server, from what the engine holds."""
        uid = str(meta(pod)["uid"])
        try:
            found = await self.docker.list_containers(labels.of_pod(self.instance, uid))
            for c in found:
                if c.status == "running":  # a sandbox whose stop the kill cut short
                    await self.docker.stop(c.id, grace_seconds=0)
            await self.release_finished(uid, pod, [c.id for c in found])
        except MinikError as exc:
            log.warning("could not tear down finished pod %s: %s", uid, exc)

    async def logs(
        self,
        pod: Obj,
        container: str,
        *,
        previous: bool,
        follow: bool,
        tail: int | None,
        timestamps: bool,
        since_seconds: int | None,
    ) -> AsyncIterator[bytes]:
        uid = str(meta(pod)["uid"])
        found = await self.docker.list_containers(
            {**labels.of_pod(self.instance, uid), labels.CONTAINER: container}
        )
        found.sort(key=lambda c: labels.attempt(c.labels))
        if previous:
            found = found[:-1]
        if not found:
            return
        cid = found[-1].id
        since = int(time.time() - since_seconds) if since_seconds else None
        async for chunk in self.docker.stream_logs(
            cid, follow=follow, tail=tail, timestamps=timestamps, since=since
        ):
            yield chunk

    def network_target(self, uid: str) -> str:
        """The container whose network namespace is the pod's now (its sandbox, or its latest
        container when it has none); ``""`` for a pod this kubelet does not run."""
        w = self.workers.get(uid)
        return w.network_target() if w is not None else ""

    async def sync_services(self, services: list[Obj], pods: list[Obj]) -> None:
        """Give each running pod's network owner the DNS names of the Services that select it.

        The names are kept per pod: a sandbox-less pod's next container is
        created with them, and keeps the pod's address (no new IP to report).
        """
        for pod in pods:
            uid = str(meta(pod).get("uid"))
            w = self.workers.get(uid)
            if w is None or w.done.is_set() or (pod.get("spec") or {}).get("hostNetwork"):
                continue  # a hostNetwork pod is not on the instance network: no aliases
            self.aliases[uid] = podnet.service_names(pod, services)
            await w.apply_aliases()
