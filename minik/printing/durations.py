"""Human durations and ages, as apimachinery's ``duration.HumanDuration`` prints them (R10.2).

Pure: every function takes ``now`` (or a timedelta); nothing reads the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from minik.k8s import parse_time


def human_duration(d: timedelta) -> str:
    """``HumanDuration``: ``45s``, ``2m5s``, ``15m``, ``3h20m``, ``10h``, ``2d3h``, ``30d``, ``3y10d``."""
    seconds = int(d.total_seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if dy == 0 else f"{years}y{dy}d"
    return f"{hours // 24 // 365}y"


def since(timestamp: str | None, now: datetime) -> str:
    """``translateTimestampSince``: ``<unknown>`` for a missing time, else the human age."""
    t = parse_time(timestamp)
    if t is None:
        return "<unknown>"
    return human_duration(now - t)


def between(start: str | None, end: str | None) -> str:
    """The human duration from ``start`` to ``end`` (both RFC 3339); empty if either is missing."""
    a, b = parse_time(start), parse_time(end)
    if a is None or b is None:
        return ""
    return human_duration(b - a)
