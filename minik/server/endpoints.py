"""Carrying out the endpoints controllers' plan, and the ``kubernetes`` Service the API server keeps.

:func:`sync` reads every Service and pod, asks the pure
:func:`minik.controllers.endpoints.plan` for each selector Service's
Endpoints and EndpointSlices, and writes what differs: creates, updates
(keeping what the store owns), and deletes the slices and controller-made
Endpoints of Services that are gone or lost their selector. Level-triggered:
a restart is an ordinary pass. A write refused for one object (its namespace
is being deleted) does not stop the others.

:func:`master_service` is the API server's own controller
(``pkg/controlplane/controller/kubernetesservice``): the ``kubernetes``
Service in ``default`` at the first address of the Service range, port 443
named ``https`` with ``targetPort`` the API's port, and its Endpoints and
EndpointSlice at the instance network's gateway (the host's side of the
bridge, where pods reach the API). Kept as wanted at every pass, so a
deleted or edited one comes back.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

from minik.controllers import endpoints as plan_ep
from minik.errors import ApiError
from minik.k8s import Obj, clone, meta
from minik.registry import Registry

log = logging.getLogger("minik.endpoints")

MASTER = ("default", "kubernetes")
SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"


def sync(registry: Registry, services: list[Obj], pods: list[Obj], address: Callable[[Obj], str]) -> int:
    """One pass; how many objects were written."""
    desired = plan_ep.plan(services, pods, address)
    stored_eps = {_key(e): e for e in registry.list("endpoints", None, shared=True)[0]}
    stored_slices = {_key(s): s for s in registry.list("endpointslices", None, shared=True)[0]}
    writes = 0
    want_slices: set[tuple[str, str]] = set()
    for key, d in desired.items():
        writes += _put(registry, "endpoints", d.endpoints, stored_eps.get(key))
        for sl in d.slices:
            want_slices.add(_key(sl))
            writes += _put(registry, "endpointslices", sl, stored_slices.get(_key(sl)))
    for key, sl in stored_slices.items():
        labels = meta(sl).get("labels") or {}
        if labels.get(plan_ep.MANAGED_BY_LABEL) == plan_ep.SLICE_CONTROLLER and key not in want_slices:
            if key[0] == MASTER[0] and labels.get(plan_ep.SERVICE_NAME_LABEL) == MASTER[1]:
                continue
            writes += _delete(registry, "endpointslices", key)
    for key, ep in stored_eps.items():
        labels = meta(ep).get("labels") or {}
        if (
            labels.get(plan_ep.ENDPOINTS_MANAGED_BY_LABEL) == plan_ep.ENDPOINTS_CONTROLLER
            and key not in desired
        ):
            writes += _delete(registry, "endpoints", key)
    return writes


def _key(obj: Obj) -> tuple[str, str]:
    m = meta(obj)
    return (str(m.get("namespace") or "default"), str(m.get("name")))


def _put(registry: Registry, resource: str, want: Obj, stored: Obj | None) -> int:
    if not plan_ep.differs(want, stored):
        return 0
    try:
        if stored is None:
            registry.create(resource, want)
        else:
            new = clone(stored)
            nm = meta(new)
            nm["labels"] = meta(want).get("labels") or {}
            if meta(want).get("ownerReferences"):
                nm["ownerReferences"] = meta(want)["ownerReferences"]
            for field in ("subsets", "addressType", "endpoints", "ports"):
                if field in want:
                    new[field] = want[field]
                else:
                    new.pop(field, None)
            registry.update(resource, new)
    except ApiError as exc:
        log.debug("%s %s/%s: %s", resource, *_key(want), exc)
        return 0
    return 1


def _delete(registry: Registry, resource: str, key: tuple[str, str]) -> int:
    try:
        registry.delete(resource, key[0], key[1])
    except ApiError as exc:
        log.debug("%s %s/%s: %s", resource, *key, exc)
        return 0
    return 1


def master_objects(service_cidr: str, gateway: str, api_port: int) -> tuple[Obj, Obj, Obj]:
    """The ``kubernetes`` Service, its Endpoints and its EndpointSlice, as wanted."""
    vip = str(ipaddress.IPv4Network(service_cidr).network_address)
    labels = {"component": "apiserver", "provider": "kubernetes"}
    svc: Obj = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": MASTER[1], "namespace": MASTER[0], "labels": labels},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": vip,
            "clusterIPs": [vip],
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "sessionAffinity": "None",
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": api_port}],
        },
    }
    port = {"name": "https", "port": api_port, "protocol": "TCP"}
    eps: Obj = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": MASTER[1], "namespace": MASTER[0], "labels": {SKIP_MIRROR: "true"}},
        "subsets": [{"addresses": [{"ip": gateway}], "ports": [port]}],
    }
    sl: Obj = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": MASTER[1],
            "namespace": MASTER[0],
            "labels": {
                plan_ep.SERVICE_NAME_LABEL: MASTER[1],
                plan_ep.MANAGED_BY_LABEL: "endpointslice-controller.k8s.io",
            },
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [gateway], "conditions": {"ready": True}}],
        "ports": [port],
    }
    return svc, eps, sl


def master_service(registry: Registry, service_cidr: str, gateway: str, api_port: int) -> None:
    """Keep the ``kubernetes`` Service, Endpoints and EndpointSlice as :func:`master_objects` says."""
    if not service_cidr or not api_port:
        return
    svc, eps, sl = master_objects(service_cidr, gateway, api_port)
    current = registry.store.find("services", *MASTER)
    try:
        if current is None:
            registry.create("services", svc)
        else:
            cs = current.get("spec") or {}
            want = svc["spec"]
            if cs.get("ports") != want["ports"] or cs.get("clusterIP") != want["clusterIP"]:
                if cs.get("clusterIP") != want["clusterIP"]:  # the range moved with a new network
                    registry.delete("services", *MASTER)
                    registry.create("services", svc)
                else:
                    new = clone(current)
                    new["spec"]["ports"] = want["ports"]
                    registry.update("services", new)
    except ApiError as exc:
        log.warning("the kubernetes Service: %s", exc)
    _put(registry, "endpoints", eps, registry.store.find("endpoints", *MASTER))
    _put(registry, "endpointslices", sl, registry.store.find("endpointslices", *MASTER))
