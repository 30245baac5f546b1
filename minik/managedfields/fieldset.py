"""Field sets: which fields an object sets, in structured-merge-diff's ``fieldsV1`` notation.

A field path is a tuple of elements: ``("f", name)`` for an object's field,
``("k", '{"name":"c"}')`` for the element of a list merged by key,
``("v", '"x"')`` for a value of a list merged as a set. Lists are merged by
the keys of :mod:`minik.mergekeys` (the strategic merge patch's table);
every other list is atomic, one leaf. :func:`members` maps each path an
object sets to its value, :func:`encode`/:func:`decode` convert a set of
paths to and from ``fieldsV1``, :func:`path_string` prints a path as
conflicts name it (``.spec.containers[name="c"].image``). Pure.
"""

from __future__ import annotations

import json
from typing import Any

from minik.mergekeys import merge_key

Element = tuple[str, str]
Path = tuple[Element, ...]
ELEMENT = object()
"""The value recorded for a list element or a set-list itself: present, compared by presence only."""

IGNORED: frozenset[Path] = frozenset(
    {(("f", "apiVersion"),), (("f", "kind"),)}
    | {
        (("f", "metadata"), ("f", k))
        for k in (
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "generation",
            "managedFields",
            "selfLink",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        )
    }
)
"""Fields nobody manages (apimachinery's strip-meta manager)."""


def _key_json(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _names(path: Path) -> tuple[str, ...]:
    return tuple(name for kind, name in path if kind == "f")


def list_key(path: Path, items: list[Any]) -> str | bool | None:
    """The merge key of the list at ``path``; ``None`` for a set of scalars; ``False`` when atomic."""
    names = _names(path)
    if not names:
        return False
    key = merge_key(names[-1], names[:-1])
    if key is None:
        return None if all(not isinstance(v, dict | list) for v in items) else False
    if key is False or not isinstance(key, str):
        return False
    if all(isinstance(v, dict) and key in v for v in items):
        return key
    return False


def element(key: str, item: dict[str, Any]) -> Element:
    return ("k", _key_json({key: item[key]}))


def members(obj: Any, path: Path = ()) -> dict[Path, Any]:
    """Every field path ``obj`` sets → its value (:data:`ELEMENT` for list elements and sets)."""
    out: dict[Path, Any] = {}
    if isinstance(obj, dict):
        if not obj and path:
            out[path] = {}
        for k, v in obj.items():
            out.update(members(v, (*path, ("f", k))))
    elif isinstance(obj, list):
        key = list_key(path, obj)
        if key is None:
            out[path] = ELEMENT
            for v in obj:
                out[(*path, ("v", json.dumps(v, separators=(",", ":"))))] = ELEMENT
        elif isinstance(key, str):
            if not obj:
                out[path] = []
            for item in obj:
                sub = (*path, element(key, item))
                out[sub] = ELEMENT
                out.update(members(item, sub))
        else:
            out[path] = obj
    elif path:
        out[path] = obj
    return out


def field_set(obj: Any, *, with_status: bool = True) -> set[Path]:
    """The paths ``obj`` sets, minus the server-owned ones (and ``status`` unless ``with_status``)."""
    paths = set(members(obj))
    return {p for p in paths if not _ignored(p, with_status)}


def _ignored(p: Path, with_status: bool) -> bool:
    if p in IGNORED or p == (("f", "metadata"),):
        return True
    if p[:2] in IGNORED:
        return True
    return not with_status and p[:1] == (("f", "status"),)


def _token(el: Element) -> str:
    kind, name = el
    return f"{kind}:{name}"


def encode(paths: set[Path]) -> dict[str, Any]:
    """The ``fieldsV1`` tree of ``paths`` (a path that has children too is marked with ``"."``)."""
    root: dict[str, Any] = {}
    for p in sorted(paths, key=len):
        node = root
        for el in p:
            node = node.setdefault(_token(el), {})
    for p in paths:
        node = root
        for el in p:
            node = node[_token(el)]
        if node:
            node["."] = {}
    return _sorted(root)


def _sorted(node: dict[str, Any]) -> dict[str, Any]:
    return {k: _sorted(node[k]) for k in sorted(node)}


def decode(tree: Any, prefix: Path = ()) -> set[Path]:
    """The set of paths a ``fieldsV1`` tree holds (malformed parts are ignored)."""
    out: set[Path] = set()
    if not isinstance(tree, dict):
        return out
    if prefix and (not tree or "." in tree):
        out.add(prefix)
    for token, sub in tree.items():
        kind, _, name = token.partition(":")
        if token == "." or kind not in ("f", "k", "v", "i") or not _:
            continue
        out |= decode(sub, (*prefix, (kind, name)))
    return out


def path_string(p: Path) -> str:
    """``.spec.containers[name="c"].image``, as structured-merge-diff prints a path."""
    out = []
    for kind, name in p:
        if kind == "f":
            out.append(f".{name}")
        elif kind == "k":
            try:
                fields = json.loads(name)
            except ValueError:
                fields = {}
            inner = ",".join(f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in sorted(fields.items()))
            out.append(f"[{inner}]")
        elif kind == "v":
            out.append(f"[={name}]")
        else:
            out.append(f"[{name}]")
    return "".join(out)


def value_at(obj: Any, p: Path) -> tuple[bool, Any]:
    """``(found, value)`` of path ``p`` in ``obj``."""
    cur = obj
    for kind, name in p:
        if kind == "f":
            if not isinstance(cur, dict) or name not in cur:
                return False, None
            cur = cur[name]
        elif kind in ("k", "v"):
            if not isinstance(cur, list):
                return False, None
            found = _find(cur, (kind, name))
            if found is None:
                return False, None
            cur = cur[found]
        else:
            return False, None
    return True, cur


def _find(items: list[Any], el: Element) -> int | None:
    kind, name = el
    for i, item in enumerate(items):
        if kind == "v" and json.dumps(item, separators=(",", ":")) == name:
            return i
        if kind == "k" and isinstance(item, dict):
            try:
                fields = json.loads(name)
            except ValueError:
                return None
            if isinstance(fields, dict) and all(item.get(k) == v for k, v in fields.items()):
                return i
    return None


def remove_at(obj: Any, p: Path) -> bool:
    """Remove path ``p`` from ``obj`` in place; ``True`` when something was removed."""
    if not p:
        return False
    found, parent = value_at(obj, p[:-1])
    if not found:
        return False
    kind, name = p[-1]
    if kind == "f" and isinstance(parent, dict) and name in parent:
        del parent[name]
        return True
    if kind in ("k", "v") and isinstance(parent, list):
        i = _find(parent, (kind, name))
        if i is not None:
            del parent[i]
            return True
    return False
