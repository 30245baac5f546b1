"""The address range instance networks take their subnets from.

Docker 20.10 has about 31 default address pools, and every network holds one
until it is removed: a day of test runs used them up and every new pod then
failed. minik therefore gives each instance network an explicit subnet from
a range of its own (``MINIK_SUBNET_POOL``, default ``10.208.0.0/12``, split
into ``/MINIK_SUBNET_PREFIX`` subnets, default ``/22``: 1,024 instances of
1,022 pod addresses each), skipping any subnet that another Docker network
or a route of the host already covers. Deleting an instance
(``minik server delete``) removes its network and so frees its subnet.

Pure: the caller passes what Docker and the host use.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Iterator

from minik.errors import MinikError

DEFAULT_POOL = "10.208.0.0/12"
DEFAULT_PREFIX = 22

Net = ipaddress.IPv4Network


def pool_from_env() -> tuple[Net, int]:
    """``MINIK_SUBNET_POOL`` and ``MINIK_SUBNET_PREFIX``, checked."""
    raw_pool = os.environ.get("MINIK_SUBNET_POOL") or DEFAULT_POOL
    raw_prefix = os.environ.get("MINIK_SUBNET_PREFIX") or str(DEFAULT_PREFIX)
    try:
        pool = ipaddress.IPv4Network(raw_pool, strict=True)
    except ValueError as exc:
        raise MinikError(
            f"MINIK_SUBNET_POOL must be an IPv4 CIDR such as {DEFAULT_POOL}, not {raw_pool!r}"
        ) from exc
    if not raw_prefix.isdigit() or not pool.prefixlen <= int(raw_prefix) <= 28:
        raise MinikError(
            f"MINIK_SUBNET_PREFIX must be a prefix length from {pool.prefixlen} to 28, not {raw_prefix!r}"
        )
    return pool, int(raw_prefix)


def candidates(pool: Net, prefix: int, used: Iterable[Net]) -> Iterator[Net]:
    """The pool's subnets of size ``prefix``, in order, that overlap nothing in ``used``."""
    taken = [u for u in used if u.overlaps(pool)]
    for subnet in pool.subnets(new_prefix=prefix):
        if not any(subnet.overlaps(u) for u in taken):
            yield subnet


def parse_routes(text: str) -> list[Net]:
    """The destinations of ``/proc/net/route`` (the default route left out)."""
    out: list[Net] = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8:
            continue
        try:
            dest = ipaddress.IPv4Address(bytes.fromhex(fields[1])[::-1])
            mask = ipaddress.IPv4Address(bytes.fromhex(fields[7])[::-1])
            net = ipaddress.IPv4Network(f"{dest}/{mask}", strict=False)
        except ValueError:
            continue
        if net.prefixlen:
            out.append(net)
    return out


def host_routes() -> list[Net]:
    """The host's routed destinations (empty where ``/proc/net/route`` is unreadable)."""
    try:
        with open("/proc/net/route") as f:
            return parse_routes(f.read())
    except OSError:
        return []


def parse_subnets(values: Iterable[str]) -> list[Net]:
    """The IPv4 subnets among ``values`` (Docker's IPAM ``Subnet`` strings); others are skipped."""
    out: list[Net] = []
    for v in values:
        try:
            out.append(ipaddress.IPv4Network(v, strict=False))
        except ValueError:
            continue
    return out


def dynamic_range(subnet: Net) -> Net:
    """The first quarter of an instance subnet: the only addresses Docker hands out by itself
    (the network's ``ip_range``); the second quarter is minik's Service range
    (:func:`service_range`), the upper half minik's pod IPs (:mod:`minik.kubelet.network.ipam`).
    (A network made before the Service range existed has the whole lower half as its
    ``ip_range``; Docker hands its addresses out from the bottom, so the second quarter
    is reached only after a quarter of the subnet went to containers minik did not address.)"""
    return next(subnet.subnets(prefixlen_diff=2))


def service_range(subnet: Net) -> Net:
    """The second quarter of an instance subnet: the ClusterIP Services' virtual IPs
    (the API server's ``--service-cluster-ip-range``); its first address is the
    ``kubernetes`` Service's."""
    return list(subnet.subnets(prefixlen_diff=2))[1]


def gateway(subnet: Net) -> str:
    """The instance network's gateway: the host's side of the bridge (Docker's default, the subnet's first host)."""
    return str(subnet.network_address + 1)


def pod_half(subnet: Net) -> Net:
    """The upper half of an instance subnet, from which minik gives pods their addresses."""
    return list(subnet.subnets(prefixlen_diff=1))[1]


def kubernetes_service_ip(subnet: Net) -> str:
    """The ``kubernetes`` Service's virtual IP: the first address of :func:`service_range`
    (as the API server takes the first address of ``--service-cluster-ip-range``)."""
    return str(service_range(subnet).network_address)
