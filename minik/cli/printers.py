"""``get`` output as pure functions: kubectl's table columns (R10), names, JSON, YAML.

Every function takes the objects and ``now`` and returns text; nothing here
does I/O or reads the clock. The columns and cells themselves are
:mod:`minik.printing`'s, the same the API serves to kubectl as Tables.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from minik.cli.tabwriter import table
from minik.k8s import Obj, meta
from minik.printing.columns import (
    cells,
    columns_for,
    format_label_selector,
    job_completions,
    job_duration,
    job_status,
    pod_columns,
)
from minik.resources import Resource

__all__ = [
    "as_list",
    "format_label_selector",
    "header",
    "job_completions",
    "job_duration",
    "job_status",
    "name_line",
    "pod_columns",
    "render_table",
    "row",
    "to_json",
    "to_yaml",
    "with_kind",
]


def header(resource: Resource, *, wide: bool = False, namespace_column: bool = False) -> list[str]:
    cols = [c.name.upper() for c in columns_for(resource.plural, wide=wide)]
    return (["NAMESPACE"] if namespace_column else []) + cols


def row(
    resource: Resource,
    obj: Obj,
    now: datetime,
    *,
    wide: bool = False,
    namespace_column: bool = False,
    kind_prefix: bool = False,
) -> list[str]:
    row_cells = cells(resource.plural, obj, now, wide=wide)
    if kind_prefix and resource.plural != "events":
        row_cells[0] = f"{resource.display}/{row_cells[0]}"
    if namespace_column:
        row_cells.insert(0, meta(obj).get("namespace", ""))
    return row_cells


def sort_for_display(resource: Resource, items: Sequence[Obj]) -> list[Obj]:
    if resource.plural == "events":

        def key(e: Obj) -> str:
            return str(e.get("lastTimestamp") or e.get("firstTimestamp") or e.get("eventTime") or "")

        return sorted(items, key=key)
    return list(items)


def render_table(
    resource: Resource,
    items: Sequence[Obj],
    now: datetime,
    *,
    wide: bool = False,
    namespace_column: bool = False,
    kind_prefix: bool = False,
    no_headers: bool = False,
) -> str:
    rows = [] if no_headers else [header(resource, wide=wide, namespace_column=namespace_column)]
    for obj in sort_for_display(resource, items):
        rows.append(
            row(resource, obj, now, wide=wide, namespace_column=namespace_column, kind_prefix=kind_prefix)
        )
    return table(rows)


def name_line(resource: Resource, obj: Obj) -> str:
    return f"{resource.display}/{meta(obj).get('name', '')}"


def as_list(items: Sequence[Obj]) -> Obj:
    """What kubectl prints for several objects with ``-o json|yaml``."""
    return {"apiVersion": "v1", "items": list(items), "kind": "List", "metadata": {"resourceVersion": ""}}


def omit_managed_fields(data: Any) -> Any:
    """``data`` without ``metadata.managedFields`` (kubectl's default, ``--show-managed-fields=false``)."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return {**data, "items": [omit_managed_fields(i) for i in data["items"]]}
    if (
        isinstance(data, dict)
        and isinstance(data.get("metadata"), dict)
        and "managedFields" in data["metadata"]
    ):
        return {**data, "metadata": {k: v for k, v in data["metadata"].items() if k != "managedFields"}}
    return data


def to_json(obj: Any) -> str:
    return json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False) + "\n"


def to_yaml(obj: Any) -> str:
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
        style = "|" if "\n" in data else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    _Dumper.add_representer(str, _str)
    return yaml.dump(obj, Dumper=_Dumper, default_flow_style=False, sort_keys=True, allow_unicode=True)


def with_kind(resource: Resource, obj: Obj) -> Obj:
    """List items come without ``apiVersion``/``kind``; kubectl fills them in for output."""
    out = dict(obj)
    out.setdefault("apiVersion", resource.api_version)
    out.setdefault("kind", resource.kind)
    return out
