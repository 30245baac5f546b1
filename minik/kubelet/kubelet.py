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
from minik.k8s import NODE_NAME, Obj, meta, selector_matches
from minik.kubelet import labels
from minik.kubelet.env import Env, ObjectSource
from minik.kubelet.events import ContainerExits
from minik.kubelet.images import Images
from minik.kubelet.runtime import Runtime
from minik.kubelet.volumes import Volumes
from minik.kubelet.worker import PAUSE_IMAGE_DEFAULT, PodWorker

log = logging.getLogger("minik.kubelet")


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
        self.aliases: dict[str, frozenset[str]] = {}
        self.env = Env(objects)
        self.volumes = Volumes(docker, self.env, objects, state_dir=state_dir, instance=instance)
        self.images = Images(docker, sink)
        self.exits = ContainerExits(docker, labels.instance(instance))
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
                await self.docker.ensure_network(self.network, net_labels)
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
        """Remove the containers, volumes and pod directories of pods not in ``known``; how many pods."""
        found = await self.docker.label_values(labels.instance(self.instance), labels.POD_UID)
        pods_dir = self.state_dir / "pods"
        dirs = {p.name for p in pods_dir.iterdir()} if pods_dir.is_dir() else set()
        stale = (set(found) | dirs) - known
        for uid in sorted(stale):
            await self.docker.remove_labelled(labels.of_pod(self.instance, uid))
            self.volumes.remove(uid)
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
            w.kill.set()
            await w.done.wait()
            w.forgotten.set()
            await w.sandbox_lock.acquire()  # a sandbox stop in flight ends first
        self.aliases.pop(uid, None)
        await self.docker.remove_labelled(labels.of_pod(self.instance, uid))
        # Docker 20.10 may keep a removed sandbox's endpoint (the network then
        # cannot be removed); a forced disconnect by name drops it.
        sandbox = labels.container_name(self.instance, pod, labels.SANDBOX)
        with contextlib.suppress(MinikError):
            await self.docker.forget_endpoint(self.network, sandbox)
        self.volumes.remove(uid)

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

    async def sync_services(self, services: list[Obj], pods: list[Obj]) -> None:
        """Give each pod's sandbox the DNS names of the Services that select it."""
        for pod in pods:
            m = meta(pod)
            uid = str(m.get("uid"))
            worker = self.workers.get(uid)
            sandbox = worker.sandbox_id if worker is not None else ""
            if not sandbox or (pod.get("spec") or {}).get("hostNetwork"):
                continue  # a hostNetwork pod is not on the instance network: no aliases
            ns = str(m.get("namespace") or "default")
            names: set[str] = set()
            spec = pod.get("spec") or {}
            for svc in services:
                sm = meta(svc)
                sel = (svc.get("spec") or {}).get("selector")
                if sm.get("namespace", "default") != ns or not sel:
                    continue
                if selector_matches({"matchLabels": sel}, m.get("labels")):
                    n = str(sm["name"])
                    names |= {n, f"{n}.{ns}", f"{n}.{ns}.svc", f"{n}.{ns}.svc.cluster.local"}
                    if spec.get("subdomain") == n and spec.get("hostname"):
                        h = spec["hostname"]
                        names |= {
                            f"{h}.{n}",
                            f"{h}.{n}.{ns}",
                            f"{h}.{n}.{ns}.svc",
                            f"{h}.{n}.{ns}.svc.cluster.local",
                        }
            want = frozenset(names)
            if self.aliases.get(uid, frozenset()) == want:
                continue
            await self.docker.set_aliases(self.network, sandbox, sorted(want))
            self.aliases[uid] = want
            # Reconnecting may give the sandbox a new address: report it.
            ip = (await self.docker.inspect(sandbox)).ip
            w = self.workers.get(uid)
            if w is not None and ip and ip != w.ip:
                w.ip = ip
                phase = str((w.status or {}).get("phase") or "Pending")
                if phase not in ("Succeeded", "Failed"):
                    await w.report(phase)
