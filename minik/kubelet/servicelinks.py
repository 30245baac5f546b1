"""Service links: the environment variables the kubelet gives every container for Services.

Owns upstream's ``pkg/kubelet/envvars`` and ``getServiceEnvVarMap``
(``kubelet_pods.go``): for each Service with a virtual IP in the pod's
namespace (when ``enableServiceLinks``, the default) and always for the
``kubernetes`` Service of ``default`` (a namespace's own Service of that name
wins), ``{NAME}_SERVICE_HOST``, ``{NAME}_SERVICE_PORT``,
``{NAME}_SERVICE_PORT_{PORTNAME}`` for named ports and Docker's link
variables ``{NAME}_PORT``, ``{NAME}_PORT_{port}_{PROTO}`` (``…_PROTO``,
``…_PORT``, ``…_ADDR``), names upper-cased with ``-`` turned into ``_``. A
container's own ``env`` wins over them; ``$(VAR)`` expansion sees them.
Headless Services (and those without an address) give none. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable

from minik.k8s import Obj, meta

MASTER_NAMESPACE = "default"
MASTER_SERVICES = ("kubernetes",)


def _has_ip(svc: Obj) -> bool:
    ip = (svc.get("spec") or {}).get("clusterIP")
    return bool(ip) and ip != "None"


def _var(name: str) -> str:
    return name.replace("-", "_").upper()


def selected(services: Iterable[Obj], namespace: str, *, enable_links: bool) -> list[Obj]:
    """The Services whose variables the pod gets (``getServiceEnvVarMap``), by name."""
    chosen: dict[str, Obj] = {}
    for svc in services:
        if not _has_ip(svc):
            continue
        m = meta(svc)
        name, ns = str(m.get("name")), str(m.get("namespace") or "default")
        if ns == namespace and enable_links:
            chosen[name] = svc
        elif ns == MASTER_NAMESPACE and name in MASTER_SERVICES:
            chosen.setdefault(name, svc)
    return [chosen[k] for k in sorted(chosen)]


def service_env(services: Iterable[Obj], namespace: str, *, enable_links: bool = True) -> dict[str, str]:
    """The variables, in upstream's order (``envvars.FromServices``)."""
    out: dict[str, str] = {}
    for svc in selected(services, namespace, enable_links=enable_links):
        spec = svc.get("spec") or {}
        ports = spec.get("ports") or []
        if not ports:
            continue
        ip = str(spec["clusterIP"])
        prefix = _var(str(meta(svc).get("name")))
        out[f"{prefix}_SERVICE_HOST"] = ip
        out[f"{prefix}_SERVICE_PORT"] = str(ports[0].get("port"))
        for sp in ports:
            if sp.get("name"):
                out[f"{prefix}_SERVICE_PORT_{_var(str(sp['name']))}"] = str(sp.get("port"))
        for i, sp in enumerate(ports):
            proto = str(sp.get("protocol") or "TCP")
            host_port = f"[{ip}]:{sp.get('port')}" if ":" in ip else f"{ip}:{sp.get('port')}"
            url = f"{proto.lower()}://{host_port}"
            if i == 0:
                out[f"{prefix}_PORT"] = url
            pp = f"{prefix}_PORT_{sp.get('port')}_{proto.upper()}"
            out[pp] = url
            out[f"{pp}_PROTO"] = proto.lower()
            out[f"{pp}_PORT"] = str(sp.get("port"))
            out[f"{pp}_ADDR"] = ip
    return out
