"""minik.cron: robfig/cron v3 ParseStandard messages and Next, DST included."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from minik import cron

NY = ZoneInfo("America/New_York")


def _next(spec: str, after: str, zone: object = UTC) -> str | None:
    sched = cron.parse(spec, zone=zone)  # type: ignore[arg-type]
    t = sched.next(datetime.fromisoformat(after))
    return None if t is None else t.astimezone(zone).isoformat()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "after", "expected"),
    [
        ("* * * * *", "2026-12-01T19:00:00+00:00", "2026-12-01T19:01:00+00:00"),
        ("* * * * *", "2026-12-01T19:00:30.5+00:00", "2026-12-01T19:01:00+00:00"),
        ("@hourly", "2026-12-01T19:30:00+00:00", "2026-12-01T20:00:00+00:00"),
        ("@daily", "2026-12-31T23:59:00+00:00", "2027-01-01T00:00:00+00:00"),
        ("@weekly", "2026-12-01T00:00:00+00:00", "2026-12-06T00:00:00+00:00"),
        ("@monthly", "2026-12-15T00:00:00+00:00", "2027-01-01T00:00:00+00:00"),
        ("@yearly", "2026-12-15T00:00:00+00:00", "2027-01-01T00:00:00+00:00"),
        ("*/15 * * * *", "2026-12-01T19:16:00+00:00", "2026-12-01T19:30:00+00:00"),
        ("0 0 * * mon-fri", "2026-12-05T00:00:00+00:00", "2026-12-07T00:00:00+00:00"),
        ("0 0 1 * 1", "2026-12-01T00:00:00+00:00", "2026-12-07T00:00:00+00:00"),
        ("0 12 * JAN ?", "2026-12-01T00:00:00+00:00", "2027-01-01T12:00:00+00:00"),
        ("@every 1h30m", "2026-12-01T19:00:00.5+00:00", "2026-12-01T20:30:00+00:00"),
        ("0 0 31 2 *", "2026-01-01T00:00:00+00:00", None),
    ],
)
def test_next_activation_after_a_time(spec: str, after: str, expected: str | None) -> None:
    assert _next(spec, after) == expected


def test_a_time_in_the_spring_forward_gap_is_skipped_that_day() -> None:
    assert _next("30 2 11 3 *", "2012-03-11T00:00:00-05:00", NY) == "2013-03-11T02:30:00-04:00"
    assert _next("30 2 * * *", "2012-03-10T03:00:00-05:00", NY) == "2012-03-12T02:30:00-04:00"


def test_a_time_in_the_fall_back_hour_runs_in_both_occurrences() -> None:
    assert _next("0 1 * * *", "2012-11-04T00:00:00-04:00", NY) == "2012-11-04T01:00:00-04:00"
    assert _next("0 1 * * *", "2012-11-04T01:45:00-04:00", NY) == "2012-11-04T01:00:00-05:00"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty spec string"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"),
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("* * * * 7", "end of range (7) above maximum (6): 7"),
        ("a * * * *", 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("5-2 * * * *", "beginning of range (5) beyond end of range (2): 5-2"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("1/2/3 * * * *", "too many slashes: 1/2/3"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        ("@every x", 'failed to parse duration @every x: time: invalid duration "x"'),
        ("@every 5", 'failed to parse duration @every 5: time: missing unit in duration "5"'),
        ("@every 5d", 'failed to parse duration @every 5d: time: unknown unit "d" in duration "5d"'),
        # past Go's int64 nanoseconds: refused as Go refuses them (they were a 500, and an
        # OverflowError in the CronJob controller every second)
        (
            "@every 9999999999999999h",
            'failed to parse duration @every 9999999999999999h: time: invalid duration "9999999999999999h"',
        ),
        (
            "@every 1" + "0" * 400 + "h",
            f'failed to parse duration @every 1{"0" * 400}h: time: invalid duration "1{"0" * 400}h"',
        ),
        ("@every 2562048h", 'failed to parse duration @every 2562048h: time: invalid duration "2562048h"'),
        ("TZ=Mars/Base * * * * *", "provided bad location Mars/Base: unknown time zone Mars/Base"),
        ("TZ=UTC", "invalid location descriptior: TZ=UTC"),
    ],
)
def test_unparseable_schedules_fail_with_robfigs_message(spec: str, message: str) -> None:
    with pytest.raises(cron.CronError) as exc:
        cron.parse(spec)
    assert str(exc.value) == message


def test_a_tz_prefix_sets_the_schedules_zone() -> None:
    sched = cron.parse("TZ=America/New_York 0 9 * * *")
    assert sched.next(datetime(2026, 12, 1, tzinfo=UTC)) == datetime(2026, 12, 1, 14, tzinfo=UTC)
