"""ClusterIP Services on Docker: one small proxy container per Service, holding its virtual IP and names.

What kube-proxy does on a node, in its original userspace mode. Each
ClusterIP Service (not headless) gets a container on the instance network
whose fixed address is the Service's ``clusterIP`` (from the Service range,
:func:`minik.kubelet.subnets.service_range`) and whose DNS aliases are the
Service's names (``name``, ``name.ns``, ``name.ns.svc``,
``name.ns.svc.cluster.local``). Docker's DNS answers a name with the
address of the endpoint that carries it, so an endpoint per virtual IP is
what makes the names resolve to the VIP rather than to a pod; a pod
reaches the VIP by ARP on the bridge, as any neighbour. Inside, minik's own
agent (:mod:`minik.kubelet.proxy_agent`, run by ``python3 -c`` from the
Python image, ``MINIK_PROXY_IMAGE``) listens on each port that has ready
endpoints and relays every connection to one of them at its target port.

This module writes each proxy's rules (``<state>/proxy/<vip>.json``,
bind-mounted read-only; written whole and renamed) and keeps exactly one
running proxy container per wanted Service: made when the Service appears,
started again when found stopped, removed with the Service. Containers
carry the instance label and the Service's uid, so ``minik server delete``
and a later start find them by label. A pod that uses no Service never
touches a proxy, and no proxy exists until a ClusterIP Service does.
:func:`rules` and :func:`aliases` are pure.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from minik.errors import MinikError
from minik.k8s import Obj, meta
from minik.kubelet import labels
from minik.kubelet.errors import sanitize
from minik.kubelet.network.podnet import CLUSTER_DOMAIN
from minik.kubelet.runtime import Endpoint, Runtime

log = logging.getLogger("minik.svcproxy")
PROXY_IMAGE_DEFAULT = "python:3.11-slim"
SERVICE_UID = "minik.io/service-uid"
SERVICE_IP = "minik.io/service-ip"
ROLE = "minik.io/role"
PROXY_ROLE = "service-proxy"
MOUNT = "/etc/minik-proxy"
STOP_ATTEMPTS = 25  # looks at the engine (0.2 s apart) for proxies being removed, at a stop
RECHECK = 30.0  # seconds between two looks at the engine (a proxy someone stopped is started again)
DEFAULT_AFFINITY_TIMEOUT = 10800  # seconds: upstream's default sessionAffinityConfig.clientIP.timeoutSeconds


@dataclass(frozen=True)
class Proxy:
    """One Service's proxy as wanted: its address, names and rules."""

    uid: str
    namespace: str
    name: str
    vip: str
    aliases: tuple[str, ...]
    rules: tuple[Obj, ...] = field(default=())


def aliases(namespace: str, name: str) -> tuple[str, ...]:
    return (
        name,
        f"{name}.{namespace}",
        f"{name}.{namespace}.svc",
        f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}",
    )


def rules(svc: Obj, endpoints: Obj | None) -> tuple[Obj, ...]:
    """Each Service port's listener and the ready endpoints behind it (matched by port name and protocol,
    as kube-proxy matches a Service port to its endpoints' ports)."""
    spec = svc.get("spec") or {}
    affinity = 0
    if spec.get("sessionAffinity") == "ClientIP":
        cfg = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get("timeoutSeconds")
        affinity = int(cfg or DEFAULT_AFFINITY_TIMEOUT)
    out: list[Obj] = []
    for sp in spec.get("ports") or []:
        proto = str(sp.get("protocol") or "TCP")
        name = str(sp.get("name") or "")
        eps: list[list[Any]] = []
        for subset in (endpoints or {}).get("subsets") or []:
            port = next(
                (p for p in subset.get("ports") or []
                 if str(p.get("name") or "") == name and str(p.get("protocol") or "TCP") == proto),
                None,
            )  # fmt: skip
            if port is None:
                continue
            for addr in subset.get("addresses") or []:
                if addr.get("ip"):
                    eps.append([str(addr["ip"]), int(port["port"])])
        if proto in ("TCP", "UDP"):
            rule: Obj = {
                "vip": "0.0.0.0",
                "port": int(sp["port"]),
                "protocol": proto,
                "endpoints": sorted(eps),
            }
            if affinity:
                rule["affinity"] = affinity
            out.append(rule)
    return tuple(out)


def wanted(
    services: Iterable[Obj], endpoints: dict[tuple[str, str], Obj], service_cidr: str
) -> dict[str, Proxy]:
    """The proxies the Services need, by Service uid: every Service with a virtual IP in the range."""
    net = ipaddress.IPv4Network(service_cidr) if service_cidr else None
    out: dict[str, Proxy] = {}
    for svc in services:
        m = meta(svc)
        spec = svc.get("spec") or {}
        ip = spec.get("clusterIP") or ""
        if not ip or ip == "None" or m.get("deletionTimestamp") or spec.get("type") == "ExternalName":
            continue
        try:
            if net is None or ipaddress.IPv4Address(ip) not in net:
                continue  # an address of an earlier network's range: nothing can hold it here
        except ValueError:
            continue
        ns, name = str(m.get("namespace") or "default"), str(m["name"])
        out[str(m["uid"])] = Proxy(
            uid=str(m["uid"]),
            namespace=ns,
            name=name,
            vip=ip,
            aliases=aliases(ns, name),
            rules=rules(svc, endpoints.get((ns, name))),
        )
    return out


