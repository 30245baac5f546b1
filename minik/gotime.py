"""Go's ``time`` package as minik meets it: ``time.ParseDuration`` (the one reading of
``1h30m``-style durations in minik) and the ``time.RFC1123Z`` layout.

Durations are read for CronJob ``@every`` schedules (:mod:`minik.cron`, as robfig/cron reads
them) and by the CLI's ``--timeout``, ``--since`` and ``--for`` (as kubectl's flags read
them: :func:`parse_flag_seconds`). The result is whole nanoseconds in Go's ``int64`` ``Duration``: a
value past it (``9999999999999999h``, ``1`` and 400 zeros) is Go's
``time: invalid duration``, never a Python ``OverflowError``. Errors carry
Go's sentences, the input quoted as Go's ``strconv.Quote`` would.

Pure: no I/O.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

MAX_NANOS = 2**63 - 1
_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign
    "μs": 1_000,  # U+03BC Greek small letter mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DIGITS = "0123456789"


class DurationError(ValueError):
    """Not a Go duration; the message is Go's."""


def go_quote(text: str) -> str:
    """``strconv.Quote`` for what a duration can hold: printable text as is, the rest escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x10000:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x80 else f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def parse_nanos(text: str) -> int:
    """Nanoseconds of a Go duration string (``300ms``, ``-1.5h``, ``2h45m``, ``0``); :class:`DurationError` if none."""
    invalid = DurationError(f"time: invalid duration {go_quote(text)}")
    s, negative = text, False
    if s[:1] in ("-", "+"):
        negative, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if not s:
        raise invalid
    total = 0
    pos, end = 0, len(s)
    while pos < end:
        if s[pos] != "." and s[pos] not in _DIGITS:
            raise invalid
        start = pos
        while pos < end and s[pos] in _DIGITS:
            pos += 1
        whole_digits = s[start:pos]
        significant = whole_digits.lstrip("0")
        if len(significant) > 19 or int(significant or "0") > MAX_NANOS + 1:
            raise invalid  # Go's leadingInt overflows past 1<<63
        whole = int(significant or "0")
        fraction, scale = 0, 1
        had_fraction = False
        if pos < end and s[pos] == ".":
            pos += 1
            start = pos
            while pos < end and s[pos] in _DIGITS:
                pos += 1
            digits = s[start:pos]
            had_fraction = bool(digits)
            for d in digits:  # Go's leadingFraction: digits past int64 precision are dropped
                if fraction > MAX_NANOS // 10 or fraction * 10 + int(d) > MAX_NANOS + 1:
                    break
                fraction, scale = fraction * 10 + int(d), scale * 10
        if not whole_digits and not had_fraction:
            raise invalid  # "." or ".s"
        start = pos
        while pos < end and s[pos] != "." and s[pos] not in _DIGITS:
            pos += 1
        unit_text = s[start:pos]
        if not unit_text:
            raise DurationError(f"time: missing unit in duration {go_quote(text)}")
        unit = _UNITS.get(unit_text)
        if unit is None:
            raise DurationError(f"time: unknown unit {go_quote(unit_text)} in duration {go_quote(text)}")
        if whole > (MAX_NANOS + 1) // unit:
            raise invalid
        value = whole * unit
        if fraction:
            value += int(float(fraction) * (float(unit) / float(scale)))  # Go does this step in float64
            if value > MAX_NANOS + 1:
                raise invalid
        total += value
        if total > MAX_NANOS + 1:
            raise invalid
    if negative:
        return -total
    if total > MAX_NANOS:
        raise invalid
    return total


def parse_seconds(text: str) -> float:
    """Seconds of a Go duration string (whole nanoseconds, as a float)."""
    return parse_nanos(text) / 1e9


_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_flag_seconds(text: str) -> float:
    """A kubectl duration flag (``30s``, ``1m30s``, ``500ms``, ``0``) → seconds: Go's ``ParseDuration``,
    and a bare number taken as seconds (kubectl accepts that for ``--timeout``).

    Raises :class:`DurationError` (Go's sentence) on anything else.
    """
    s = text.strip()
    if _PLAIN_NUMBER.fullmatch(s):
        seconds = float(s)
        if abs(seconds) * 1e9 > MAX_NANOS:
            raise DurationError(f"time: invalid duration {go_quote(s)}")
        return seconds
    return parse_seconds(s)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc1123z(t: datetime) -> str:
    """Go's ``time.RFC1123Z`` layout, ``Mon, 02 Jan 2006 15:04:05 -0700`` (a naive time is UTC)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    off = t.strftime("%z") or "+0000"
    return f"{_DAYS[t.weekday()]}, {t.day:02d} {_MONTHS[t.month - 1]} {t.year} {t:%H:%M:%S} {off}"
