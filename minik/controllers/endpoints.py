"""The endpoints and EndpointSlice controllers, pure: a Service's Endpoints and EndpointSlices from its pods.

Owns upstream ``pkg/controller/endpoint`` and ``pkg/controller/endpointslice``'s
decisions for a Service with a selector:

- which pods are endpoints (``ShouldPodBeInEndpoints``): the pods of the
  Service's namespace its selector picks that have an address and have not
  finished; a pod being deleted only under ``publishNotReadyAddresses`` for
  Endpoints, always (``terminating``) for EndpointSlices;
- ready or not (``podutil.IsPodReady``, or every pod under
  ``publishNotReadyAddresses``): an Endpoints subset's ``addresses`` or
  ``notReadyAddresses``; an EndpointSlice endpoint's ``ready``/``serving``/
  ``terminating`` conditions;
- each Service port's target (``podutil.FindPort``: a number, or the pod's
  container port of that name and protocol; a pod without it is no
  endpoint of that port), the address's ``hostname`` (a pod whose
  ``subdomain`` is the Service), subsets repacked by identical port sets.

A pod's address is the kubelet's record (``address``), never
``status.podIP``, which a client holding the token can write. Services
without a selector are left alone: their Endpoints are the user's (or, for
``kubernetes``, the API server's). Decides only; the control plane writes
(:mod:`minik.server.endpoints`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from minik.k8s import NODE_NAME, Obj, meta, selector_matches

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
SLICE_CONTROLLER = "endpointslice-controller.k8s.io"
ENDPOINTS_MANAGED_BY_LABEL = "endpoints.kubernetes.io/managed-by"
ENDPOINTS_CONTROLLER = "endpoint-controller"
HEADLESS_LABEL = "service.kubernetes.io/headless"
_RESERVED = (SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL, ENDPOINTS_MANAGED_BY_LABEL)
TERMINAL = ("Succeeded", "Failed")

Key = tuple[str, str]


@dataclass(frozen=True)
class Desired:
    """What the controllers want stored for one Service."""

    endpoints: Obj
    slices: tuple[Obj, ...]


def is_ready(pod: Obj) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return bool(c.get("status") == "True")
    return False


def find_port(pod: Obj, service_port: Obj) -> int | None:
    """``podutil.FindPort``: the Service port's ``targetPort`` on this pod (``None``: it has no such port)."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, str) and target.isdigit():
        target = int(target)
    if isinstance(target, int):
        return target or int(service_port.get("port") or 0) or None
    proto = service_port.get("protocol") or "TCP"
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == target and (p.get("protocol") or "TCP") == proto:
                return int(p["containerPort"])
    return None


def _in_endpoints(pod: Obj, ip: str, *, include_terminating: bool) -> bool:
    if not ip or (pod.get("status") or {}).get("phase") in TERMINAL:
        return False
    return include_terminating or not meta(pod).get("deletionTimestamp")


def _labels(svc: Obj, extra: dict[str, str]) -> dict[str, str]:
    labels = {k: v for k, v in (meta(svc).get("labels") or {}).items() if k not in _RESERVED}
    if (svc.get("spec") or {}).get("clusterIP") == "None":
        labels[HEADLESS_LABEL] = ""
    labels.update(extra)
    return labels


def _target_ref(pod: Obj) -> Obj:
    m = meta(pod)
    return {
        "kind": "Pod",
        "namespace": m.get("namespace") or "default",
        "name": m["name"],
        "uid": m.get("uid"),
    }


def _hostname(pod: Obj, svc: Obj) -> str:
    spec = pod.get("spec") or {}
    if spec.get("hostname") and spec.get("subdomain") == meta(svc).get("name"):
        return str(spec["hostname"])
    return ""


def _ports(svc: Obj, pod: Obj) -> tuple[tuple[str, int, str], ...]:
    out = []
    for sp in (svc.get("spec") or {}).get("ports") or []:
        port = find_port(pod, sp)
        if port:
            out.append((str(sp.get("name") or ""), port, str(sp.get("protocol") or "TCP")))
    return tuple(out)


def _port_objs(ports: tuple[tuple[str, int, str], ...], *, slice_ports: bool = False) -> list[Obj]:
    """Endpoints ports omit an empty name; EndpointSlice ports always carry one (``""`` too), as
    upstream's controller writes them (kubectl's describe dereferences it)."""
    out: list[Obj] = []
    for name, port, proto in ports:
        p: Obj = {"port": port, "protocol": proto}
        if name or slice_ports:
            p["name"] = name
        out.append(p)
    return out


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:5]


def slice_name(svc: Obj, n: int) -> str:
    """The ``n``-th slice's name: ``<service>-<5 characters>`` as upstream's generateName gives, but
    stable (the Service's uid and ``n``), so a slice is updated in place rather than replaced."""
    base = str(meta(svc)["name"])[:57]
    return f"{base}-{_short_hash(str(meta(svc).get('uid')) + (f'/{n}' if n else ''))}"


