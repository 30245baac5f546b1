"""Cron schedules as the CronJob controller reads them (robfig/cron v3 ``ParseStandard``).

Owns parsing a ``spec.schedule`` (five fields, names, ranges, steps, ``?``,
the ``@hourly``-style descriptors and ``@every <Go duration>``, an optional
leading ``TZ=``/``CRON_TZ=``) with robfig's error wording, and
:meth:`Schedule.next`, the first activation strictly after a time, walked in
the schedule's zone exactly as robfig does it: month, day, hour, minute, with
Go's wall-clock normalisation, so a time inside a spring-forward gap is
skipped and a time in a fall-back hour runs in both occurrences. Pure; the
zone database is the system's (:mod:`zoneinfo`). Not croniter: its DST and
day-of-month/day-of-week rules and its messages differ from robfig's, which
the API server and the controller use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from minik.gotime import DurationError, parse_seconds

STAR = 1 << 63
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES)}
DAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
DESCRIPTORS = {
    "@yearly": ("0", "0", "1", "1", "*"),
    "@annually": ("0", "0", "1", "1", "*"),
    "@monthly": ("0", "0", "1", "*", "*"),
    "@weekly": ("0", "0", "*", "*", "0"),
    "@daily": ("0", "0", "*", "*", "*"),
    "@midnight": ("0", "0", "*", "*", "*"),
    "@hourly": ("0", "*", "*", "*", "*"),
}
_BOUNDS = ((0, 59, None), (0, 23, None), (1, 31, None), (1, 12, MONTHS), (0, 6, DAYS))


class CronError(ValueError):
    """A schedule robfig/cron would not parse; ``str()`` is robfig's message."""


