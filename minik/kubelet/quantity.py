"""Resource quantities (``500m``, ``64Mi``) as Docker wants them."""

from __future__ import annotations

_SUFFIX = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
}


def size_bytes(q: str) -> int:
    for s, mult in _SUFFIX.items():
        if q.endswith(s):
            return int(float(q[: -len(s)]) * mult)
    return int(float(q))


def cores(q: str) -> float:
    return float(q[:-1]) / 1000 if q.endswith("m") else float(q)
