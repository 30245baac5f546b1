"""Both validation layers over whole objects and over loaded documents.

Owns the pipeline (as the API server runs it): known kind → strict schema
(unknown fields, types) → defaulting → the kind's rules → minik support
(layer 2), and placing every error at ``file:line:col``. Rules only ever see
schema-valid objects. Nothing here reads files or touches the store.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from minik.errors import FieldError, ManifestError
from minik.k8s import Obj
from minik.manifest import fields as f
from minik.manifest import (
    removed,
    rules_access,
    rules_cronjob,
    rules_host,
    rules_job,
    rules_policy,
    rules_storage,
    schema,
    support,
)
from minik.manifest import rules_core as rules_other
from minik.manifest.defaults import default_object
from minik.manifest.loader import Document

KINDS = {
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "Pod": "v1",
    "Service": "v1",
    "ConfigMap": "v1",
    "Secret": "v1",
}
KINDS.update(rules_access.ACCESS_KINDS)
KINDS.update(rules_policy.POLICY_KINDS)
KINDS.update(rules_storage.STORAGE_KINDS)
PLACEHOLDER_UID = "00000000-0000-0000-0000-000000000000"
"""Stands for the uid the server will generate, so file validation sees what create will see."""

_RULES: dict[str, Callable[[Obj], list[FieldError]]] = {
    "Job": rules_job.validate_job,
    "CronJob": rules_cronjob.validate_cronjob,
    "Pod": rules_other.validate_pod,
    "Service": rules_other.validate_service,
    "ConfigMap": rules_other.validate_configmap,
    "Secret": rules_other.validate_secret,
    **rules_access.RULES,
    **rules_policy.RULES,
    **rules_storage.RULES,
}
GENERATED_SUFFIX = "xxxxx"
"""Stands for the five random characters the server appends to ``generateName``."""


@dataclass
class Validated:
    """Defaulted objects (no uid, no generated selector) and the warnings to show."""

    objects: list[Obj] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)


def _kind_errors(obj: Obj) -> list[FieldError]:
    kind, version = obj.get("kind"), obj.get("apiVersion")
    if not isinstance(kind, str) or not kind:
        return [f.required(("kind",), "kind is required")]
    if not isinstance(version, str) or not version:
        return [f.required(("apiVersion",), "apiVersion is required")]
    gone = removed.removed_version(kind, version)
    if gone is not None:
        return [gone]
    if kind not in KINDS:
        return [
            f.unsupported_by_minik(
                ("kind",),
                f"{kind} objects (minik runs Job, CronJob, Pod, Service, ConfigMap, Secret, Namespace, "
                "ServiceAccount, PodDisruptionBudget, PersistentVolumeClaim, PersistentVolume, StorageClass "
                "and RBAC objects)",
            )
        ]
    if KINDS[kind] != version:
        return [f.not_supported(("apiVersion",), version, (KINDS[kind],))]
    return []


def _dedupe(errors: list[FieldError]) -> list[FieldError]:
    seen: set[tuple[str, str]] = set()
    out = []
    for e in errors:
        key = (e.path, e.body())
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def _update_errors(obj: Obj, old: Obj) -> list[FieldError]:
    kind = obj.get("kind")
    if kind == "Job":
        return rules_job.validate_job_update(obj, old)
    if kind == "Pod":
        return rules_other.validate_pod_update(obj, old)
    if kind in ("ConfigMap", "Secret"):
        return rules_other.validate_immutable_data(obj, old)
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        return rules_access.validate_binding_update(obj, old)
    if kind in rules_storage.UPDATE_RULES:
        return rules_storage.UPDATE_RULES[kind](obj, old)
    return []


def _check(obj: Obj, *, old: Obj | None, defaulted: bool) -> tuple[list[FieldError], list[FieldError]]:
    errors = _kind_errors(obj)
    if errors:
        return errors, []
    structural = schema.check(obj)
    if any(not schema.is_unknown(e) for e in structural):
        return structural, []
    errors = list(structural)
    if structural:  # strip unknown fields, as strict=Warn decoding would, and go on
        obj = _without(obj, [f.path_of(e) for e in structural])
    if not defaulted:
        obj = default_object(_generated_name(obj), uid=PLACEHOLDER_UID)
        obj.setdefault("metadata", {})["uid"] = PLACEHOLDER_UID
    if obj.get("kind") == "CronJob" and old is not None and not _kind_errors(old):
        errors += rules_cronjob.validate_cronjob_update(obj, old)
    else:
        errors += _RULES[str(obj["kind"])](obj)
        if old is not None and not _kind_errors(old):
            errors += _update_errors(obj, old)
    unsupported, warnings = support.check(obj)
    warnings = rules_host.pod_warnings(obj) + warnings
    if obj.get("kind") == "Job":
        warnings = rules_job.job_warnings(obj) + warnings
    return _dedupe(errors + unsupported), warnings


def _generated_name(obj: Obj) -> Obj:
    """``obj`` named as the server names a ``generateName``-only object before validating it."""
    m = obj.get("metadata")
    if not isinstance(m, dict) or m.get("name") or not isinstance(m.get("generateName"), str):
        return obj
    if not m["generateName"]:
        return obj
    return {**obj, "metadata": {**m, "name": m["generateName"] + GENERATED_SUFFIX}}


def _without(obj: Obj, paths: list[tuple[Any, ...]]) -> Obj:
    out = copy.deepcopy(obj)
    for path in paths:
        node: Any = out
        for part in path[:-1]:
            node = node[part]
        node.pop(path[-1], None)
    return out


def validate_object(obj: Obj, *, old: Obj | None = None) -> tuple[list[FieldError], list[FieldError]]:
    """(errors, warnings) for an object the API server has already defaulted; ``old`` on update."""
    try:
        return _check(obj, old=old, defaulted=True)
    except (TypeError, AttributeError, KeyError, ValueError, IndexError) as exc:  # defensive: never a 500
        return [f.invalid((), f.OMIT, f"object could not be validated: {exc}")], []


def _place(doc: Document, errors: list[FieldError]) -> list[FieldError]:
    meta = doc.obj.get("metadata")
    name = meta.get("name", "") if isinstance(meta, dict) else ""
    kind = doc.obj.get("kind") if isinstance(doc.obj.get("kind"), str) else ""
    out = []
    for e in errors:
        loc = doc.location(f.path_of(e))
        out.append(
            FieldError(
                path=e.path,
                reason=e.reason,
                detail=e.detail,
                location=loc,
                kind=str(kind),
                name=str(name) if isinstance(name, str) else "",
                warning=e.warning,
                extra=e.extra,
            )
        )
    return out


def validate_documents(docs: list[Document]) -> Validated:
    """Validate every document; raise :class:`ManifestError` with every problem, else the defaulted objects."""
    result = Validated()
    errors: list[FieldError] = []
    for doc in docs:
        try:
            errs, warns = _check(doc.obj, old=None, defaulted=False)
        except (TypeError, AttributeError, KeyError, ValueError, IndexError) as exc:
            errs, warns = [f.invalid((), f.OMIT, f"object could not be validated: {exc}")], []
        errors += _place(doc, errs)
        result.warnings += _place(doc, warns)
        if not errs:
            result.objects.append(default_object(doc.obj))
    if errors:
        raise ManifestError(errors)
    return result
