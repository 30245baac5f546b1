"""Discovery documents: ``/version``, ``/api``, ``/api/v1``, ``/apis``, ``/apis/batch/v1``, ``/openapi/v3``.

Pure data built from :data:`minik.store.RESOURCES`. The OpenAPI v3 documents
have one PATCH operation per resource, carrying the ``fieldValidation``
parameter and the group-version-kind: that is all kubectl reads to decide
that the server validates fields itself (so ``kubectl apply`` needs no
client-side schema) and to fall back to its built-in types for
strategic-merge patches; their ``components.schemas`` (:mod:`minik.api.openapi`)
serve ``kubectl explain``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from minik.api import openapi
from minik.api.authviews import DISCOVERY as AUTH_RESOURCES
from minik.api.authviews import TOKEN_SUBRESOURCE
from minik.resources import RESOURCES, Resource

VERSION = {
    "major": "1",
    "minor": "33",
    "gitVersion": "v1.33.0-minik",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.24.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SINGULAR = {"pods": "pod", "services": "service", "configmaps": "configmap", "secrets": "secret",
            "events": "event", "namespaces": "namespace", "nodes": "node", "jobs": "job",
            "cronjobs": "cronjob"}  # fmt: skip
SINGULAR.update({r.plural: r.kind.lower() for r in RESOURCES.values() if r.plural not in SINGULAR})


# The pod subresources minik serves, as the API server lists them. ``kubectl drain`` evicts only when
# ``pods/eviction`` is listed with kind Eviction and a group and version (kubectl's
# ``drain.CheckEvictionSupport``); otherwise it falls back to deleting the pods.
POD_SUBRESOURCES: list[dict[str, Any]] = [
    {"name": "pods/attach", "singularName": "", "namespaced": True, "kind": "PodAttachOptions",
     "verbs": ["create", "get"]},
    {"name": "pods/ephemeralcontainers", "singularName": "", "namespaced": True, "kind": "Pod",
     "verbs": ["get", "patch", "update"]},
    {"name": "pods/eviction", "singularName": "", "namespaced": True, "group": "policy", "version": "v1",
     "kind": "Eviction", "verbs": ["create"]},
    {"name": "pods/exec", "singularName": "", "namespaced": True, "kind": "PodExecOptions",
     "verbs": ["create", "get"]},
    {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
    {"name": "pods/portforward", "singularName": "", "namespaced": True, "kind": "PodPortForwardOptions",
     "verbs": ["create", "get"]},
]  # fmt: skip


def group_versions() -> dict[str, list[Resource]]:
    out: dict[str, list[Resource]] = {}
    for r in RESOURCES.values():
        out.setdefault(r.api_version, []).append(r)
    return out


def api_versions() -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def _group(name: str) -> dict[str, Any]:
    gv = {"groupVersion": f"{name}/v1", "version": "v1"}
    return {"name": name, "versions": [gv], "preferredVersion": gv}


def _group_names() -> list[str]:
    """Every group minik serves: the resource table's and the auth reviews'."""
    return sorted(
        {r.group for r in RESOURCES.values() if r.group} | {gv.split("/")[0] for gv in AUTH_RESOURCES}
    )


def api_group_list() -> dict[str, Any]:
    groups = _group_names()
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(g) for g in groups]}


def api_group(name: str) -> dict[str, Any] | None:
    if name not in _group_names():
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name)}


def resource_list(group_version: str) -> dict[str, Any] | None:
    if group_version in AUTH_RESOURCES:
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                "resources": AUTH_RESOURCES[group_version]}  # fmt: skip
    resources = group_versions().get(group_version)
    if resources is None:
        return None
    items: list[dict[str, Any]] = []
    for r in sorted(resources, key=lambda r: r.plural):
        entry: dict[str, Any] = {
            "name": r.plural,
            "singularName": SINGULAR.get(r.plural, ""),
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": VERBS if r.plural != "namespaces" else [v for v in VERBS if v != "deletecollection"],
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        items.append(entry)
        if r.has_status:
            items.append({"name": f"{r.plural}/status", "singularName": "", "namespaced": r.namespaced,
                          "kind": r.kind, "verbs": ["get", "patch", "update"]})  # fmt: skip
        if r.plural == "pods":
            items.extend(POD_SUBRESOURCES)
        if r.plural == "serviceaccounts":
            items.append(TOKEN_SUBRESOURCE)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": items}


def _openapi_path(gv: str) -> str:
    return "api/v1" if gv == "v1" else f"apis/{gv}"


def _patch_body(gv_path: str, r: Resource) -> dict[str, Any]:
    """The PATCH request body of a kind with a schema: kubectl then takes its merge keys from it."""
    schemas = openapi.component_schemas(r.api_version)
    name = f"{openapi.PREFIX.get(r.api_version, '')}.{r.kind}"
    if name not in schemas:
        return {}
    body = {"schema": {"type": "object"}}
    kinds = (
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
    )
    return {"requestBody": {"content": dict.fromkeys(kinds, body), "required": True}}


def openapi_doc(gv_path: str) -> dict[str, Any] | None:
    """The stub OpenAPI v3 document of ``api/v1`` or ``apis/batch/v1``."""
    for gv, resources in group_versions().items():
        if _openapi_path(gv) != gv_path:
            continue
        paths: dict[str, Any] = {}
        for r in resources:
            prefix = f"/{gv_path}/namespaces/{{namespace}}" if r.namespaced else f"/{gv_path}"
            paths[f"{prefix}/{r.plural}/{{name}}"] = {
                "patch": {
                    "operationId": f"patch{r.kind}",
                    **_patch_body(gv_path, r),
                    "parameters": [
                        {
                            "name": "fieldValidation",
                            "in": "query",
                            "schema": {"type": "string", "uniqueItems": True},
                        },
                        {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
                    ],
                    "x-kubernetes-group-version-kind": {
                        "group": r.group,
                        "version": r.version,
                        "kind": r.kind,
                    },
                }
            }
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes (minik)", "version": VERSION["gitVersion"]},
                "paths": paths, "components": {"schemas": openapi.component_schemas(gv)}}  # fmt: skip
    return None


def openapi_root() -> dict[str, Any]:
    paths = {}
    for gv in group_versions():
        p = _openapi_path(gv)
        digest = hashlib.sha256(json.dumps(openapi_doc(p), sort_keys=True).encode()).hexdigest()[:16].upper()
        paths[p] = {"serverRelativeURL": f"/openapi/v3/{p}?hash={digest}"}
    return {"paths": paths}
