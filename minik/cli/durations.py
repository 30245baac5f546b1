"""The CLI's time formats: Go's ``time.RFC1123Z`` (describe) and ``time.ParseDuration`` (``--timeout``).

The human durations and ages are :mod:`minik.printing.durations`' (re-exported
here for the CLI's modules). Pure: nothing reads the clock.
"""

from __future__ import annotations

from minik.k8s import parse_time
from minik.printing.durations import between, human_duration, since

__all__ = ["between", "human_duration", "parse_go_duration", "rfc1123z", "since"]


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
