"""Small pure helpers over Kubernetes object shapes, shared by every layer.

Objects are plain JSON-shaped ``dict``s exactly as the API serves them; this
module owns timestamps, label selectors and index-range formatting. It does no
I/O.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

Obj = dict[str, Any]
"""A Kubernetes object as JSON (``apiVersion``, ``kind``, ``metadata``, …)."""


def rfc3339(t: datetime) -> str:
    """``2026-11-22T09:30:00Z`` (seconds precision, UTC), as the API serves times."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s: str | None) -> datetime | None:
    """Parse an RFC 3339 timestamp (any precision); ``None``/empty → ``None``."""
    if not s:
        return None
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    if "." in s:  # Docker gives nanoseconds; Python takes at most microseconds
        head, _, rest = s.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        frac, tz = rest[:digits], rest[digits:]
        s = f"{head}.{frac[:6]}{tz}"
    t = datetime.fromisoformat(s)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def format_indexes(indexes: Iterable[int]) -> str:
    """``{0,1,2,4}`` → ``"0-2,4"``; two consecutive indexes stay ``"1,2"`` (R8.8)."""
    out: list[str] = []
    items = sorted(set(indexes))
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        if j - i >= 2:
            out.append(f"{items[i]}-{items[j]}")
        else:
            out.extend(str(x) for x in items[i : j + 1])
        i = j + 1
    return ",".join(out)


def parse_indexes(s: str | None, *, limit: int | None = None) -> set[int]:
    """Inverse of :func:`format_indexes` (``"0-2,4"`` → ``{0,1,2,4}``)."""
    out: set[int] = set()
    if not s:
        return out
    for part in s.split(","):
        lo, _, hi = part.partition("-")
        a = int(lo)
        b = int(hi) if hi else a
        if limit is not None:
            b = min(b, limit - 1)
        out.update(range(a, b + 1))
    return out


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """Does a ``LabelSelector`` (matchLabels + matchExpressions) select ``labels``?

    An empty selector selects everything; ``None`` selects nothing (as in
    ``metav1.LabelSelectorAsSelector``).
    """
    if selector is None:
        return False
    labels = labels or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


_SCALARS = (str, int, float, bool, type(None))
_T = TypeVar("_T")


def clone(value: _T) -> _T:
    """A deep copy of a JSON-shaped value (dicts, lists, scalars).

    The store and the registry copy an object on every write; this is about
    four times faster than :func:`copy.deepcopy` on a pod (no memo, no
    dispatch), which falls back only for other types.
    """
    t = type(value)
    if t is dict:
        return {k: clone(v) for k, v in value.items()}  # type: ignore[attr-defined,return-value]
    if t is list:
        return [clone(v) for v in value]  # type: ignore[attr-defined,return-value]
    if t in _SCALARS:
        return value
    return copy.deepcopy(value)


def decode_bytes(value: str) -> bytes:
    """A ``[]byte`` field's base64 as the API server reads it: ``ValueError`` when it is not.

    Go's ``encoding/json`` decodes ``[]byte`` with ``base64.StdEncoding``,
    which skips ``\\r`` and ``\\n`` (a Secret's value folded over lines) and
    nothing else: padding is required, spaces are an error.
    """
    try:
        return base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def meta(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``obj["metadata"]`` (an empty dict when absent)."""
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


NODE_NAME = "minik"
"""The one node every pod of an instance runs on (the Node object, ``spec.nodeName``)."""

QOS_RESOURCES = ("cpu", "memory")


def qos_class(pod: Mapping[str, Any]) -> str:
    """The pod's QoS class, as the kubelet's ``GetPodQOS`` computes it.

    Only cpu and memory count. BestEffort: no container (init or app)
    requests or limits either. Guaranteed: every container limits both, and
    its requests (defaulted from its limits) equal them. Otherwise Burstable.
    """
    spec = pod.get("spec") or {}
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    any_set, guaranteed = False, True
    for c in containers:
        res = c.get("resources") or {}
        requests, limits = res.get("requests") or {}, res.get("limits") or {}
        for key in QOS_RESOURCES:
            if key in requests or key in limits:
                any_set = True
            if key not in limits or str(requests.get(key, limits[key])) != str(limits[key]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def controller_of(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """A copy of the object's controller reference (the ownerReference with ``controller: true``), or ``None``."""
    for ref in meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None
