"""Validation of the other kinds minik stores: Pod, Service, ConfigMap, Secret.

Owns ``ValidatePod``/``ValidateService``/``ValidateConfigMap``/
``ValidateSecret`` (create) and their update rules, in upstream's order and
wording. Pure functions over schema-valid, defaulted dicts.
"""

from __future__ import annotations

from typing import Any

from minik.errors import FieldError
from minik.k8s import decode_bytes
from minik.manifest import fields as f
from minik.manifest import rules_meta as m
from minik.manifest import rules_pod
from minik.manifest.fields import Key, PathT

MAX_DATA_BYTES = 1024 * 1024
SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")


def validate_pod(pod: dict[str, Any]) -> list[FieldError]:
    errors = m.object_meta(pod.get("metadata") or {})
    errors += rules_pod.pod_spec(pod.get("spec") or {}, ("spec",))
    return errors


def validate_service(svc: dict[str, Any]) -> list[FieldError]:
    errors = m.object_meta(svc.get("metadata") or {}, name_fn="dns1035")
    spec = svc.get("spec") or {}
    sp: PathT = ("spec",)
    ports = spec.get("ports") or []
    stype = spec.get("type") or "ClusterIP"
    if not ports and spec.get("clusterIP") != "None" and stype != "ExternalName":
        errors.append(f.required((*sp, "ports")))
    names: set[str] = set()
    keys: set[tuple[int, str]] = set()
    for i, port in enumerate(ports):
        pp = (*sp, "ports", i)
        name = port.get("name") or ""
        if not name and len(ports) > 1:
            errors.append(f.required((*pp, "name")))
        elif name:
            errors += [f.invalid((*pp, "name"), name, msg) for msg in m.dns1123_label(name)]
            if name in names:
                errors.append(f.duplicate((*pp, "name"), name))
            names.add(name)
        num = port.get("port") or 0
        if not 1 <= num <= 65535:
            errors.append(f.invalid((*pp, "port"), num, "must be between 1 and 65535, inclusive"))
        proto = port.get("protocol") or ""
        if not proto:
            errors.append(f.required((*pp, "protocol")))
        elif proto not in ("SCTP", "TCP", "UDP"):
            errors.append(f.not_supported((*pp, "protocol"), proto, ("SCTP", "TCP", "UDP")))
        target = port.get("targetPort")
        if isinstance(target, int) and not 1 <= target <= 65535:
            errors.append(f.invalid((*pp, "targetPort"), target, "must be between 1 and 65535, inclusive"))
        elif isinstance(target, str):
            errors += [f.invalid((*pp, "targetPort"), target, msg) for msg in m.port_name(target)]
        if (num, proto) in keys:
            errors.append(f.duplicate(pp, {"port": num, "protocol": proto}))
        keys.add((num, proto))
        node_port = port.get("nodePort") or 0
        if node_port and stype == "ClusterIP":
            errors.append(f.forbidden((*pp, "nodePort"), "may not be used when `type` is 'ClusterIP'"))
        elif node_port and not 1 <= node_port <= 65535:
            errors.append(f.invalid((*pp, "nodePort"), node_port, "must be between 1 and 65535, inclusive"))
    if stype not in SERVICE_TYPES:
        errors.append(f.not_supported((*sp, "type"), stype, SERVICE_TYPES))
    errors += m.labels(spec.get("selector"), (*sp, "selector"))
    return errors


def _data_keys(obj: dict[str, Any], fields: tuple[str, ...]) -> list[FieldError]:
    errors: list[FieldError] = []
    size = 0
    seen: set[str] = set()
    for fld in fields:
        for key, value in (obj.get(fld) or {}).items():
            path = (fld, Key(key))
            errors += [f.invalid(path, key, msg) for msg in m.config_key(key)]
            if key in seen:
                errors.append(f.invalid(path, key, "duplicate of key present in data"))
            seen.add(key)
            size += len(str(value))
    if size > MAX_DATA_BYTES:
        errors.append(
            FieldError(
                path=fields[0],
                reason="Too long",
                detail=f"must have at most {MAX_DATA_BYTES} bytes",
                extra={"path": (fields[0],)},
            )
        )
    return errors


def validate_configmap(cm: dict[str, Any]) -> list[FieldError]:
    errors = m.object_meta(cm.get("metadata") or {})
    errors += _data_keys(cm, ("data", "binaryData"))
    for key, value in (cm.get("binaryData") or {}).items():
        errors += _base64(value, ("binaryData", Key(key)))
    return errors


def _base64(value: str, path: PathT) -> list[FieldError]:
    try:
        decode_bytes(value)
    except (TypeError, AttributeError, ValueError):
        return [f.invalid(path, "<secret contents redacted>", "illegal base64 data")]
    return []


def validate_secret(secret: dict[str, Any]) -> list[FieldError]:
    errors = m.object_meta(secret.get("metadata") or {})
    errors += _data_keys(secret, ("data",))
    for key, value in (secret.get("data") or {}).items():
        errors += _base64(value, ("data", Key(key)))
    return errors


def validate_immutable_data(new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """ConfigMap/Secret with ``immutable: true``: data may not change (and immutable stays)."""
    if old.get("immutable") is not True:
        return []
    errors: list[FieldError] = []
    if new.get("immutable") is not True:
        errors.append(f.forbidden(("immutable",), "field is immutable when `immutable` is set"))
    for fld in ("data", "binaryData"):
        if (new.get(fld) or {}) != (old.get(fld) or {}):
            errors.append(f.forbidden((fld,), "field is immutable when `immutable` is set"))
    return errors


def validate_pod_update(new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """Pod spec is immutable but for images and activeDeadlineSeconds (tolerations: additions)."""

    def strip(spec: dict[str, Any]) -> dict[str, Any]:
        out = dict(spec)
        for fld in ("containers", "initContainers"):
            out[fld] = [{k: v for k, v in c.items() if k != "image"} for c in spec.get(fld) or []]
        for fld in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
            out.pop(fld, None)
        return out

    errors = _only_added_tolerations(new.get("spec") or {}, old.get("spec") or {})
    if strip(new.get("spec") or {}) != strip(old.get("spec") or {}):
        errors.append(f.forbidden(("spec",), POD_UPDATE_FORBIDDEN))
    return errors


def _only_added_tolerations(new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """``validateOnlyAddedTolerations``: each old toleration stays, but for its ``tolerationSeconds``."""

    def key(t: Any) -> Any:
        if not isinstance(t, dict):
            return t
        return sorted((k, v) for k, v in t.items() if k != "tolerationSeconds" and v not in (None, ""))

    kept = [key(t) for t in new.get("tolerations") or []]
    if all(key(t) in kept for t in old.get("tolerations") or []):
        return []
    return [
        f.forbidden(
            ("spec", "tolerations"), "existing toleration can not be modified except its tolerationSeconds"
        )
    ]


POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)"
)
"""``ValidatePodUpdate``'s words (upstream appends a Go diff of the two specs, minik does not)."""