def plan_service(svc: Obj, pods: Iterable[Obj], address: Callable[[Obj], str]) -> Desired | None:
    """The Endpoints and EndpointSlices of one Service; ``None`` for a Service the controllers leave alone."""
    m = meta(svc)
    spec = svc.get("spec") or {}
    selector = spec.get("selector")
    if not selector or m.get("deletionTimestamp") or spec.get("type") == "ExternalName":
        return None
    ns = str(m.get("namespace") or "default")
    name = str(m["name"])
    publish = bool(spec.get("publishNotReadyAddresses"))
    headless_no_ports = spec.get("clusterIP") == "None" and not spec.get("ports")
    groups: dict[tuple[tuple[str, int, str], ...], tuple[list[Obj], list[Obj]]] = {}
    slices: dict[tuple[tuple[str, int, str], ...], list[Obj]] = {}
    for pod in sorted(pods, key=lambda p: str(meta(p).get("name"))):
        pm = meta(pod)
        if (pm.get("namespace") or "default") != ns or not selector_matches(
            {"matchLabels": selector}, pm.get("labels")
        ):
            continue
        ip = address(pod)
        if not _in_endpoints(pod, ip, include_terminating=True):
            continue
        ports = _ports(svc, pod)
        if not ports and not headless_no_ports:
            continue
        terminating = bool(pm.get("deletionTimestamp"))
        ready = publish or is_ready(pod)
        hostname = _hostname(pod, svc)
        addr: Obj = {"ip": ip}
        if hostname:
            addr["hostname"] = hostname
        addr["nodeName"] = NODE_NAME
        addr["targetRef"] = _target_ref(pod)
        if _in_endpoints(pod, ip, include_terminating=publish):
            ready_list, not_ready = groups.setdefault(ports, ([], []))
            (ready_list if ready else not_ready).append(addr)
        ep: Obj = {
            "addresses": [ip],
            "conditions": {"ready": ready and not terminating, "serving": ready, "terminating": terminating},
        }
        if hostname:
            ep["hostname"] = hostname
        ep["nodeName"] = NODE_NAME
        ep["targetRef"] = _target_ref(pod)
        slices.setdefault(ports, []).append(ep)
    subsets = []
    for ports, (ready_list, not_ready) in sorted(groups.items()):
        subset: Obj = {}
        if ready_list:
            subset["addresses"] = sorted(ready_list, key=lambda a: _ip_key(a["ip"]))
        if not_ready:
            subset["notReadyAddresses"] = sorted(not_ready, key=lambda a: _ip_key(a["ip"]))
        if ports:
            subset["ports"] = _port_objs(ports)
        subsets.append(subset)
    endpoints: Obj = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": _labels(svc, {ENDPOINTS_MANAGED_BY_LABEL: ENDPOINTS_CONTROLLER}),
        },
    }
    if subsets:
        endpoints["subsets"] = subsets
    owner = {
        "apiVersion": "v1",
        "kind": "Service",
        "name": name,
        "uid": m.get("uid"),
        "controller": True,
        "blockOwnerDeletion": True,
    }
    slice_labels = _labels(svc, {SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: SLICE_CONTROLLER})
    out_slices = []
    for n, (ports, eps) in enumerate(sorted(slices.items()) or [((), [])]):
        sl: Obj = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": slice_name(svc, n),
                "namespace": ns,
                "labels": dict(slice_labels),
                "ownerReferences": [dict(owner)],
            },
            "addressType": "IPv4",
            "endpoints": sorted(eps, key=lambda e: _ip_key(e["addresses"][0])),
        }
        if ports:
            sl["ports"] = _port_objs(ports, slice_ports=True)
        out_slices.append(sl)
    return Desired(endpoints=endpoints, slices=tuple(out_slices))


def _ip_key(ip: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in ip.split("."))
    except ValueError:
        return (1 << 16,)


def plan(services: Iterable[Obj], pods: list[Obj], address: Callable[[Obj], str]) -> dict[Key, Desired]:
    """Every managed Service's desired objects, by (namespace, name)."""
    out: dict[Key, Desired] = {}
    for svc in services:
        d = plan_service(svc, pods, address)
        if d is not None:
            m = meta(svc)
            out[(str(m.get("namespace") or "default"), str(m["name"]))] = d
    return out


def differs(desired: Obj, stored: Obj | None) -> bool:
    """Whether a stored object must be rewritten to match ``desired`` (labels, owners and content)."""
    if stored is None:
        return True
    dm, sm = meta(desired), meta(stored)
    if (dm.get("labels") or {}) != (sm.get("labels") or {}):
        return True
    if (dm.get("ownerReferences") or []) != (sm.get("ownerReferences") or []):
        return True
    for key in ("subsets", "addressType", "endpoints", "ports"):
        if desired.get(key) != stored.get(key) and (desired.get(key) or stored.get(key)):
            return True
    return False
