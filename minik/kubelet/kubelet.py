"""A minimal kubelet: enough of a pod on Docker for Job workloads.

The :class:`Kubelet` owns one :class:`~minik.kubelet.pod.worker.PodWorker`
task per pod — a new pod, or one found after a server restart, alike: each
worker starts from what the runtime holds — the Docker event stream the
workers learn exits from, the pod network (:mod:`minik.kubelet.pod.network`),
logs, pod deletion (every Docker object of the pod), the teardown of pods
that finished under an earlier server, and the DNS names Services give pods.
Docker is reached only through the typed
:class:`~minik.kubelet.runtime.Runtime` interface.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.abc

from minik.errors import MinikError
from minik.k8s import NODE_NAME, Obj, meta
from minik.kubelet import labels
from minik.kubelet.env import Env, ObjectSource, TokenSource
from minik.kubelet.images import Images
from minik.kubelet.network import podnet
from minik.kubelet.network.ipam import IPLedger, MemoryLedger
from minik.kubelet.pod.context import PodContext, PodSink
from minik.kubelet.pod.network import PodNetwork
from minik.kubelet.pod.worker import PodWorker
from minik.kubelet.probes.actions import Actions
from minik.kubelet.runtime import Runtime
from minik.kubelet.runtime.exits import ContainerExits
from minik.kubelet.volumes import Volumes
from minik.logoptions import LogOptions

__all__ = ["PAUSE_IMAGE_DEFAULT", "Kubelet", "PodSink"]

log = logging.getLogger("minik.kubelet")


PAUSE_IMAGE_DEFAULT = "registry.k8s.io/pause:3.10"


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
        tokens: TokenSource | None = None,
    ) -> None:
        self.docker = docker
        self.objects = objects
        self.sink = sink
        self.instance = instance
        self.clock = clock
        self.time_scale = time_scale
        self.state_dir = state_dir
        self.node_name = NODE_NAME  # the one node every pod runs on
        self.workers: dict[str, PodWorker] = {}
        self.env = Env(objects)
        self.volumes = Volumes(
            docker, self.env, objects, state_dir=state_dir, instance=instance, tokens=tokens
        )
        self.network = PodNetwork(
            docker,
            ip_ledger if ip_ledger is not None else MemoryLedger(),
            self.volumes,
            instance=instance,
            state_dir=state_dir,
            teardowns_pending=lambda: any(w.done.is_set() for w in self.workers.values()),
        )
        self.ipam = self.network.ipam
        self.exits = ContainerExits(docker, labels.instance(instance))
        self._tg: anyio.abc.TaskGroup | None = None
        self._ready = anyio.Event()
        self._leftovers: set[str] = set()  # pods with containers from an earlier server
        self.ctx = PodContext(
            runtime=docker,
            sink=sink,
            clock=clock,
            time_scale=time_scale,
            instance=instance,
            node_name=self.node_name,
            pause_image=pause_image or os.environ.get("MINIK_PAUSE_IMAGE", PAUSE_IMAGE_DEFAULT),
            state_dir=state_dir,
            images=Images(docker, sink),
            volumes=self.volumes,
            env=self.env,
            exits=self.exits,
            actions=Actions(docker),
            network=self.network,
            spawn=self.spawn,
            finished=self._finished,
        )

    def spawn(self, fn: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``fn`` in the kubelet's task group (background work of a pod)."""
        if self._tg is not None:
            self._tg.start_soon(fn)

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
            await self.network.ensure()

    async def sweep(self, known: set[str]) -> int:
        """Remove the containers, volumes and pod directories of pods not in ``known``, and release
        their addresses; how many pods. Pods that are known and have containers are noted: a
        finished one is torn down when it is synced (:meth:`sync_pod`)."""
        found = await self.docker.label_values(labels.instance(self.instance), labels.POD_UID)
        pods_dir = self.state_dir / "pods"
        dirs = {p.name for p in pods_dir.iterdir()} if pods_dir.is_dir() else set()
        stale = (set(found) | dirs) - known
        for uid in sorted(stale):
            await self.docker.remove_labelled(labels.of_pod(self.instance, uid))
            self.volumes.remove(uid)
        self.ipam.keep_only(known)
        self._leftovers = set(found) & known
        return len(stale)

    async def has_pod_containers(self) -> bool:
        """Whether the engine holds any container (running or not) of this instance's pods."""
        return bool(await self.docker.label_values(labels.instance(self.instance), labels.POD_UID))

    async def release_network(self) -> None:
        """Remove the instance's network if nothing uses it (a later start makes it again)."""
        await self.network.remove_if_unused()

    async def sync_pod(self, pod: Obj) -> None:
        """The pod as the API has it now: its worker decides again (one is started for a new pod,
        or for a pod found after a restart: the same worker, from what the runtime holds)."""
        await self._ready.wait()
        assert self._tg is not None
        uid = str(meta(pod)["uid"])
        w = self.workers.get(uid)
        if w is not None:
            w.update(pod)
            return
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            if uid in self._leftovers or self.ipam.get(uid):
                # Finished before a restart, its teardown not done (a sandbox still
                # running, an address still held): done now, from what the engine has.
                self._leftovers.discard(uid)
                self._tg.start_soon(self._tear_down_found, pod)
            return
        self._leftovers.discard(uid)
        w = self.workers[uid] = PodWorker(self.ctx, pod)  # registered first: a deletion waits for it
        self._tg.start_soon(w.run)

    def _finished(self, uid: str) -> None:
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
            await self.network.release_finished(uid, pod)
        except MinikError as exc:
            log.warning("could not tear down finished pod %s: %s", uid, exc)

    async def forget_pod(self, pod: Obj) -> None:
        """The pod is gone from the API: stop what still runs (with the deletion's grace, 0 for a
        force delete the worker never saw) and remove every Docker object of it."""
        uid = str(meta(pod)["uid"])
        w = self.workers.pop(uid, None)
        if w is not None:
            grace = meta(pod).get("deletionGracePeriodSeconds")
            w.force(int(grace) if grace is not None else 0)
            await w.done.wait()
            w.forgotten.set()
            async with w.sandbox.lock:  # a teardown in flight ends first; none starts after
                pass
        self.network.by_pod.pop(uid, None)
        removed: list[str] = []
        await self.docker.remove_labelled(labels.of_pod(self.instance, uid), names=removed)
        # Docker 20.10 may keep a removed container's endpoint (the network then
        # cannot be removed, its address cannot be reused): a forced disconnect
        # by name drops it. Only a namespace owner has one: the sandbox, or
        # every container of a sandbox-less pod.
        if w is not None and w.sandbox.sandboxed:
            owners = [labels.container_name(self.instance, pod, labels.SANDBOX)]
        else:
            owners = [n.removeprefix("container ") for n in removed if n.startswith("container ")]
        for name in owners:
            with contextlib.suppress(MinikError):
                await self.docker.forget_endpoint(self.network.name, name)
        self.network.release(uid)  # only now: no container holds it any more
        self.volumes.remove(uid)

    async def logs(self, pod: Obj, opts: LogOptions) -> AsyncIterator[bytes]:
        uid = str(meta(pod)["uid"])
        found = await self.docker.list_containers(
            {**labels.of_pod(self.instance, uid), labels.CONTAINER: opts.container}
        )
        found.sort(key=lambda c: labels.attempt(c.labels))
        if opts.previous:
            found = found[:-1]
        if not found:
            return
        cid = found[-1].id
        since = int(time.time() - opts.since_seconds) if opts.since_seconds else None
        async for chunk in self.docker.stream_logs(
            cid, follow=opts.follow, tail=opts.tail, timestamps=opts.timestamps, since=since
        ):
            yield chunk

    def pod_address(self, uid: str) -> str:
        """The address the kubelet gave a pod that runs (its own record, never the stored
        ``status.podIP`` a client may have written); ``""`` when it runs none."""
        w = self.workers.get(uid)
        return w.sandbox.ip if w is not None and not w.done.is_set() else ""

    def reported_status(self, uid: str) -> Obj | None:
        """The status the kubelet last reported for a pod it runs (None when it runs none)."""
        w = self.workers.get(uid)
        return w.status if w is not None else None

    def network_target(self, uid: str) -> str:
        """The container whose network namespace is the pod's now (its sandbox, or its latest
        container when it has none); ``""`` for a pod this kubelet does not run."""
        w = self.workers.get(uid)
        return w.sandbox.network_target() if w is not None else ""

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
            self.network.by_pod[uid] = podnet.service_names(pod, services)
            await w.sandbox.apply_aliases()
