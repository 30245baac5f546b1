"""The CLI's time formats: Go's ``time.RFC1123Z`` of an API timestamp (describe).

Durations are read by :func:`minik.gotime.parse_flag_seconds`; human durations
and ages are :mod:`minik.printing.durations`' (re-exported here for the CLI's
modules). Pure: nothing reads the clock.
"""

from __future__ import annotations

from minik import gotime
from minik.k8s import parse_time
from minik.printing.durations import between, human_duration, since

__all__ = ["between", "human_duration", "rfc1123z", "since"]


def rfc1123z(timestamp: str | None) -> str:
    """Go's ``time.RFC1123Z`` (``Mon, 01 Sep 2025 10:00:00 +0000``) of an RFC 3339 time; "" for none."""
    t = parse_time(timestamp)
    return "" if t is None else gotime.rfc1123z(t)
