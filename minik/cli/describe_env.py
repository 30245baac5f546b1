"""A container's environment on ``describe`` pages (kubectl's ``describeContainerEnvVars``).

``Environment Variables from:`` (configMapRef/secretRef, with prefix and
optional) and ``Environment:`` (values, downward-API fields resolved on the
pod as kubectl's ``EnvValueRetriever`` does, resource fields, secret and
config-map keys). Pure.
"""

from __future__ import annotations

import re

from minik.cli.tabwriter import PrefixWriter
from minik.k8s import Obj, meta

_FIELD = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


def resolve_field(pod: Obj, path: str) -> str:
    """The value of a downward-API ``fieldPath`` on ``pod`` (kubectl's EnvValueRetriever)."""
    m = _FIELD.match(path)
    if m:
        return str((meta(pod).get(m.group(1)) or {}).get(m.group(2), ""))
    simple = {
        "metadata.name": meta(pod).get("name"),
        "metadata.namespace": meta(pod).get("namespace"),
        "metadata.uid": meta(pod).get("uid"),
        "spec.nodeName": (pod.get("spec") or {}).get("nodeName"),
        "spec.serviceAccountName": (pod.get("spec") or {}).get("serviceAccountName"),
        "status.hostIP": (pod.get("status") or {}).get("hostIP"),
        "status.podIP": (pod.get("status") or {}).get("podIP"),
    }
    return str(simple.get(path) or "")


def env(w: PrefixWriter, c: Obj, pod: Obj | None) -> None:
    env = c.get("env") or []
    env_from = c.get("envFrom") or []
    if env_from:
        w.write(2, "Environment Variables from:\n")
    for src in env_from:
        if src.get("configMapRef"):
            ref, what = src["configMapRef"], "ConfigMap"
        else:
            ref, what = src.get("secretRef") or {}, "Secret"
        optional = "true" if ref.get("optional") else "false"
        prefix = src.get("prefix")
        if prefix:
            w.write(3, f"{ref.get('name')}\t{what} with prefix '{prefix}'\tOptional: {optional}\n")
        else:
            w.write(3, f"{ref.get('name')}\t{what}\tOptional: {optional}\n")
    w.write(2, "Environment:" + ("" if env else "\t<none>") + "\n")
    for e in env:
        name = e.get("name", "")
        vf = e.get("valueFrom")
        if vf is None:
            for i, s in enumerate(str(e.get("value", "")).split("\n")):
                w.write(3, f"{name}:\t{s}\n" if i == 0 else f"\t{s}\n")
        elif vf.get("fieldRef"):
            ref = vf["fieldRef"]
            value = resolve_field(pod, ref.get("fieldPath", "")) if pod is not None else ""
            w.write(3, f"{name}:\t{value} ({ref.get('apiVersion', 'v1')}:{ref.get('fieldPath')})\n")
        elif vf.get("resourceFieldRef"):
            ref = vf["resourceFieldRef"]
            w.write(3, f"{name}:\t ({ref.get('resource')})\n")
        elif vf.get("secretKeyRef"):
            ref = vf["secretKeyRef"]
            opt = "true" if ref.get("optional") else "false"
            w.write(
                3,
                f"{name}:\t<set to the key '{ref.get('key')}' in secret '{ref.get('name')}'>\tOptional: {opt}\n",
            )
        elif vf.get("configMapKeyRef"):
            ref = vf["configMapKeyRef"]
            opt = "true" if ref.get("optional") else "false"
            w.write(
                3,
                f"{name}:\t<set to the key '{ref.get('key')}' of config map '{ref.get('name')}'>\tOptional: {opt}\n",
            )
