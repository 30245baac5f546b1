"""Pure helpers of ``apply``: the last-applied annotation and the three-way patches.

kubectl keeps the user's last applied manifest in the
``kubectl.kubernetes.io/last-applied-configuration`` annotation and sends a
patch computed from (last applied, new manifest, live object).
:func:`three_way_strategic_patch` is what ``minik apply`` sends, as kubectl
does: a strategic merge patch in which fields removed from the manifest since
the last apply become ``null``, fields whose value differs from the live
object are set, and a list with a merge key (:mod:`minik.mergekeys`) is
patched element by element — changed elements by key, dropped ones as
``$patch: delete``, the new order as ``$setElementOrder``. Other lists are
compared as a "subset" (the live list carries server defaults) and sent whole
when they differ. :func:`three_way_patch` is the JSON merge patch variant
(lists always whole).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from minik.k8s import Obj
from minik.mergekeys import merge_key
from minik.resources import LAST_APPLIED_KEY

LAST_APPLIED = LAST_APPLIED_KEY


def last_applied(obj: Obj) -> str:
    """The annotation's value for ``obj``: compact, key-sorted JSON + newline, without itself."""
    clean = copy.deepcopy(obj)
    annotations = (clean.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(LAST_APPLIED, None)
        if not annotations:
            clean["metadata"].pop("annotations")
    return json.dumps(clean, sort_keys=True, separators=(",", ":")) + "\n"


def with_last_applied(obj: Obj) -> Obj:
    out = copy.deepcopy(obj)
    out.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = last_applied(obj)
    return out


def covers(live: Any, want: Any) -> bool:
    """Is ``want`` already true of ``live`` (every field of ``want`` equal in ``live``)?"""
    if isinstance(want, dict):
        return isinstance(live, dict) and all(k in live and covers(live[k], v) for k, v in want.items())
    if isinstance(want, list):
        return (
            isinstance(live, list)
            and len(live) == len(want)
            and all(covers(a, b) for a, b in zip(live, want, strict=True))
        )
    return bool(live == want)


def three_way_patch(last: Obj | None, new: Obj, live: Obj) -> Obj:
    """A merge patch turning ``live`` into ``new``, deleting what ``last`` had and ``new`` dropped."""
    patch: Obj = {}
    for key, value in new.items():
        live_v = live.get(key)
        last_v = (last or {}).get(key)
        if isinstance(value, dict) and isinstance(live_v, dict):
            sub = three_way_patch(last_v if isinstance(last_v, dict) else None, value, live_v)
            if sub:
                patch[key] = sub
        elif key not in live or not covers(live_v, value):
            patch[key] = value
    for key in last or {}:
        if key not in new and key in live:
            patch[key] = None
    return patch


def three_way_strategic_patch(last: Obj | None, new: Obj, live: Obj, path: tuple[str, ...] = ()) -> Obj:
    """A strategic merge patch turning ``live`` into ``new`` (see the module docstring)."""
    patch: Obj = {}
    for key, value in new.items():
        live_v = live.get(key)
        last_v = (last or {}).get(key)
        key_name = merge_key(key, path) if isinstance(value, list) else False
        if isinstance(value, dict) and isinstance(live_v, dict):
            sub = three_way_strategic_patch(
                last_v if isinstance(last_v, dict) else None, value, live_v, (*path, key)
            )
            if sub:
                patch[key] = sub
        elif isinstance(key_name, str) and isinstance(live_v, list) and _keyed(value, key_name):
            items = _keyed_list_patch(
                last_v if isinstance(last_v, list) else [], value, live_v, key_name, (*path, key)
            )
            if items:
                patch[key] = items
                patch[f"$setElementOrder/{key}"] = [{key_name: x[key_name]} for x in value]
        elif key not in live or not covers(live_v, value):
            patch[key] = value
    for key in last or {}:
        if key not in new and key in live:
            patch[key] = None
    return patch


def _keyed(items: list[Any], key: str) -> bool:
    return all(isinstance(x, dict) and key in x for x in items)


def _keyed_list_patch(
    last: list[Any], new: list[Any], live: list[Any], key: str, path: tuple[str, ...]
) -> list[Any]:
    live_by = {x.get(key): x for x in live if isinstance(x, dict)}
    last_by = {x.get(key): x for x in last if isinstance(x, dict)}
    out: list[Any] = []
    for item in new:
        current = live_by.get(item[key])
        if current is None:
            out.append(item)
            continue
        sub = three_way_strategic_patch(last_by.get(item[key]), item, current, path)
        if sub:
            out.append({key: item[key], **sub})
    kept = {x[key] for x in new}
    out += [{key: k, "$patch": "delete"} for k in last_by if k not in kept and k in live_by]
    return out
