"""Pod rules about the host: host ports, host networking and seccomp profiles.

Owns upstream's ``validateHostNetwork`` (a hostNetwork pod's hostPort must
equal its containerPort), ``checkHostPortConflicts`` (one hostPort per
protocol and hostIP among the regular containers), ``validateSeccompProfileField``
and the API server's warning for the seccomp annotations that stopped
working in 1.27 (``pkg/api/pod/warnings.go``), plus the Pod defaulting that
gives a hostNetwork pod's ports their hostPort (``SetDefaults_Pod``). Pure
functions over schema-valid, defaulted dicts; sources are in
``pkg/apis/core/validation/validation.go`` and ``pkg/apis/core/v1/defaults.go``.
"""

from __future__ import annotations

from typing import Any

from minik.errors import FieldError
from minik.manifest import fields as f
from minik.manifest import rules_meta as m
from minik.manifest.fields import Key, PathT

SECCOMP_TYPES = ("Localhost", "RuntimeDefault", "Unconfined")
SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"


def seccomp_profile(sp: Any, path: PathT) -> list[FieldError]:
    """``validateSeccompProfileField``: a known type; localhostProfile exactly for Localhost, relative, no ``..``."""
    if not isinstance(sp, dict):
        return []
    errors: list[FieldError] = []
    kind = sp.get("type") or ""
    if not kind:
        errors.append(f.required((*path, "type"), "type is required when seccompProfile is set"))
    elif kind not in SECCOMP_TYPES:
        errors.append(f.not_supported((*path, "type"), kind, SECCOMP_TYPES))
    local = sp.get("localhostProfile")
    if kind == "Localhost":
        if local is None:
            errors.append(
                f.required((*path, "localhostProfile"), "must be set when seccomp type is Localhost")
            )
        else:
            errors += m.local_descending_path(local, (*path, "localhostProfile"))
    elif local is not None:
        errors.append(
            f.invalid((*path, "localhostProfile"), sp, "can only be set when seccomp type is Localhost")
        )
    return errors


def host_ports(spec: dict[str, Any], path: PathT, *, is_pod: bool) -> list[FieldError]:
    """``validateHostNetwork`` and ``checkHostPortConflicts`` over the regular containers.

    In a Pod (defaulted, so an unset hostPort is already the containerPort)
    hostPort must equal containerPort under hostNetwork; in a template an
    unset hostPort (0) is allowed too, as the Pod defaulting fills it in.
    """
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, c in enumerate(spec.get("containers") or []):
        for j, port in enumerate(c.get("ports") or []):
            p = (*path, "containers", i, "ports", j, "hostPort")
            hp, cp = port.get("hostPort") or 0, port.get("containerPort") or 0
            if spec.get("hostNetwork") and (is_pod or hp != 0) and hp != cp:
                errors.append(f.invalid(p, hp, "must match `containerPort` when `hostNetwork` is true"))
            if hp:
                key = f"{port.get('protocol') or 'TCP'}/{port.get('hostIP') or ''}/{hp}"
                if key in seen:
                    errors.append(f.duplicate(p, key))
                seen.add(key)
    return errors


def default_host_network_ports(spec: dict[str, Any]) -> None:
    """In place, for a Pod only: under hostNetwork every port's hostPort defaults to its containerPort."""
    if not spec.get("hostNetwork"):
        return
    for group in ("containers", "initContainers"):
        for c in spec.get(group) or []:
            for port in (c.get("ports") or []) if isinstance(c, dict) else []:
                if isinstance(port, dict) and not port.get("hostPort") and port.get("containerPort"):
                    port["hostPort"] = port["containerPort"]


def seccomp_annotation_warnings(annotations: Any, spec: dict[str, Any], path: PathT) -> list[FieldError]:
    """The seccomp annotations a field does not replace: non-functional since 1.27 (the API server's warning)."""
    if not isinstance(annotations, dict):
        return []
    words = 'non-functional in v1.27+; use the "seccompProfile" field instead'
    where = (*path, "annotations")
    out: list[FieldError] = []
    if SECCOMP_POD_ANNOTATION in annotations and not (spec.get("securityContext") or {}).get(
        "seccompProfile"
    ):
        out.append(_warning((*where, Key(SECCOMP_POD_ANNOTATION)), words))
    for group in ("initContainers", "containers"):
        for c in spec.get(group) or []:
            key = SECCOMP_CONTAINER_ANNOTATION + str(c.get("name") or "")
            if key in annotations and not (c.get("securityContext") or {}).get("seccompProfile"):
                out.append(_warning((*where, Key(key)), words))
    return out


def _warning(path: PathT, words: str) -> FieldError:
    return FieldError(path=f.fmt_path(path), reason=words, warning=True, extra={"path": path})


_TEMPLATE = {"Job": ("spec", "template"), "CronJob": ("spec", "jobTemplate", "spec", "template"), "Pod": ()}


def pod_warnings(obj: dict[str, Any]) -> list[FieldError]:
    """The seccomp annotation warnings of a Pod, or of a Job's or CronJob's pod template."""
    root = _TEMPLATE.get(str(obj.get("kind")))
    if root is None:
        return []
    node: Any = obj
    for key in root:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return []
    annotations = (node.get("metadata") or {}).get("annotations")
    return seccomp_annotation_warnings(annotations, node.get("spec") or {}, (*root, "metadata"))
