"""Server-side printing: ``meta.k8s.io/v1`` Table responses for ``kubectl get``.

kubectl asks for ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io`` and
prints the columns the server defines. The columns and cells are
:mod:`minik.printing`'s (the minik CLI prints the same ones); this module only
negotiates the media type and wraps rows, honouring ``includeObject``
(``None``, ``Metadata`` — the default — or ``Object``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request

from minik.apierrors import bad_request
from minik.k8s import Obj, meta
from minik.printing import cells, columns_for
from minik.resources import Resource

TABLE_GROUPS = ("meta.k8s.io",)
TABLE_VERSIONS = ("v1", "v1beta1")


def _params(part: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in part.split(";")[1:]:
        key, _, value = item.partition("=")
        out[key.strip().lower()] = value.strip()
    return out


def table_version(request: Request) -> str | None:
    """``v1``/``v1beta1`` when the Accept header asks for a Table (the first acceptable one), else None."""
    for part in request.headers.get("accept", "").split(","):
        media = part.split(";")[0].strip().lower()
        params = _params(part)
        if params.get("as") == "Table":
            if (
                media in ("application/json", "*/*")
                and params.get("g") in TABLE_GROUPS
                and params.get("v") in TABLE_VERSIONS
            ):
                return params["v"]
            continue
        if media in ("application/json", "application/*", "*/*", "application/yaml"):
            return None
    return None


def include_object(request: Request) -> str:
    mode = request.query_params.get("includeObject") or "Metadata"
    if mode not in ("None", "Metadata", "Object"):
        raise bad_request(
            f'includeObject: Unsupported value: "{mode}": supported values: "Metadata", "None", "Object"'
        )
    return mode


def _embedded(r: Resource, obj: Obj, mode: str, version: str) -> dict[str, Any] | None:
    if mode == "None":
        return None
    if mode == "Object":
        return {"apiVersion": r.api_version, "kind": r.kind, **obj}
    return {"kind": "PartialObjectMetadata", "apiVersion": f"meta.k8s.io/{version}", "metadata": meta(obj)}


def table(
    r: Resource,
    items: list[Obj],
    now: datetime,
    *,
    list_meta: dict[str, Any] | None = None,
    mode: str = "Metadata",
    version: str = "v1",
    with_columns: bool = True,
) -> Obj:
    """The Table of ``items``: every column (kubectl hides priority>0 ones unless ``-o wide``)."""
    rows = []
    for obj in items:
        row: dict[str, Any] = {"cells": cells(r.plural, obj, now)}
        embedded = _embedded(r, obj, mode, version)
        if embedded is not None:
            row["object"] = embedded
        rows.append(row)
    defs = [c.definition() for c in columns_for(r.plural)] if with_columns else []
    return {
        "kind": "Table",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": list_meta or {},
        "columnDefinitions": defs,
        "rows": rows,
    }
