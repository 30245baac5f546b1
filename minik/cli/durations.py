"""The CLI's time formats: Go's ``time.RFC1123Z`` (describe) and ``time.ParseDuration`` (``--timeout``).

The human durations and ages are :mod:`minik.printing.durations`' (re-exported
here for the CLI's modules). Pure: nothing reads the clock.
"""

from __future__ import annotations

import re

from minik.goduration import MAX_NANOS, DurationError, go_quote, parse_seconds
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
    """Parse ``30s``, ``1m30s``, ``2h``, ``500ms``, ``0`` (Go ``time.ParseDuration``, :mod:`minik.goduration`) → seconds.

    A bare number is taken as seconds (kubectl accepts that for ``--timeout``).
    Raises ``ValueError`` (Go's sentence) on anything else.
    """
    s = text.strip()
    if _PLAIN_NUMBER.fullmatch(s):
        seconds = float(s)
        if abs(seconds) * 1e9 > MAX_NANOS:
            raise DurationError(f"time: invalid duration {go_quote(s)}")
        return seconds
    return parse_seconds(s)


_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
