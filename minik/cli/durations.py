"""Human durations and ages, as apimachinery's ``duration.HumanDuration`` prints them (R10.2).

Pure: every function takes ``now`` (or a timedelta); nothing reads the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from minik.k8s import parse_time


def human_duration(d: timedelta) -> str:
    """``HumanDuration``: ``45s``, ``2m5s``, ``15m``, ``3h20m``, ``10h``, ``2d3h``, ``30d``, ``3y10d``."""
    total = d.total_seconds()
    seconds = int(total)
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


def rfc1123z(timestamp: str | None) -> str:
    """Go's ``time.RFC1123Z`` (``Mon, 01 Sep 2025 10:00:00 +0000``) of an RFC 3339 time."""
    t = parse_time(timestamp)
    if t is None:
        return ""
    off = t.strftime("%z") or "+0000"
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{days[t.weekday()]}, {t.day:02d} {months[t.month - 1]} {t.year} {t:%H:%M:%S} {off}"


def parse_go_duration(text: str) -> float:
    """Parse ``30s``, ``1m30s``, ``2h``, ``500ms``, ``0`` (Go ``time.ParseDuration``) → seconds.

    A bare number is taken as seconds (kubectl accepts that for ``--timeout``).
    Raises ``ValueError`` on anything else.
    """
    import re

    s = text.strip()
    if not s:
        raise ValueError(text)
    sign = -1.0 if s.startswith("-") else 1.0
    s = s.lstrip("+-")
    try:
        return sign * float(s)
    except ValueError:
        pass
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    pos, total = 0, 0.0
    for m in re.finditer(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", s):
        if m.start() != pos:
            raise ValueError(text)
        total += float(m.group(1)) * units[m.group(2)]
        pos = m.end()
    if pos != len(s):
        raise ValueError(text)
    return sign * total