def container_name(instance_id: str, p: Proxy) -> str:
    return sanitize(f"minik-{instance_id}-svc-{p.namespace}-{p.name}-{p.uid[:8]}")


class ServiceProxies:
    """The instance's proxy containers and their rule files; :meth:`sync` converges on the wanted set."""

    def __init__(self, runtime: Runtime, *, instance: str, state_dir: Path, image: str = "") -> None:
        self.runtime = runtime
        self.instance = instance
        self.dir = state_dir / "proxy"
        self.image = image or os.environ.get("MINIK_PROXY_IMAGE", PROXY_IMAGE_DEFAULT)
        self._written: dict[str, str] = {}  # vip -> the rules text last written
        self._running: dict[str, str] | None = None  # service uid -> container id, once listed
        self._listed = 0.0  # monotonic time of the last listing
        self._stopped = False
        self._source = Path(__file__).with_name("proxy_agent.py").read_text()

    def has_any(self) -> bool:
        """Whether proxies may exist (not yet looked for, or some found)."""
        return self._running is None or bool(self._running)

    def _write(self, p: Proxy) -> None:
        text = json.dumps({"rules": list(p.rules)}, sort_keys=True)
        if self._written.get(p.vip) == text:
            return
        self.dir.mkdir(mode=0o755, exist_ok=True)
        path = self.dir / f"{p.vip}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        self._written[p.vip] = text

    async def sync(self, want: dict[str, Proxy], network: str) -> dict[str, str]:
        """Write every wanted proxy's rules, then make, start or remove containers until one runs per
        Service (the engine is looked at again every ``RECHECK`` seconds); the Services whose proxy
        could not be made, by uid, with why."""
        if self._stopped:
            return {}
        for p in want.values():
            self._write(p)
        failed: dict[str, str] = {}
        stale = time.monotonic() - self._listed > RECHECK
        if self._running is None or set(self._running) != set(want) or stale:
            failed = await self._reconcile(want, network)
        for vip in set(self._written) - {p.vip for p in want.values()}:
            self._written.pop(vip, None)
            (self.dir / f"{vip}.json").unlink(missing_ok=True)

        return failed

    async def prune(self, want: dict[str, Proxy]) -> int:
        """Remove the proxies of Services not in ``want`` (at start); how many."""
        found = await self.runtime.list_containers({labels.INSTANCE: self.instance, ROLE: PROXY_ROLE})
        gone = [c for c in found if c.labels.get(SERVICE_UID, "") not in want]
        for c in gone:
            await self.runtime.remove_container(c.id)
        return len(gone)

    async def remove_all(self, network: str) -> int:
        """Remove every proxy of the instance (at a stop that leaves no pod behind); how many.
        Later syncs do nothing (the server is stopping)."""
        self._stopped = True
        removed = 0
        for _ in range(STOP_ATTEMPTS):  # a removal the service pass started may still be under way
            found = await self.runtime.list_containers({labels.INSTANCE: self.instance, ROLE: PROXY_ROLE})
            if not found:
                break
            for c in found:
                try:
                    await self.runtime.remove_container(c.id)
                    removed += 1
                except MinikError as exc:
                    log.debug("proxy %s: %s", c.name, exc)
                await self.runtime.forget_endpoint(network, c.name)  # Docker 20.10 may keep it
            await anyio.sleep(0.2)
        self._running = {}
        return removed

    async def _reconcile(self, want: dict[str, Proxy], network: str) -> dict[str, str]:
        self._listed = time.monotonic()
        found = await self.runtime.list_containers({labels.INSTANCE: self.instance, ROLE: PROXY_ROLE})
        running: dict[str, str] = {}
        for c in found:
            uid = c.labels.get(SERVICE_UID, "")
            p = want.get(uid)
            if p is None or c.labels.get(SERVICE_IP) != p.vip or uid in running:
                await self.runtime.remove_container(c.id)
                continue
            if c.status != "running":
                await self.runtime.start(c.id)
            running[uid] = c.id
        failed: dict[str, str] = {}
        for uid, p in want.items():
            if uid in running:
                continue
            try:
                running[uid] = await self._create(p, network)
            except MinikError as exc:
                log.warning("service %s/%s: its proxy could not be made: %s", p.namespace, p.name, exc)
                failed[uid] = str(exc)
        self._running = running
        return failed

    async def _create(self, p: Proxy, network: str) -> str:
        if not await self.runtime.has_image(self.image):
            await self.runtime.pull(self.image)  # offline and absent: the Service's Warning event says so
        cid = await self.runtime.create_container(
            image=self.image,
            name=container_name(self.instance, p),
            labels={
                labels.INSTANCE: self.instance,
                ROLE: PROXY_ROLE,
                SERVICE_UID: p.uid,
                SERVICE_IP: p.vip,
                labels.NAMESPACE: p.namespace,
            },
            command=["python3", "-c", self._source],
            endpoint=Endpoint(network=network, ip=p.vip, aliases=p.aliases),
            environment={"MINIK_PROXY_CONFIG": f"{MOUNT}/{p.vip}.json", "PYTHONDONTWRITEBYTECODE": "1"},
            host_config={
                "binds": [f"{self.dir}:{MOUNT}:ro"],
                "restart_policy": {"Name": "unless-stopped"},
                "network_mode": network,
                "cap_drop": ["ALL"],
                "cap_add": ["NET_BIND_SERVICE"],
                "security_opt": ["no-new-privileges"],
                "mem_limit": "64m",
            },
        )
        await self.runtime.start(cid)
        return cid
