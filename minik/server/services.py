"""The control plane's service pass: one level-triggered pass over every Service.

Owns, in order: the Service range recorded from the instance network (before
the API serves: ClusterIP admission reads it), the ``kubernetes`` Service and
its Endpoints, Endpoints and EndpointSlices of every Service
(:mod:`minik.server.endpoints`, from the pure :mod:`minik.controllers.endpoints`),
node ports on 127.0.0.1 (:mod:`minik.server.nodeport_proxy`), the headless
Services' pod names (the kubelet's aliases) and the ClusterIP Services'
proxies (their virtual IPs, :mod:`minik.kubelet.svcproxy`). Run by the
control plane's ``services`` work queue on any Service or Endpoints change,
and on a pod's change that can move an endpoint (:func:`endpoint_changed`).
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import Any

from minik.errors import MinikError
from minik.k8s import Obj, meta
from minik.kubelet import subnets
from minik.kubelet.kubelet import Kubelet
from minik.kubelet.runtime.docker.api import DockerAPI
from minik.kubelet.svcproxy import ServiceProxies, wanted
from minik.registry import Registry
from minik.server import endpoints
from minik.server.nodeport_proxy import NodePortProxy
from minik.server.workqueue import WorkQueue
from minik.store import servicerange

log = logging.getLogger("minik.server")

PROXY_FAILED = "FailedToStartServiceProxy"
PROXY_RECHECK = 30.0  # seconds: the service pass runs again, so a proxy someone stopped comes back


def _key(obj: Obj) -> tuple[str, str]:
    m = meta(obj)
    return (str(m.get("namespace") or "default"), str(m.get("name")))


class ServiceExecutor:
    """The service pass (see the module docstring)."""

    def __init__(
        self,
        registry: Registry,
        kubelet: Kubelet,
        docker: DockerAPI,
        *,
        instance: str,
        state_dir: Path,
        api_port: int,
        node_ports: NodePortProxy,
        recheck: WorkQueue[str],
    ) -> None:
        self.registry = registry
        self.kubelet = kubelet
        self.api_port = api_port  # the kubernetes Service's targetPort (0: no such Service, in unit tests)
        self.node_ports = node_ports
        self.recheck = recheck
        self.proxies = ServiceProxies(docker, instance=instance, state_dir=state_dir)  # VIPs
        self.selecting = True  # some Service has a selector (known after the first pass)

    def endpoint_address(self, pod: Obj) -> str:
        """A pod's address as an endpoint: the kubelet's, or before its worker runs (just after a
        start) its IPAM record, so a restart does not empty the Endpoints for a moment."""
        uid = str(meta(pod).get("uid"))
        return self.kubelet.pod_address(uid) or self.kubelet.ipam.get(uid)

    # -- startup -------------------------------------------------------------------------
    async def start(self) -> None:
        """Before the API serves: know the instance network's subnet (ClusterIP admission reads the
        Service range from the store; the range of the last network known is kept when the engine
        is down), and remove the proxies of Services gone while no server ran (the pass makes the
        missing ones)."""
        try:
            await self.kubelet.network.ensure()
        except MinikError as exc:
            log.warning("the instance network is not known yet (Services wait for it): %s", exc)
            return
        cidr = self.record_range()
        services = self.registry.list("services", None, shared=True)[0]
        pods = self.registry.list("pods", None, shared=True)[0]
        eps = {_key(e): e for e in self.registry.list("endpoints", None, shared=True)[0]}
        want = wanted([s for s in services if pods or _key(s) != endpoints.MASTER], eps, cidr)
        try:
            await self.proxies.prune(want)
        except MinikError as exc:
            log.warning("could not look at the Services' proxies (the service pass retries): %s", exc)

    def record_range(self) -> str:
        """The Service range of the instance network, recorded in the store when it changed."""
        store = self.registry.store
        subnet = self.kubelet.network.subnet
        if not subnet:
            return servicerange.get(store)
        cidr = str(subnets.service_range(ipaddress.IPv4Network(subnet)))
        if servicerange.get(store) != cidr:
            servicerange.put(store, cidr)
        return cidr

    # -- the pass ------------------------------------------------------------------------
    async def sync(self, _: str) -> None:
        """Endpoints and EndpointSlices, the ``kubernetes`` Service, node ports, the Services'
        proxies (virtual IPs) and the headless Services' pod names: one level-triggered pass."""
        cidr = self.record_range()
        subnet = self.kubelet.network.subnet
        if subnet:
            gateway = subnets.gateway(ipaddress.IPv4Network(subnet))
            endpoints.master_service(self.registry, cidr, gateway, self.api_port)
        services = self.registry.list("services", None)[0]
        # A pod's status changes wake this pass only while some Service selects pods.
        self.selecting = any((s.get("spec") or {}).get("selector") for s in services)
        pods = self.registry.list("pods", None, shared=True)[0]
        endpoints.sync(self.registry, services, pods, self.endpoint_address)
        await self.node_ports.sync(services)  # first: it needs no engine
        eps = {_key(e): e for e in self.registry.list("endpoints", None, shared=True)[0]}
        # The kubernetes Service's proxy waits for the first pod: an instance with no pod runs no container.
        await self.kubelet.sync_services(services, pods)  # before the proxies: a new one's start may be slow
        want = wanted([s for s in services if pods or _key(s) != endpoints.MASTER], eps, cidr)
        if want or self.proxies.has_any():
            await self.kubelet.network.ensure()
            failed = await self.proxies.sync(want, self.kubelet.network.name)
            self._proxy_failures(services, failed)
            self.recheck.add_after("all", PROXY_RECHECK)

    def _proxy_failures(self, services: list[Obj], failed: dict[str, str]) -> None:
        """A Warning event on each Service whose proxy could not be made (its VIP does not answer)."""
        for svc in services:
            why = failed.get(str(meta(svc).get("uid")))
            if why is None:
                continue
            try:
                self.registry.record_event(
                    svc,
                    type="Warning",
                    reason=PROXY_FAILED,
                    message=f"the Service's proxy (its virtual IP) could not be started: {why}",
                    component="minik",
                )
            except Exception:  # the event is best effort; the log has the fault
                log.debug("no %s event", PROXY_FAILED, exc_info=True)


def endpoint_changed(ev: Any) -> bool:
    """Whether a pod's change can change an endpoint: its address, phase, readiness, labels or deletion."""
    old = ev.old
    if old is None:
        return True
    a, b = old.get("status") or {}, ev.obj.get("status") or {}
    return bool(
        a.get("podIP") != b.get("podIP")
        or a.get("phase") != b.get("phase")
        or _ready(a) != _ready(b)
        or meta(old).get("labels") != meta(ev.obj).get("labels")
        or meta(old).get("deletionTimestamp") != meta(ev.obj).get("deletionTimestamp")
    )


def _ready(status: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
