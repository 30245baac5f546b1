"""PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch, JSON patch (RFC 6902).

Pure functions over JSON values. Strategic merge is implemented for the
lists minik's objects have that Kubernetes merges by key (:mod:`minik.mergekeys`) (containers,
initContainers, volumes, env, envFrom-free lists of ports/volumeMounts, …)
plus the ``$patch: delete|replace`` directives and
``$setElementOrder``/``$deleteFromPrimitiveList`` keys kubectl sends (the
order directives are accepted and ignored). Every other list is replaced, as
apimachinery does for lists without a patch strategy. Errors raise
:class:`PatchError` with a sentence for a 400/422.
"""

from __future__ import annotations

import copy
from typing import Any

from minik.api.limits import MAX_COPY_BYTES, MAX_JSON_PATCH_OPS, TooLarge, json_size
from minik.mergekeys import MERGE_KEYS, merge_key

__all__ = ["MERGE_KEYS", "PatchError", "PatchTooLarge", "json_patch", "merge_patch", "strategic_merge_patch"]


class PatchError(Exception):
    """The patch cannot be applied (bad shape, failed ``test`` op, missing path)."""


class PatchTooLarge(PatchError):
    """The patch asks for too much work: too many operations, or too much copying (a 413)."""


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target: Any, patch: Any, *, path: tuple[str, ...] = ()) -> Any:
    """Kubernetes' strategic merge patch for the keyed lists of :mod:`minik.mergekeys`."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            drop = value if isinstance(value, list) else []
            if isinstance(result.get(name), list):
                result[name] = [x for x in result[name] if x not in drop]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value, key, path)
        elif isinstance(value, dict):
            merged = strategic_merge_patch(result.get(key), value, path=(*path, key))
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        else:
            result[key] = copy.deepcopy(value)
    return result


def _merge_list(target: Any, patch: list[Any], field: str, path: tuple[str, ...]) -> list[Any]:
    key = merge_key(field, path)
    if key is False or not isinstance(target, list):
        return [
            {k: v for k, v in x.items() if k != "$patch"} if isinstance(x, dict) else copy.deepcopy(x)
            for x in patch
            if not (isinstance(x, dict) and x.get("$patch") == "delete")
        ]
    if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
        return [copy.deepcopy(x) for x in patch if not (isinstance(x, dict) and "$patch" in x)]
    result = copy.deepcopy(target)
    if key is None:  # primitive list merged as a set
        for item in patch:
            if item not in result:
                result.append(copy.deepcopy(item))
        return result
    assert isinstance(key, str)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise PatchError(f"map in {field} has no merge key {key!r}")
        index = next(
            (i for i, x in enumerate(result) if isinstance(x, dict) and x.get(key) == item[key]),
            None,
        )
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
            continue
        if index is None:
            result.append(strategic_merge_patch({}, item, path=(*path, field)))
        else:
            result[index] = strategic_merge_patch(result[index], item, path=(*path, field))
    return result


# -- RFC 6902 -------------------------------------------------------------------------


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], path: str) -> tuple[Any, str]:
    cur = doc
    for part in parts[:-1]:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            raise PatchError(f"path {path!r} does not exist")
    if not parts:
        raise PatchError("the whole document cannot be patched")
    return cur, parts[-1]


def _get(doc: Any, path: str) -> Any:
    cur = doc
    for part in _pointer(path):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            raise PatchError(f"path {path!r} does not exist")
    return cur


def _remove(doc: Any, path: str) -> Any:
    parent, last = _parent(doc, _pointer(path), path)
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise PatchError(f"path {path!r} does not exist")


def _add(doc: Any, path: str, value: Any, *, replace: bool = False) -> None:
    parent, last = _parent(doc, _pointer(path), path)
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchError(f"path {path!r} does not exist")
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise PatchError(f"path {path!r} does not exist")
    else:
        raise PatchError(f"path {path!r} does not exist")


def json_patch(
    doc: Any, ops: Any, *, max_ops: int = MAX_JSON_PATCH_OPS, copy_limit: int = MAX_COPY_BYTES
) -> Any:
    """Apply an RFC 6902 operation list to a copy of ``doc``.

    At most ``max_ops`` operations, and the ``copy`` operations together
    copy at most ``copy_limit`` bytes of JSON, counted before each copy is
    made: a patch whose copies double the object is refused at the copy
    that crosses the limit, not after building it.
    """
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be a list of operations")
    if len(ops) > max_ops:
        raise PatchTooLarge(f"The allowed maximum operations in a JSON patch is {max_ops}, got {len(ops)}")
    doc = copy.deepcopy(doc)
    copied = 0
    for op in ops:
        if not isinstance(op, dict) or not isinstance(op.get("path"), str):
            raise PatchError(f"invalid JSON patch operation {op!r}")
        kind, path = op.get("op"), op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"operation {kind!r} on {path!r} needs a value")
        if kind == "add":
            _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            _add(doc, path, copy.deepcopy(op["value"]), replace=True)
        elif kind in ("move", "copy"):
            source = op.get("from")
            if not isinstance(source, str):
                raise PatchError(f"operation {kind!r} on {path!r} needs 'from'")
            if kind == "copy":
                value = _get(doc, source)
                try:
                    copied += json_size(value, limit=copy_limit - copied)
                except TooLarge:
                    raise PatchTooLarge(
                        f"the copy operations of this patch copy more than the limit of {copy_limit} bytes"
                    ) from None
                value = copy.deepcopy(value)
            else:
                value = _remove(doc, source)
            _add(doc, path, value)
        elif kind == "test":
            if not json_equal(_get(doc, path), op["value"]):
                raise PatchError(f"testing value {path!r} failed")
        else:
            raise PatchError(f"unknown JSON patch operation {kind!r}")
    return doc


def json_equal(a: Any, b: Any) -> bool:
    """JSON values equal as json-patch's ``test`` compares them: same JSON type and value, never
    Python's ``==`` (where ``true == 1`` and ``1 == 1.0``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
