"""OpenAPI v3 component schemas for ``kubectl explain``, built from minik's own JSON Schemas.

Source: :func:`minik.manifest.schema.schema_text` (``schemas/*.json``, the
same schemas that validate every object), converted to OpenAPI 3.0 shapes:
``$defs`` become ``components.schemas`` named ``<group-version>.<Type>``, a
type list holding integer and string becomes ``x-kubernetes-int-or-string``,
each top-level kind carries ``x-kubernetes-group-version-kind`` (how kubectl
finds it), and every keyed list carries the ``x-kubernetes-patch-merge-key``
and ``x-kubernetes-patch-strategy`` of :func:`minik.mergekeys.merge_key` —
the table the server's strategic merge patch itself uses.

Because the PATCH operations of these kinds list the strategic-merge media
type (:mod:`minik.api.discovery`), ``kubectl apply`` and ``kubectl diff``
take their merge keys from here. What these schemas lack: descriptions
(``kubectl explain`` shows fields and types only), and the inside of types
minik never looks into (probes, affinity), which are plain objects — lists
in them are replaced whole by a patch, as most of them are upstream.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from minik.manifest.schema import SCHEMA_FILES, schema_text
from minik.mergekeys import merge_key

PREFIX = {"batch/v1": "io.k8s.api.batch.v1", "v1": "io.k8s.api.core.v1",
          "rbac.authorization.k8s.io/v1": "io.k8s.api.rbac.v1",
          "storage.k8s.io/v1": "io.k8s.api.storage.v1"}  # fmt: skip


def _prefix(api_version: str) -> str:
    return PREFIX.get(api_version, "io.minik." + api_version.replace("/", "."))


# Where a definition sits in its object, for the merge keys that depend on it (Service spec.ports).
DEF_PATHS = {"ServiceSpec": ("spec",)}


def _merge_meta(name: str, node: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    key = merge_key(name, path)
    if node.get("type") != "array" or key is False:
        return {}
    if key is None:
        return {"x-kubernetes-patch-strategy": "merge"}
    return {"x-kubernetes-patch-merge-key": key, "x-kubernetes-patch-strategy": "merge"}


def _convert(node: Any, prefix: str, owner: str = "", path: tuple[str, ...] = ()) -> Any:
    """One JSON Schema node → OpenAPI 3.0 (refs renamed, type lists resolved)."""
    if isinstance(node, list):
        return [_convert(x, prefix, path=path) for x in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("$schema", "$id", "title"):
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out["allOf"] = [{"$ref": f"#/components/schemas/{prefix}.{value.split('/')[-1]}"}]
        elif key == "type" and isinstance(value, list):
            kinds = [t for t in value if t != "null"]
            if set(kinds) == {"integer", "string"}:
                out["x-kubernetes-int-or-string"] = True
            elif kinds:
                out["type"] = kinds[0]
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _convert(sub, prefix, name, path) for name, sub in value.items()}
        else:
            out[key] = _convert(value, prefix, path=path)
    if "enum" in out and "type" not in out:
        out["type"] = "string"
    if owner:
        out.update(_merge_meta(owner, out, path))
    return out


@cache
def component_schemas(api_version: str) -> dict[str, Any]:
    """Every schema of one group-version: the kinds and the types they use."""
    prefix = _prefix(api_version)
    out: dict[str, Any] = {}
    for (version, kind), _file in sorted(SCHEMA_FILES.items()):
        if version != api_version:
            continue
        root = schema_text(version, kind)
        for name, sub in (root.get("$defs") or {}).items():
            out[f"{prefix}.{name}"] = _convert(sub, prefix, path=DEF_PATHS.get(name, ()))
        top = _convert({k: v for k, v in root.items() if k != "$defs"}, prefix)
        group, _, ver = api_version.rpartition("/")
        top["x-kubernetes-group-version-kind"] = [{"group": group, "version": ver, "kind": kind}]
        out[f"{prefix}.{kind}"] = top
    return out
