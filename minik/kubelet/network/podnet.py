"""A pod's place on the instance network: who owns its network namespace, and with what settings.

On a node every pod has a sandbox that owns its network namespace. minik
makes one only where two containers of the pod can run at once, or where it
is the cheaper way (:func:`minik.kubelet.plan.uses_sandbox`); otherwise the
pod's container (each of its runs in turn) owns the namespace itself. Either way the *owner* — the sandbox, or the
sandbox-less pod's container — is created directly on the instance network
with the same settings: the pod's hostname, its subdomain (so Docker writes
``<ip> <hostname>.<subdomain>.<ns>.svc.cluster.local <hostname>`` into
``/etc/hosts`` and ``hostname -f`` gives the FQDN, as upstream's
``GeneratePodHostNameAndDomain``), the pod's fixed address from minik's IPAM
and the DNS aliases of the Services that select it. A container that joins a
sandbox gets none of these: it shares the sandbox's.

:func:`network_target` names the container whose namespace *is* the pod's
network now — what a probe, an exec into the pod's network or a
port-forward should use. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minik.k8s import Obj, meta, selector_matches
from minik.kubelet.runtime import Endpoint

CLUSTER_DOMAIN = "cluster.local"


def hostname(spec: Obj, pod_name: str) -> str:
    """``spec.hostname``, else the pod's name cut to 63 characters (upstream ``GeneratePodHostNameAndDomain``)."""
    return str(spec.get("hostname") or pod_name[:63])


def domainname(spec: Obj, namespace: str) -> str:
    """``<subdomain>.<ns>.svc.cluster.local`` for a pod with ``spec.subdomain``, else ``""``."""
    sub = spec.get("subdomain")
    return f"{sub}.{namespace}.svc.{CLUSTER_DOMAIN}" if sub else ""


def owner_settings(pod: Obj, *, network: str, ip: str, aliases: Iterable[str]) -> dict[str, Any]:
    """``create_container`` keywords of the container owning the pod's network namespace:
    hostname, domain and its endpoint (the network mode is the caller's host config)."""
    m = meta(pod)
    spec = pod.get("spec") or {}
    out: dict[str, Any] = {
        "hostname": hostname(spec, str(m["name"])),
        "endpoint": Endpoint(network=network, ip=ip, aliases=tuple(sorted(aliases))),
    }
    domain = domainname(spec, str(m.get("namespace") or "default"))
    if domain:
        out["domainname"] = domain
    return out


def joined_mode(sandbox_id: str) -> str:
    """The network mode of a container that shares its sandbox's namespace."""
    return f"container:{sandbox_id}"


def network_target(sandbox_id: str, current: str) -> str:
    """The container whose network namespace is the pod's now: the sandbox when there is one,
    else the sandbox-less pod's latest container (``""`` before the first one is created)."""
    return sandbox_id or current


def service_names(pod: Obj, services: Iterable[Obj]) -> frozenset[str]:
    """The DNS names the Services selecting ``pod`` give it: ``svc``, ``svc.ns``, ``svc.ns.svc``,
    ``svc.ns.svc.cluster.local``, and ``hostname.svc…`` for a pod whose subdomain is that Service."""
    m = meta(pod)
    ns = str(m.get("namespace") or "default")
    spec = pod.get("spec") or {}
    names: set[str] = set()
    for svc in services:
        sm = meta(svc)
        sel = (svc.get("spec") or {}).get("selector")
        if sm.get("namespace", "default") != ns or not sel:
            continue
        if not selector_matches({"matchLabels": sel}, m.get("labels")):
            continue
        n = str(sm["name"])
        names |= {n, f"{n}.{ns}", f"{n}.{ns}.svc", f"{n}.{ns}.svc.{CLUSTER_DOMAIN}"}
        if spec.get("subdomain") == n and spec.get("hostname"):
            h = spec["hostname"]
            names |= {f"{h}.{n}", f"{h}.{n}.{ns}", f"{h}.{n}.{ns}.svc", f"{h}.{n}.{ns}.svc.{CLUSTER_DOMAIN}"}
    return frozenset(names)
