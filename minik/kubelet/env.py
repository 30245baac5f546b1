"""A container's environment: env, envFrom, the downward API, Service links and $(VAR) expansion."""

from __future__ import annotations

import base64
import re
from typing import Protocol

from minik import quantity
from minik.k8s import Obj, meta
from minik.kubelet.errors import ConfigError
from minik.kubelet.servicelinks import service_env


class ObjectSource(Protocol):
    """The kubelet's read-only view of the API objects pods refer to (configmaps, secrets)."""

    def get(self, resource: str, namespace: str, name: str) -> Obj | None: ...
    def list(self, resource: str, namespace: str | None) -> list[Obj]: ...


class TokenSource(Protocol):
    """Service-account tokens for a pod's projected ``serviceAccountToken`` sources (the kubelet asks
    the API server's TokenRequest for a token bound to the pod)."""

    def pod_token(self, pod: Obj, *, audience: str, expiration: int) -> str: ...


_REF = re.compile(r"\$\$|\$\(([^)]*)\)")


def expand(s: str, env: dict[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion (R9.12): ``$$`` → ``$``; unknown refs stay."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)

    return _REF.sub(sub, s)


def resolve_field(pod: Obj, path: str, *, ip: str) -> str:
    """The value of a downward-API fieldPath for ``pod`` (R9.10/R9.11)."""
    m = meta(pod)
    sub = re.fullmatch(r"metadata\.(labels|annotations)\['(.*)'\]", path)
    if sub:
        return str((m.get(sub.group(1)) or {}).get(sub.group(2), ""))
    if path in ("metadata.labels", "metadata.annotations"):
        items = m.get(path.split(".")[1]) or {}
        return "\n".join(f'{k}="{v}"' for k, v in sorted(items.items()))
    simple = {
        "metadata.name": m.get("name", ""),
        "metadata.namespace": m.get("namespace", "default"),
        "metadata.uid": m.get("uid", ""),
        "spec.nodeName": "minik",
        "spec.serviceAccountName": (pod.get("spec") or {}).get("serviceAccountName", "default"),
        "status.hostIP": "127.0.0.1",
        "status.hostIPs": "127.0.0.1",
        "status.podIP": ip,
        "status.podIPs": ip,
    }
    return str(simple.get(path, ""))


class Env:
    """Builds a container's environment (env, envFrom, downward API, $(VAR))."""

    def __init__(self, objects: ObjectSource) -> None:
        self.objects = objects

    def resolve(self, pod: Obj, ip: str, c: Obj) -> dict[str, str]:
        ns = str(meta(pod).get("namespace") or "default")
        links = (pod.get("spec") or {}).get("enableServiceLinks")
        services = self.objects.list("services", None)
        links_env = service_env(services, ns, enable_links=links is not False)
        env = self._own(pod, ip, c, ns, links_env)
        for k, v in links_env.items():  # the container's own variables win
            env.setdefault(k, v)
        return env

    def _own(self, pod: Obj, ip: str, c: Obj, ns: str, links_env: dict[str, str]) -> dict[str, str]:
        env: dict[str, str] = {}
        for ef in c.get("envFrom") or []:
            prefix = ef.get("prefix", "")
            ref = ef.get("configMapRef") or ef.get("secretRef") or {}
            is_cm = "configMapRef" in ef
            obj = self.objects.get("configmaps" if is_cm else "secrets", ns, str(ref.get("name")))
            if obj is None:
                if ref.get("optional"):
                    continue
                raise ConfigError(f'{"configmap" if is_cm else "secret"} "{ref.get("name")}" not found')
            for k, val in (obj.get("data") or {}).items():
                env[prefix + k] = str(val) if is_cm else base64.b64decode(val).decode(errors="replace")
        for e in c.get("env") or []:
            name = e["name"]
            if "valueFrom" not in e:
                env[name] = expand(e.get("value", ""), {**links_env, **env})
                continue
            vf = e["valueFrom"]
            if "fieldRef" in vf:
                env[name] = resolve_field(pod, vf["fieldRef"]["fieldPath"], ip=ip)
            elif "resourceFieldRef" in vf:
                env[name] = resource_value(c, vf["resourceFieldRef"])
            else:
                is_cm = "configMapKeyRef" in vf
                ref = vf.get("configMapKeyRef") or vf.get("secretKeyRef") or {}
                obj = self.objects.get("configmaps" if is_cm else "secrets", ns, str(ref.get("name")))
                raw = (obj or {}).get("data", {}).get(ref.get("key"))
                if raw is None:
                    if ref.get("optional"):
                        continue
                    if obj is None:  # as the kubelet words it
                        what = "configmap" if is_cm else "secret"
                        raise ConfigError(f'{what} "{ref.get("name")}" not found')
                    what = "ConfigMap" if is_cm else "Secret"
                    raise ConfigError(f"couldn't find key {ref.get('key')} in {what} {ns}/{ref.get('name')}")
                env[name] = str(raw) if is_cm else base64.b64decode(raw).decode(errors="replace")
        return env


def resource_value(c: Obj, ref: Obj) -> str:
    """``ExtractContainerResourceValue``: the quantity divided by the divisor, rounded up (cpu in milli-units)."""
    res = ref.get("resource", "")
    kind, _, what = res.partition(".")
    q = ((c.get("resources") or {}).get(kind) or {}).get(what)
    if q is None:
        return "0"
    if what == "cpu":
        amount, divisor = quantity.milli_value(q), quantity.milli_value(ref.get("divisor", "1"))
    else:
        amount, divisor = quantity.value(q), quantity.value(ref.get("divisor", "1"))
    return str(-(-amount // max(divisor, 1)))
