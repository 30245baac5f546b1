"""The shipped schemas' field sets equal upstream's for the pinned Kubernetes version, both ways.

minik's schemas (``schemas/*.json``, built by :mod:`minik.manifest.schemagen`)
list every field of the official types wherever they look inside an object
(a plain ``{"type": "object"}`` is a type minik never looks into). Checked in
both directions against the definitions kubernetes-validate ships, so a field
dropped or added at a Kubernetes version bump fails here instead of becoming
an "unknown field" (or silently accepted) in users' manifests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from minik.api.discovery import VERSION

ROOT = Path(__file__).resolve().parents[3]
PINNED = VERSION["gitVersion"].removeprefix("v").split("-")[0]  # "1.33.0"
UPSTREAM = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{PINNED}-local-strict"

NEWER_THAN_PINNED = {
    # Fields of a later release that minik's schemas know so that a manifest written for it gets
    # "Unsupported by minik" (minik/manifest/support.py) instead of "unknown field".
    "containers[].restartPolicyRules",
    "initContainers[].restartPolicyRules",
    "volumes[].projected.sources[].podCertificate",
}


def _definitions() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((UPSTREAM / "_definitions.json").read_text())["$defs"]
    return data


DEFS = _definitions()


def _upstream(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = DEFS[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _minik(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _kind(api_version: str, kind: str) -> dict[str, Any]:
    group, _, version = api_version.rpartition("/")
    for d in DEFS.values():
        for gvk in d.get("x-kubernetes-group-version-kind", []):
            if (gvk["group"], gvk["version"], gvk["kind"]) == (group, version, kind):
                return d
    raise KeyError(f"{api_version} {kind} is not a type of Kubernetes {PINNED}")


def _compare(
    mk: dict[str, Any], up: dict[str, Any], root: dict[str, Any], path: str, out: dict[str, list[str]]
) -> None:
    mk, up = _minik(mk, root), _upstream(up)
    if "items" in mk:
        if "items" in up:
            _compare(mk["items"], up["items"], root, f"{path}[]", out)
        return
    ours = mk.get("properties") or {}
    if not ours:
        return  # a type minik does not look inside
    theirs = up.get("properties") or {}
    for name, sub in ours.items():
        if name in theirs:
            _compare(sub, theirs[name], root, f"{path}.{name}", out)
        else:
            out["only minik"].append(f"{path}.{name}")
    out["only upstream"] += [f"{path}.{name}" for name in theirs if name not in ours]


SCHEMAS = sorted((ROOT / "schemas").glob("*.json"))


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.stem)
def test_a_shipped_schema_has_upstreams_fields_no_more_no_fewer(path: Path) -> None:
    root = json.loads(path.read_text())
    api_version = root["properties"]["apiVersion"]["enum"][0]
    kind = root["properties"]["kind"]["enum"][0]
    out: dict[str, list[str]] = {"only minik": [], "only upstream": []}
    _compare(root, _kind(api_version, kind), root, kind, out)
    newer = {p for p in out["only minik"] if any(p.endswith(f".{n}") for n in NEWER_THAN_PINNED)}
    assert sorted(set(out["only minik"]) - newer) == [], f"fields Kubernetes {PINNED} does not have"
    assert out["only upstream"] == [], f"fields of Kubernetes {PINNED} the schema lacks"


def test_the_pinned_version_is_one_kubernetes_validate_ships() -> None:
    assert (UPSTREAM / "_definitions.json").is_file(), UPSTREAM
    assert len(SCHEMAS) >= 16


def test_every_shipped_schema_is_a_kind_of_the_resource_table() -> None:
    from minik.manifest.schema import SCHEMA_FILES

    assert sorted(SCHEMA_FILES.values()) == sorted(p.name for p in SCHEMAS)
