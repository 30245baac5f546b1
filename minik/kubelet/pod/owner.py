"""What a pod's sandbox and container runs use of the worker that owns them: :class:`PodOwner`.

:class:`~minik.kubelet.pod.sandbox.PodSandbox` and
:class:`~minik.kubelet.pod.container.ContainerRuns` are parts of one
:class:`~minik.kubelet.pod.worker.PodWorker`: they read the pod as the worker
holds it now, record its events, and report back what their runs did. They
see the worker through these Protocols only, so neither imports the worker
and the worker's package has no import circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import anyio

from minik.k8s import Obj
from minik.kubelet.pod.actions import Run
from minik.kubelet.pod.context import PodContext
from minik.kubelet.volumes import Sources


@dataclass
class Hold:
    """A container that cannot be created yet (image pull, config): tried again at ``until``."""

    until: float  # anyio time
    attempts: int


class SandboxView(Protocol):
    """What a container run uses of its pod's sandbox."""

    ip: str
    aliased: dict[str, frozenset[str]]
    net_lock: anyio.Lock
    sources: Sources | None

    def probe_address(self) -> str: ...
    def container_network(self) -> tuple[str, dict[str, Any]]: ...
    def owns_network(self, cid: str) -> None: ...
    async def apply_aliases(self) -> None: ...


class PodOwner(Protocol):
    """The worker, as its sandbox and its container runs use it."""

    ctx: PodContext
    pod: Obj
    uid: str
    name: str
    ns: str
    status: Obj
    evicted: str
    holds: dict[str, Hold]
    done: anyio.Event
    forgotten: anyio.Event

    @property
    def sandbox(self) -> SandboxView: ...
    @property
    def spec(self) -> Obj: ...
    @property
    def pod_ref(self) -> str: ...

    def poke(self) -> None: ...
    def evict(self, message: str) -> None: ...
    def container_spec(self, name: str) -> tuple[Obj, bool]: ...
    async def record(self, type: str, reason: str, message: str) -> None: ...
    async def report(self, phase: str, *, reason: str = "", message: str = "") -> None: ...
    def started_run(self, name: str, run: Run) -> None: ...
    def gave_up(self, name: str) -> None: ...
    def ended(self, name: str, run: Run, terminated: Obj) -> None: ...
    def hold(self, name: str, first: float, reason: str, message: str) -> None: ...
    def unhold(self, name: str) -> None: ...
