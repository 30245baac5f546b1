"""What a pod worker is handed instead of the kubelet: the node's parts it acts through.

A :class:`~minik.kubelet.pod.worker.PodWorker` reaches the engine, the
status sink, the clock, images, volumes, the environment, container exits,
probe and hook actions and the pod network only through a
:class:`PodContext`; it holds no reference to the
:class:`~minik.kubelet.kubelet.Kubelet` that made it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from minik.k8s import Obj
from minik.kubelet.env import Env
from minik.kubelet.images import Images
from minik.kubelet.probes.actions import Actions
from minik.kubelet.runtime import Runtime
from minik.kubelet.runtime.exits import ContainerExits
from minik.kubelet.volumes import Volumes


class PodSink(Protocol):
    """Where pod status and events go (the store, through the registry, in the server)."""

    async def update_pod_status(self, pod: Obj, status: Obj) -> None: ...

    async def record_event(
        self, involved: Obj, type: str, reason: str, message: str, component: str
    ) -> None: ...


class Network(Protocol):
    """The node's pod network, as a worker uses it (:class:`minik.kubelet.pod.network.PodNetwork`)."""

    @property
    def name(self) -> str: ...

    async def ensure(self) -> None: ...
    def lost(self) -> None: ...
    async def allocate(self, uid: str) -> str: ...
    async def release_finished(self, uid: str, pod: Obj) -> None: ...
    def aliases(self, uid: str) -> frozenset[str]: ...


@dataclass(frozen=True)
class PodContext:
    runtime: Runtime
    sink: PodSink
    clock: Callable[[], datetime]
    time_scale: float
    instance: str
    node_name: str
    pause_image: str
    state_dir: Path
    images: Images
    volumes: Volumes
    env: Env
    exits: ContainerExits
    actions: Actions  # probes' and lifecycle hooks' actions
    network: Network
    spawn: Callable[
        [Callable[[], Coroutine[Any, Any, None]]], None
    ]  # background work that outlives the worker
    finished: Callable[[str], None]  # the pod's teardown is done (its uid)
