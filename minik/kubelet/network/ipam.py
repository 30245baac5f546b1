"""minik's pod IPAM: one address per pod, from its start until it has finished, as a node's CNI gives one.

A pod's containers come and go — its container's restarts, or init
containers and then the app container — and, without a sandbox
(:func:`minik.kubelet.plan.uses_sandbox`), each owns its network namespace
in turn; the pod's IP must not change with them. :class:`PodIPs` hands each pod an address of the upper half of the
instance network's subnet (:func:`minik.kubelet.subnets.pod_half`; Docker's
own dynamic allocation is confined to the lower half by the network's
``ip_range``) and every container or sandbox of the pod is created with it.

Allocation is next-fit, as the CNI ``host-local`` plugin does: the address
after the last one handed out, so an address just released is reused last.
Every allocation is recorded in an :class:`IPLedger` (the store, in the
server) *before* a container uses it, and the ledger is read back at start:
a server killed and restarted gives an adopted pod the same address and
never gives that address to another pod. An address is released when the
pod has finished (:meth:`minik.kubelet.pod.network.PodNetwork.release_finished`, as a
node's CNI takes a torn-down sandbox's address back: Jobs keep their finished
pods, and the pool must serve any number of them), when a pod is deleted
before it finished, and at start for pods the store no longer has.

No I/O of its own: the ledger is passed in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Protocol

from minik.errors import MinikError
from minik.kubelet import subnets


class IPLedger(Protocol):
    """Where allocations are kept across server restarts (pod uid → address)."""

    def load(self) -> dict[str, str]: ...
    def put(self, uid: str, ip: str) -> None: ...
    def drop(self, uid: str) -> None: ...


class MemoryLedger:
    """An :class:`IPLedger` that lives as long as the process (unit tests, no store)."""

    def __init__(self, rows: dict[str, str] | None = None) -> None:
        self.rows = dict(rows or {})

    def load(self) -> dict[str, str]:
        return dict(self.rows)

    def put(self, uid: str, ip: str) -> None:
        self.rows[uid] = ip

    def drop(self, uid: str) -> None:
        self.rows.pop(uid, None)


class AddressesExhausted(MinikError):
    """Every pod address of the instance network is held by a running pod."""


class NoNetwork(MinikError):
    """An address was asked for before the instance network's subnet is known."""


Address = ipaddress.IPv4Address


def pod_range(subnet: subnets.Net) -> tuple[Address, Address]:
    """The first and last address minik hands to pods (the upper half, its broadcast address left out)."""
    half = subnets.pod_half(subnet)
    return half.network_address, half.broadcast_address - 1


class PodIPs:
    """Which pod holds which address; see the module docstring."""

    def __init__(self, ledger: IPLedger) -> None:
        self._ledger = ledger
        self._by_uid: dict[str, str] = ledger.load()
        self._subnet: subnets.Net | None = None
        self._last: Address | None = None

    def use_subnet(self, cidr: str) -> None:
        """The instance network's subnet (again, after the network was made anew).

        Allocations outside its pod range are dropped: they belonged to a
        network that was removed, which no container used any more; their
        pods get a new address at their next container.
        """
        net = ipaddress.IPv4Network(cidr, strict=False)
        if net == self._subnet:
            return
        self._subnet = net
        first, last = pod_range(net)
        for uid, ip in list(self._by_uid.items()):
            if not first <= Address(ip) <= last:
                self.release(uid)
        held = [Address(ip) for ip in self._by_uid.values()]
        self._last = max(held) if held else None

    def get(self, uid: str) -> str:
        """The pod's address ("" when it holds none)."""
        return self._by_uid.get(uid, "")

    def allocate(self, uid: str) -> str:
        """The pod's address: the one it holds, or the next free one (recorded first)."""
        held = self._by_uid.get(uid)
        if held:
            return held
        if self._subnet is None:
            raise NoNetwork("the instance network's subnet is not known yet")
        first, last = pod_range(self._subnet)
        size = int(last) - int(first) + 1
        after = self._last if self._last is not None and first <= self._last <= last else last
        taken = set(self._by_uid.values())
        for step in range(1, size + 1):
            candidate = first + (int(after) - int(first) + step) % size
            if str(candidate) not in taken:
                self._ledger.put(uid, str(candidate))  # recorded before any container uses it
                self._by_uid[uid] = str(candidate)
                self._last = candidate
                return str(candidate)
        raise AddressesExhausted(
            f"no free pod address left in {first}-{last}: each of the instance's {size} "
            "pod addresses is held by a pod that has not finished yet"
        )

    def release(self, uid: str) -> None:
        """The pod has finished or is gone: its address is free again."""
        if self._by_uid.pop(uid, None) is not None:
            self._ledger.drop(uid)

    def keep_only(self, uids: Iterable[str]) -> int:
        """Release the addresses of pods not in ``uids`` (the start's sweep); how many."""
        keep = set(uids)
        gone = [u for u in self._by_uid if u not in keep]
        for uid in gone:
            self.release(uid)
        return len(gone)
