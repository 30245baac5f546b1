"""``metadata.managedFields``: who owns which field, for every write, and server-side apply.

Owns the field manager's rules, as apimachinery's ``managedfields`` package
and structured-merge-diff apply them to minik's objects:

- an **Update** (create, PUT, non-apply PATCH) gives its manager the fields it
  changed and takes them from every other manager;
- an **Apply** merges the applied configuration into the live object (lists
  by the keys of :mod:`minik.mergekeys`, other lists whole), makes the
  applied fields the manager's Apply set, removes fields the manager applied
  before and no longer applies when nobody else owns them, and reports a
  **conflict** for each applied field another manager owns whose value would
  change — unless ``force``, which takes those fields;
- fields that leave the object leave every manager; empty entries go.

Pure: objects in, objects (or :class:`ApplyConflict`) out. The HTTP side is
:mod:`minik.api.rest`; paths and ``fieldsV1`` are :mod:`minik.managedfields.fieldset`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from minik.apierrors import error
from minik.errors import ApiError
from minik.k8s import Obj
from minik.managedfields import fieldset
from minik.managedfields.fieldset import ELEMENT, Path


@dataclass
class Entry:
    manager: str
    operation: str
    api_version: str
    time: str | None
    subresource: str
    fields: set[Path] = field(default_factory=set)

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.manager, self.operation, self.subresource)

    def printed(self) -> str:
        """How a conflict names this manager (apimachinery's ``printManager``)."""
        out = json.dumps(self.manager)
        if self.subresource:
            out += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == "Update":
            out += f" using {self.api_version}"
        return out

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
        }
        if self.time:
            out["time"] = self.time
        out["fieldsType"] = "FieldsV1"
        out["fieldsV1"] = fieldset.encode(self.fields)
        if self.subresource:
            out["subresource"] = self.subresource
        return out


@dataclass(frozen=True)
class Conflict:
    manager: str
    path: str


class ApplyConflict(Exception):
    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__(conflict_message(conflicts))
        self.conflicts = conflicts


def conflict_message(conflicts: list[Conflict]) -> str:
    if len(conflicts) == 1:
        c = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {c.manager}: {c.path}"
    lines: list[str] = []
    for mgr in sorted({c.manager for c in conflicts}):
        lines.append(f"conflicts with {mgr}:")
        lines += [f"- {c.path}" for c in conflicts if c.manager == mgr]
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


def conflict_error(exc: ApplyConflict) -> ApiError:
    """409 Conflict with one ``FieldManagerConflict`` cause per field, as the API server answers."""
    causes = [
        {"reason": "FieldManagerConflict", "message": f"conflict with {c.manager}", "field": c.path}
        for c in exc.conflicts
    ]
    return error(409, "Conflict", str(exc), {"causes": causes})


