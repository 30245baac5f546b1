"""The node's pod network: the instance network, pod addresses (IPAM) and Service names.

One object the kubelet owns and every pod worker uses through its
:class:`~minik.kubelet.pod.context.PodContext`: it makes the instance
network (again, when it went missing), hands out and takes back pod
addresses (:mod:`minik.kubelet.network.ipam`) and keeps the DNS names Services give
each pod.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio

from minik.k8s import Obj
from minik.kubelet import labels
from minik.kubelet.network.ipam import AddressesExhausted, IPLedger, PodIPs
from minik.kubelet.runtime import Runtime
from minik.kubelet.volumes import Volumes

TEARDOWN_WAIT = 5.0  # seconds a pod waits for a finished pod's address before its sandbox fails


class PodNetwork:
    def __init__(
        self,
        runtime: Runtime,
        ledger: IPLedger,
        volumes: Volumes,
        *,
        instance: str,
        state_dir: Path,
        teardowns_pending: Callable[[], bool],
    ) -> None:
        self.runtime = runtime
        self.instance = instance
        self.state_dir = state_dir
        self.volumes = volumes
        self.ipam = PodIPs(ledger)
        self._name = labels.network_name(instance)
        self._pending = teardowns_pending
        self._ok = False
        self._lock = anyio.Lock()
        self._freed = anyio.Event()  # set (and replaced) each time an address is released
        self.by_pod: dict[str, frozenset[str]] = {}  # pod uid → the DNS names its Services give it
        self.subnet = ""  # the instance network's subnet, once known

    @property
    def name(self) -> str:
        return self._name

    async def ensure(self) -> None:
        """Make the instance network unless it is known to exist."""
        async with self._lock:
            if not self._ok:
                net_labels = {labels.INSTANCE: self.instance, labels.HOME: str(self.state_dir)}
                self.subnet = await self.runtime.ensure_network(self._name, net_labels)
                self.ipam.use_subnet(self.subnet)
                self._ok = True

    def lost(self) -> None:
        """A sandbox could not be made: make sure the network exists before the next one."""
        self._ok = False

    async def remove_if_unused(self) -> None:
        """Remove the instance's network if nothing uses it (a later start makes it again)."""
        async with self._lock:
            if await self.runtime.remove_network_if_unused(self._name):
                self._ok = False

    def aliases(self, uid: str) -> frozenset[str]:
        return self.by_pod.get(uid, frozenset())

    async def allocate(self, uid: str) -> str:
        """The pod's address (:meth:`PodIPs.allocate`). When every address is held but a finished
        pod's teardown is under way (it gives one back within a second), wait for it rather than
        fail the pod's sandbox: a small subnet at full use is no reason for a Warning."""
        while True:
            try:
                return self.ipam.allocate(uid)
            except AddressesExhausted:
                if not self._pending():
                    raise
                freed = self._freed
                with anyio.move_on_after(TEARDOWN_WAIT):
                    await freed.wait()
                if not freed.is_set():
                    raise

    def release(self, uid: str) -> None:
        if self.ipam.get(uid):
            self.ipam.release(uid)
            self._freed.set()
            self._freed = anyio.Event()

    async def release_finished(self, uid: str, pod: Obj) -> None:
        """A finished pod gives back what only a running pod needs (syncTerminatedPod).

        Its address returns to the pool at once, as a node's CNI takes it back
        when the sandbox is torn down: a Job keeps its finished pods, and the
        instance's few hundred addresses must serve any number of them.
        ``status.podIP`` stays on the object as a record. Nothing is asked of
        the engine for it: a stopped container holds no endpoint (Docker
        releases a container's address when it stops; its network settings
        only name the address it would ask for again, and it never starts
        again). Forcing a disconnect of each stopped container was tried and
        deadlocked Docker 20.10's network controller against container
        creations running at the same moment. Allocation is next-fit, so an
        address comes back into use only after the whole range has.
        Its volumes are unmounted: rendered files and emptyDir contents go
        (the kubelet tears an emptyDir down when its pod terminates).
        """
        self.release(uid)
        await self.volumes.unmount(pod)
