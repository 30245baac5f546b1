"""The default ClusterRoles and ClusterRoleBindings every cluster starts with (upstream's
``plugin/pkg/auth/authorizer/rbac/bootstrappolicy``), cut to the resources minik serves.

``cluster-admin`` (bound to ``system:masters``); the user-facing ``admin``,
``edit`` and ``view`` (aggregated, as upstream: their rules come from the
``system:aggregate-to-*`` roles and any ClusterRole labelled
``rbac.authorization.k8s.io/aggregate-to-<role>: "true"``);
``system:basic-user`` (the self reviews), ``system:discovery`` and
``system:public-info-viewer`` (discovery and version paths), bound to every
authenticated user. Pure data.
"""

from __future__ import annotations

from typing import Any

RBAC = "rbac.authorization.k8s.io"
READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
AGGREGATE_PREFIX = f"{RBAC}/aggregate-to-"

_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
_ANNOTATIONS = {"rbac.authorization.kubernetes.io/autoupdate": "true"}


def _rule(verbs: list[str], groups: list[str], resources: list[str]) -> dict[str, Any]:
    return {"verbs": verbs, "apiGroups": groups, "resources": resources}


def _url_rule(verbs: list[str], urls: list[str]) -> dict[str, Any]:
    return {"verbs": verbs, "nonResourceURLs": urls}


_VIEW = [
    _rule(READ, [""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
                       "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
                       "services", "services/status"]),
    _rule(READ, [""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
                       "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"]),
    _rule(READ, [""], ["namespaces"]),
    _rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
    _rule(READ, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
    _rule(READ, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
]  # fmt: skip
_EDIT = [
    _rule(["impersonate"], [""], ["serviceaccounts"]),
    _rule(WRITE, [""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
    _rule(["create"], [""], ["pods/eviction"]),
    _rule(WRITE, [""], ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
                        "replicationcontrollers/scale", "secrets", "serviceaccounts", "services",
                        "services/proxy"]),
    _rule(["create"], [""], ["serviceaccounts/token"]),
    _rule(WRITE, ["batch"], ["cronjobs", "jobs"]),
    _rule(WRITE, ["policy"], ["poddisruptionbudgets"]),
    _rule(READ, [""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]),
    _rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
]  # fmt: skip
_ADMIN = [
    _rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
    _rule([*WRITE, *READ], [RBAC], ["rolebindings", "roles"]),
]
_BASIC_USER = [
    _rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
    _rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
]
_INFO_URLS = ["/healthz", "/livez", "/readyz", "/version", "/version/"]
_DISCOVERY_URLS = ["/api", "/api/*", "/apis", "/apis/*", *_INFO_URLS, "/openapi", "/openapi/*"]


def _meta(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"name": name, "labels": {**_LABELS, **(labels or {})}, "annotations": dict(_ANNOTATIONS)}


def _cluster_role(
    name: str, rules: list[dict[str, Any]], *, labels: dict[str, str] | None = None, aggregate: str = ""
) -> dict[str, Any]:
    role: dict[str, Any] = {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRole",
        "metadata": _meta(name, labels),
        "rules": rules,
    }
    if aggregate:
        role["aggregationRule"] = {
            "clusterRoleSelectors": [{"matchLabels": {f"{AGGREGATE_PREFIX}{aggregate}": "true"}}]
        }
    return role


def _binding(name: str, role: str, groups: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": _meta(name),
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": RBAC, "kind": "Group", "name": g} for g in groups],
    }


def _aggregate_to(*roles: str) -> dict[str, str]:
    return {f"{AGGREGATE_PREFIX}{r}": "true" for r in roles}


def cluster_roles() -> list[dict[str, Any]]:
    """The default ClusterRoles; ``admin``/``edit``/``view`` carry the rules aggregation gives them."""
    return [
        _cluster_role("cluster-admin", [_rule(["*"], ["*"], ["*"]), _url_rule(["*"], ["*"])]),
        _cluster_role("admin", _ADMIN + _EDIT + _VIEW, aggregate="admin"),
        _cluster_role("edit", _EDIT + _VIEW, labels=_aggregate_to("admin"), aggregate="edit"),
        _cluster_role("view", list(_VIEW), labels=_aggregate_to("admin", "edit"), aggregate="view"),
        _cluster_role("system:aggregate-to-admin", list(_ADMIN), labels=_aggregate_to("admin")),
        _cluster_role("system:aggregate-to-edit", list(_EDIT), labels=_aggregate_to("edit")),
        _cluster_role("system:aggregate-to-view", list(_VIEW), labels=_aggregate_to("view")),
        _cluster_role("system:basic-user", _BASIC_USER),
        _cluster_role("system:discovery", [_url_rule(["get"], _DISCOVERY_URLS)]),
        _cluster_role("system:public-info-viewer", [_url_rule(["get"], _INFO_URLS)]),
    ]


def cluster_role_bindings() -> list[dict[str, Any]]:
    return [
        _binding("cluster-admin", "cluster-admin", ["system:masters"]),
        _binding("system:basic-user", "system:basic-user", ["system:authenticated"]),
        _binding("system:discovery", "system:discovery", ["system:authenticated"]),
        _binding(
            "system:public-info-viewer",
            "system:public-info-viewer",
            ["system:authenticated", "system:unauthenticated"],
        ),
    ]