def load_zone(name: str) -> tzinfo:
    """Go's ``time.LoadLocation``: ``""``/``UTC`` → UTC, else the zone database; ``CronError`` if unknown."""
    if name in ("", "UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CronError(f"unknown time zone {name}") from None


def _go_fields(fields: list[str]) -> str:
    return "[" + " ".join(fields) + "]"


def _int(expr: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", expr):
        raise CronError(f'failed to parse int from {expr}: strconv.Atoi: parsing "{expr}": invalid syntax')
    num = int(expr)
    if num < 0:
        raise CronError(f"negative number ({num}) not allowed: {expr}")
    return num


def _int_or_name(expr: str, names: dict[str, int] | None) -> int:
    if names is not None and expr.lower() in names:
        return names[expr.lower()]
    return _int(expr)


def _range(expr: str, lo: int, hi: int, names: dict[str, int] | None) -> int:
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    extra = 0
    if low_high[0] in ("*", "?"):
        start, end, extra = lo, hi, STAR
    else:
        start = _int_or_name(low_high[0], names)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _int_or_name(low_high[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _int(range_and_step[1])
        if len(low_high) == 1:  # "N/step" means "N-max/step"
            end = hi
        if step > 1:
            extra = 0
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < lo:
        raise CronError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise CronError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    bits = 0
    for i in range(start, end + 1, step):
        bits |= 1 << i
    return bits | extra


def _field(text: str, index: int) -> int:
    lo, hi, names = _BOUNDS[index]
    bits = 0
    for part in text.split(","):
        bits |= _range(part, lo, hi, names)
    return bits


def _go_duration(text: str) -> float:
    """Seconds of an ``@every`` duration, read by Go's ``time.ParseDuration`` (:mod:`minik.gotime`)."""
    try:
        return parse_seconds(text)
    except DurationError as exc:
        raise CronError(f"failed to parse duration @every {text}: {exc}") from None


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: bit sets per field, or a constant delay (``@every``)."""

    minute: int = 0
    hour: int = 0
    dom: int = 0
    month: int = 0
    dow: int = 0
    zone: tzinfo = UTC
    every: float | None = None

    def next(self, t: datetime) -> datetime | None:
        """The first activation strictly after ``t`` (UTC), or ``None`` if none within five years."""
        if self.every is not None:
            return t.replace(microsecond=0) + timedelta(seconds=self.every)
        return _next(self, t)


def parse(spec: str, *, zone: tzinfo = UTC) -> Schedule:
    """robfig/cron v3 ``ParseStandard``; ``zone`` stands for ``time.Local`` (no ``TZ=`` prefix)."""
    if not spec:
        raise CronError("empty spec string")
    if spec.startswith(("TZ=", "CRON_TZ=")):
        i = spec.find(" ")
        if i == -1:
            raise CronError(f"invalid location descriptior: {spec}")
        name = spec[spec.index("=") + 1 : i]
        try:
            zone = load_zone(name)
        except CronError as exc:
            raise CronError(f"provided bad location {name}: {exc}") from None
        spec = spec[i:].strip()
    if spec.startswith("@"):
        if spec in DESCRIPTORS:
            return _create(DESCRIPTORS[spec], zone)
        if spec.startswith("@every "):
            seconds = _go_duration(spec[len("@every ") :])
            seconds = max(seconds, 1.0)
            return Schedule(every=float(int(seconds)), zone=zone)
        raise CronError(f"unrecognized descriptor: {spec}")
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: {_go_fields(fields)}")
    return _create(tuple(fields), zone)


def _create(fields: tuple[str, ...], zone: tzinfo) -> Schedule:
    minute, hour = _field(fields[0], 0), _field(fields[1], 1)
    dom, month, dow = _field(fields[2], 2), _field(fields[3], 3), _field(fields[4], 4)
    return Schedule(minute=minute, hour=hour, dom=dom, month=month, dow=dow, zone=zone)


# -- robfig's Next, with Go's time arithmetic ----------------------------------------


def _wall(zone: tzinfo, y: int, mo: int, d: int, *, h: int = 0, mi: int = 0) -> datetime:
    """Go's ``time.Date`` in ``zone``: normalises overflow; a gap time takes the offset before it."""
    base = datetime(y, 1, 1)
    naive = _add_months(base, (mo - 1)) + timedelta(days=d - 1, hours=h, minutes=mi)
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def _add_months(t: datetime, months: int) -> datetime:
    total = t.year * 12 + (t.month - 1) + months
    return t.replace(year=total // 12, month=total % 12 + 1)


def _add(t: datetime, delta: timedelta) -> datetime:
    """Go's ``t.Add``: absolute time."""
    zone = t.tzinfo
    return (t.astimezone(UTC) + delta).astimezone(zone)


def _day_matches(s: Schedule, t: datetime) -> bool:
    dom_ok = (1 << t.day) & s.dom > 0
    dow_ok = (1 << ((t.weekday() + 1) % 7)) & s.dow > 0
    if s.dom & STAR or s.dow & STAR:
        return dom_ok and dow_ok
    return dom_ok or dow_ok


def _next(s: Schedule, start: datetime) -> datetime | None:
    zone = s.zone
    t = start.astimezone(zone)
    t = _add(t.replace(microsecond=0), timedelta(seconds=1))
    added = False
    year_limit = t.year + 5
    while True:  # WRAP
        if t.year > year_limit:
            return None
        wrapped = False
        while not (1 << t.month) & s.month:
            if not added:
                added = True
                t = _wall(zone, t.year, t.month, 1)
            t = _wall(zone, t.year, t.month + 1, t.day, h=t.hour, mi=t.minute)
            if t.month == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not _day_matches(s, t):
            if not added:
                added = True
                t = _wall(zone, t.year, t.month, t.day)
            t = _wall(zone, t.year, t.month, t.day + 1, h=t.hour, mi=t.minute)
            if t.hour != 0:  # midnight did not exist (DST)
                t = _add(t, timedelta(hours=(24 - t.hour) if t.hour > 12 else -t.hour))
            if t.day == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not (1 << t.hour) & s.hour:
            if not added:
                added = True
                t = _wall(zone, t.year, t.month, t.day, h=t.hour)
            t = _add(t, timedelta(hours=1))
            if t.hour == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while not (1 << t.minute) & s.minute:
            if not added:
                added = True
                t = t.replace(second=0)
            t = _add(t, timedelta(minutes=1))
            if t.minute == 0:
                wrapped = True
                break
        if wrapped:
            continue
        if t.second != 0:  # the seconds field of a standard spec is always 0
            if not added:
                added = True
            t = _add(t.replace(second=0), timedelta(minutes=1))
            if t.minute == 0:
                continue
            continue
        return t.astimezone(UTC)
