"""Pure helpers of ``apply``: the last-applied annotation and the three-way merge patch.

kubectl keeps the user's last applied manifest in the
``kubectl.kubernetes.io/last-applied-configuration`` annotation and sends a
patch computed from (last applied, new manifest, live object). minik does the
same with a JSON merge patch (RFC 7386): fields removed from the manifest since
the last apply become ``null``; fields whose value differs from the live object
are set. A list is compared element-wise as a "subset" (the live list carries
server defaults) and replaced whole when it differs.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from minik.k8s import Obj

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


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