def entries(obj: Obj) -> list[Entry]:
    """The object's managedFields as entries (malformed ones are dropped)."""
    out = []
    for raw in (obj.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(raw, dict) or raw.get("operation") not in ("Apply", "Update"):
            continue
        out.append(
            Entry(
                manager=str(raw.get("manager") or ""),
                operation=str(raw["operation"]),
                api_version=str(raw.get("apiVersion") or ""),
                time=raw.get("time") if isinstance(raw.get("time"), str) else None,
                subresource=str(raw.get("subresource") or ""),
                fields=fieldset.decode(raw.get("fieldsV1")),
            )
        )
    return out


def _strip(obj: Obj) -> Obj:
    out = copy.deepcopy(obj)
    (out.get("metadata") or {}).pop("managedFields", None)
    return out


def _finish(found: list[Entry], obj: Obj) -> list[dict[str, Any]]:
    present = set(fieldset.members(obj))
    out = []
    for e in found:
        e.fields &= present
        if e.fields:
            out.append(e.to_json())
    return out


def _differs(a: Any, b: Any) -> bool:
    if a is ELEMENT or b is ELEMENT:
        return False
    return bool(a != b)


def after_update(
    old: Obj | None, new: Obj, *, manager: str, api_version: str, now: str, subresource: str = ""
) -> list[dict[str, Any]]:
    """The managedFields of ``new`` after an Update by ``manager`` (``old`` is ``None`` on create)."""
    old_m = fieldset.members(_strip(old)) if old is not None else {}
    new_m = fieldset.members(_strip(new))
    mine = fieldset.field_set(_strip(new), with_status=True)
    in_status = subresource == "status"
    mine = {p for p in mine if (p[:1] == (("f", "status"),)) == in_status}
    changed = {p for p in mine if p not in old_m or _differs(old_m[p], new_m[p])}
    # Managed fields the request sets replace the live ones (how a client resets or upgrades them).
    given = (new.get("metadata") or {}).get("managedFields")
    found = entries(new) if given else (entries(old) if old is not None else [])
    if not changed:
        return _finish(found, new)
    own: Entry | None = None
    for e in found:
        if e.ident == (manager, "Update", subresource):
            own = e
        else:
            e.fields -= changed
    if own is None:
        own = Entry(manager, "Update", api_version, now, subresource)
        found.append(own)
    own.fields |= changed
    own.time, own.api_version = now, api_version
    return _finish(found, new)


def stamp(old: Obj | None, new: Obj, *, manager: str, api_version: str, now: str,
          subresource: str = "", fields: list[dict[str, Any]] | None = None) -> None:  # fmt: skip
    """Set ``new``'s managedFields: ``fields`` (an apply's) or those of an Update by ``manager``."""
    if fields is None:
        fields = after_update(
            old, new, manager=manager, api_version=api_version, now=now, subresource=subresource
        )
    new.setdefault("metadata", {})["managedFields"] = fields


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def merge(live: Any, config: Any, path: Path = ()) -> Any:
    """``config`` merged into ``live``: objects field by field, keyed lists by key, others replaced."""
    if isinstance(config, dict):
        out = copy.deepcopy(live) if isinstance(live, dict) else {}
        for k, v in config.items():
            out[k] = merge(out.get(k), v, (*path, ("f", k)))
        return out
    if isinstance(config, list) and isinstance(live, list):
        key = fieldset.list_key(path, config)
        if key is None:
            return copy.deepcopy(live) + [copy.deepcopy(v) for v in config if v not in live]
        if isinstance(key, str) and fieldset.list_key(path, live) == key:
            items = copy.deepcopy(live)
            for item in config:
                at = next((i for i, x in enumerate(items) if x.get(key) == item[key]), None)
                sub = (*path, fieldset.element(key, item))
                if at is None:
                    items.append(copy.deepcopy(item))
                else:
                    items[at] = merge(items[at], item, sub)
            return items
    return copy.deepcopy(config)


def apply(
    live: Obj | None,
    config: Obj,
    *,
    manager: str,
    force: bool,
    api_version: str,
    now: str,
    with_status: bool,
    allowed: frozenset[Path] | set[Path] = frozenset(),
) -> tuple[Obj, list[dict[str, Any]]]:
    """The object after ``manager`` applies ``config`` to ``live`` (``None``: create) and its managedFields.

    Raises :class:`ApplyConflict` when another manager owns an applied field
    whose value would change and ``force`` is false — unless every such
    field is in ``allowed`` (:mod:`minik.api.lastapplied`), when they are taken.
    """
    config = _drop_nulls(_strip(config))
    base = _strip(live) if live is not None else {}
    applied = fieldset.field_set(config, with_status=with_status)
    if not with_status:
        config.pop("status", None)
    merged: Obj = merge(base, config)
    found = entries(live) if live is not None else []
    ident = (manager, "Apply", "")
    previous = next((e.fields for e in found if e.ident == ident), set())
    live_m, merged_m = fieldset.members(base), fieldset.members(merged)
    conflicts: list[Conflict] = []
    taken: dict[tuple[str, str, str], set[Path]] = {}
    for e in found:
        if e.ident == ident:
            continue
        for p in sorted(applied & e.fields, key=fieldset.path_string):
            if p in live_m and (p not in merged_m or _differs(live_m[p], merged_m[p])):
                conflicts.append(Conflict(e.printed(), fieldset.path_string(p)))
                taken.setdefault(e.ident, set()).add(p)
    if conflicts and not force:
        paths = {p for owned in taken.values() for p in owned}
        if not paths <= allowed:
            raise ApplyConflict(
                [c for c in conflicts if c.path not in {fieldset.path_string(p) for p in allowed}]
            )
    for e in found:
        e.fields -= taken.get(e.ident, set())
    others = set().union(*(e.fields for e in found if e.ident != ident))
    # A path still under an owned one stays: ``data: {}`` applied before ``data: {k: v}``
    # leaves ``.data`` in the previous set, and the new ``.data.k`` keeps it.
    kept = others | applied
    for p in sorted(previous - applied, key=len):  # an element before its fields
        if not any(o[: len(p)] == p for o in kept):
            fieldset.remove_at(merged, p)
            _prune_empty(merged, p[:-1], others | applied)
    own = next((e for e in found if e.ident == ident), None)
    if own is None:
        own = Entry(manager, "Apply", api_version, now, "")
        found.append(own)
    own.fields, own.time, own.api_version = set(applied), now, api_version
    return merged, _finish(found, merged)


def _prune_empty(obj: Obj, p: Path, owned: set[Path]) -> None:
    """Remove the objects left empty along ``p`` by a removal, unless someone owns them."""
    while p:
        found, value = fieldset.value_at(obj, p)
        if not found or value not in ({}, []) or p in owned:
            return
        fieldset.remove_at(obj, p)
        p = p[:-1]
