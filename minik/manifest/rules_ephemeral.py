"""Ephemeral containers: what one may hold, and how the list may change.

Upstream (kubernetes/kubernetes, ``pkg/apis/core/validation/validation.go``):
``validateEphemeralContainers`` — each one is validated as a container, its
name is unique across every container of the pod, ``targetContainerName``
names a regular or init container, and only an allow-list of fields may be
set (no ports, probes, resources, lifecycle, restart policy), nor a
``subPath``/``subPathExpr`` mount; ``ValidatePodCreate`` and
``ValidatePodTemplateSpec`` refuse them outright; and
``ValidatePodEphemeralContainersUpdate`` (the ``pods/ephemeralcontainers``
subresource) lets the list only grow: an existing one may be neither
removed nor changed. ``pkg/registry/core/pod/strategy.go``
(``dropNonEphemeralContainerUpdates``) says what such a write keeps of the
object sent: its ephemeral containers, nothing else.

Pure functions over schema-valid, defaulted dicts.
"""

from __future__ import annotations

import copy
from typing import Any

from minik.errors import FieldError
from minik.manifest import fields as f
from minik.manifest.fields import PathT

FIELD = "ephemeralContainers"
SUBRESOURCE = "ephemeralcontainers"  # pods/ephemeralcontainers: a write keeps only the ephemeral containers
NOT_FOR_EPHEMERAL = "cannot be set for an Ephemeral Container"
FORBIDDEN_FIELDS = (  # EphemeralContainerCommon's fields outside upstream's allow-list, in its field order
    "ports",
    "resources",
    "resizePolicy",
    "restartPolicy",
    "restartPolicyRules",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
)


def _set(value: Any) -> bool:
    return value not in (None, "", [], {})


def containers(spec: dict[str, Any], path: PathT) -> list[FieldError]:
    """``validateEphemeralContainers``' own rules (the container rules they share are the caller's)."""
    ephemeral = spec.get(FIELD) or []
    others = {str(c.get("name")) for kind in ("containers", "initContainers") for c in spec.get(kind) or []}
    names = set(others)
    errors: list[FieldError] = []
    for i, ec in enumerate(ephemeral):
        ip = (*path, FIELD, i)
        name = ec.get("name") or ""
        if name in names:
            errors.append(f.duplicate((*ip, "name"), name))
        names.add(name)
        target = ec.get("targetContainerName") or ""
        if target and target not in others:
            errors.append(f.not_found((*ip, "targetContainerName"), target))
        errors += [f.forbidden((*ip, k), NOT_FOR_EPHEMERAL) for k in FORBIDDEN_FIELDS if _set(ec.get(k))]
        for j, mount in enumerate(ec.get("volumeMounts") or []):
            for k in ("subPath", "subPathExpr"):
                if mount.get(k):
                    errors.append(f.forbidden((*ip, "volumeMounts", j, k), NOT_FOR_EPHEMERAL))
    return errors


def on_create(spec: dict[str, Any], path: PathT) -> list[FieldError]:
    """``ValidatePodCreate``: a pod is created without ephemeral containers."""
    return [f.forbidden((*path, FIELD), "cannot be set on create")] if spec.get(FIELD) else []


def in_template(spec: dict[str, Any], path: PathT) -> list[FieldError]:
    """``ValidatePodTemplateSpec``: a pod template holds none."""
    if not spec.get(FIELD):
        return []
    return [f.forbidden((*path, FIELD), "ephemeral containers not allowed in pod template")]


def update(new_spec: dict[str, Any], old_spec: dict[str, Any]) -> list[FieldError]:
    """``ValidatePodEphemeralContainersUpdate``: existing ones stay, unchanged (upstream appends a
    Go diff of a changed one to its message; minik does not)."""
    path: PathT = ("spec", FIELD)
    by_name = {str(c.get("name")): c for c in new_spec.get(FIELD) or []}
    errors: list[FieldError] = []
    for old in old_spec.get(FIELD) or []:
        name = str(old.get("name"))
        new = by_name.get(name)
        if new is None:
            errors.append(f.forbidden(path, f'existing ephemeral containers "{name}" may not be removed'))
        elif new != old:
            errors.append(f.forbidden(path, f'existing ephemeral containers "{name}" may not be changed'))
    return errors


def kept_of(sent: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The pod a ``pods/ephemeralcontainers`` write stores: ``current`` with the ephemeral
    containers of ``sent`` (``dropNonEphemeralContainerUpdates``), a new object."""
    out = copy.deepcopy(current)
    ephemeral = (sent.get("spec") or {}).get(FIELD)
    spec = out.setdefault("spec", {})
    if ephemeral:
        spec[FIELD] = copy.deepcopy(ephemeral)
    else:
        spec.pop(FIELD, None)
    return out
