"""Server-side apply by ``kubectl`` and the client-side apply annotation, as the API server links them.

Owns apimachinery's two last-applied rules, both only for the manager
``kubectl`` (what ``kubectl apply --server-side`` sends):

- :func:`allowed_conflicts` — the fields the live object's
  ``kubectl.kubernetes.io/last-applied-configuration`` sets and the live
  object still holds; conflicts on those alone are no conflicts (the same
  user moving from client-side to server-side apply);
- :func:`keep_in_step` — when the live object has the annotation, a
  successful apply rewrites it to the applied configuration.

Pure.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from minik.k8s import Obj
from minik.managedfields import fieldset
from minik.managedfields.fieldset import ELEMENT, Path
from minik.resources import LAST_APPLIED_KEY

ANNOTATION = LAST_APPLIED_KEY
MANAGER = "kubectl"


def _annotation(obj: Obj | None) -> str:
    value = ((obj or {}).get("metadata") or {}).get("annotations", {}).get(ANNOTATION)
    return value if isinstance(value, str) else ""


def allowed_conflicts(live: Obj | None, manager: str) -> set[Path]:
    """The fields whose conflicts ``manager`` may take over without ``force``."""
    raw = _annotation(live)
    if manager != MANAGER or not raw or live is None:
        return set()
    try:
        last: Any = json.loads(raw)
    except ValueError:
        return set()
    if not isinstance(last, dict) or last.get("apiVersion") != live.get("apiVersion"):
        return set()
    live_m = fieldset.members(live)
    out = set()
    for p, value in fieldset.members(last).items():
        if p in live_m and (value is ELEMENT or live_m[p] is ELEMENT or live_m[p] == value):
            out.add(p)
    return out


def keep_in_step(merged: Obj, config: Obj, live: Obj | None, manager: str) -> Obj:
    """``merged`` with the annotation set to ``config`` when ``kubectl`` applies over an annotated object."""
    if manager != MANAGER or not _annotation(live):
        return merged
    applied = copy.deepcopy(config)
    annotations = (applied.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(ANNOTATION, None)
    out = copy.deepcopy(merged)
    out.setdefault("metadata", {}).setdefault("annotations", {})[ANNOTATION] = json.dumps(
        applied, separators=(",", ":"), sort_keys=True
    )
    return out
