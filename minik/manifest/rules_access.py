"""Validation and defaulting of Namespace, ServiceAccount and the RBAC kinds.

Owns upstream's ``ValidateNamespace``, ``ValidateServiceAccount`` and
``pkg/apis/rbac/validation`` (roles, rules, bindings, subjects) in their
wording, and the RBAC subject defaulting. The API server enforces them
for service-account tokens (:mod:`minik.auth.rbac`). Pure functions over
schema-valid dicts.
"""

from __future__ import annotations

from typing import Any

from minik.errors import FieldError
from minik.manifest import fields as f
from minik.manifest import rules_meta as m

RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})
ACCESS_KINDS = {
    "Namespace": "v1",
    "ServiceAccount": "v1",
    **dict.fromkeys(sorted(RBAC_KINDS), f"{RBAC_GROUP}/v1"),
}
CLUSTER_SCOPED = frozenset({"Namespace", "ClusterRole", "ClusterRoleBinding"})


def default_access(obj: dict[str, Any]) -> None:
    """In place: a User or Group subject's ``apiGroup`` defaults to the RBAC group (SetDefaults_Subject)."""
    if obj.get("kind") not in ("RoleBinding", "ClusterRoleBinding"):
        return
    for subject in obj.get("subjects") or []:
        if (
            isinstance(subject, dict)
            and not subject.get("apiGroup")
            and subject.get("kind") in ("User", "Group")
        ):
            subject["apiGroup"] = RBAC_GROUP


def validate_namespace(ns: dict[str, Any]) -> list[FieldError]:
    errors = m.object_meta(ns.get("metadata") or {}, name_fn="label", namespaced=False)
    for i, fin in enumerate((ns.get("spec") or {}).get("finalizers") or []):
        errors += [f.invalid(("spec", "finalizers", i), fin, msg) for msg in m.qualified_name(fin)]
    return errors


def validate_service_account(sa: dict[str, Any]) -> list[FieldError]:
    return m.object_meta(sa.get("metadata") or {})


def _rule(rule: dict[str, Any], namespaced: bool, i: int) -> list[FieldError]:
    p = ("rules", i)
    errors: list[FieldError] = []
    if not rule.get("verbs"):
        errors.append(f.required((*p, "verbs"), "verbs must contain at least one value"))
    urls = rule.get("nonResourceURLs") or []
    if urls:
        if namespaced:
            errors.append(
                f.invalid((*p, "nonResourceURLs"), urls, "namespaced rules cannot apply to non-resource URLs")
            )
        if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
            errors.append(
                f.invalid(
                    (*p, "nonResourceURLs"),
                    urls,
                    "rules cannot apply to both regular resources and non-resource URLs",
                )
            )
        return errors
    if not rule.get("apiGroups"):
        errors.append(f.required((*p, "apiGroups"), "resource rules must supply at least one api group"))
    if not rule.get("resources"):
        errors.append(f.required((*p, "resources"), "resource rules must supply at least one resource"))
    if rule.get("resourceNames") and len(rule.get("resources") or []) > 1:
        errors.append(f.required((*p, "resourceNames"), "resource names cannot apply to multiple resources"))
    return errors


def validate_role(role: dict[str, Any]) -> list[FieldError]:
    namespaced = role.get("kind") == "Role"
    errors = m.object_meta(role.get("metadata") or {}, name_fn="path", namespaced=namespaced)
    for i, rule in enumerate(role.get("rules") or []):
        errors += _rule(rule, namespaced, i)
    return errors


def _subject(subject: dict[str, Any], namespaced: bool, i: int) -> list[FieldError]:
    p = ("subjects", i)
    errors: list[FieldError] = []
    name, kind, group = subject.get("name") or "", subject.get("kind") or "", subject.get("apiGroup") or ""
    if not name:
        errors.append(f.required((*p, "name")))
    if kind == "ServiceAccount":
        if name:
            errors += [f.invalid((*p, "name"), name, msg) for msg in m.dns1123_subdomain(name)]
        if group:
            errors.append(f.not_supported((*p, "apiGroup"), group, ("",)))
        if not namespaced and not subject.get("namespace"):
            errors.append(f.required((*p, "namespace")))
    elif kind in ("User", "Group"):
        if not name:
            errors.append(f.invalid((*p, "name"), name, f"{kind.lower()} name cannot be empty"))
        if group != RBAC_GROUP:
            errors.append(f.not_supported((*p, "apiGroup"), group, (RBAC_GROUP,)))
    else:
        errors.append(f.not_supported((*p, "kind"), kind, ("ServiceAccount", "User", "Group")))
    return errors


def validate_binding(binding: dict[str, Any]) -> list[FieldError]:
    namespaced = binding.get("kind") == "RoleBinding"
    errors = m.object_meta(binding.get("metadata") or {}, name_fn="path", namespaced=namespaced)
    ref = binding.get("roleRef") or {}
    if ref.get("apiGroup") != RBAC_GROUP:
        errors.append(f.not_supported(("roleRef", "apiGroup"), ref.get("apiGroup") or "", (RBAC_GROUP,)))
    kinds = ("Role", "ClusterRole") if namespaced else ("ClusterRole",)
    if ref.get("kind") not in kinds:
        errors.append(f.not_supported(("roleRef", "kind"), ref.get("kind") or "", kinds))
    name = ref.get("name") or ""
    if not name:
        errors.append(f.required(("roleRef", "name")))
    errors += [f.invalid(("roleRef", "name"), name, msg) for msg in m.path_segment(name)]
    for i, subject in enumerate(binding.get("subjects") or []):
        errors += _subject(subject, namespaced, i)
    return errors


def validate_binding_update(new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    if (new.get("roleRef") or {}) != (old.get("roleRef") or {}):
        return [f.invalid(("roleRef",), new.get("roleRef"), "cannot change roleRef")]
    return []


RULES = {
    "Namespace": validate_namespace,
    "ServiceAccount": validate_service_account,
    "Role": validate_role,
    "ClusterRole": validate_role,
    "RoleBinding": validate_binding,
    "ClusterRoleBinding": validate_binding,
}
