"""Go's ``time.ParseDuration`` (golang/go src/time/format.go), the one port in minik."""

from __future__ import annotations

import pytest

from minik.gotime import DurationError, parse_nanos
from minik.gotime import parse_flag_seconds as parse_go_duration


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("0", 0),
        ("-0", 0),
        ("+5m", 300 * 10**9),
        ("1h30m", 5400 * 10**9),
        ("-1.5h", -5400 * 10**9),
        ("300ms", 300 * 10**6),
        ("1µs", 1000),
        ("1μs", 1000),
        ("1.s", 10**9),
        (".5s", 5 * 10**8),
        ("2562047h", 2562047 * 3600 * 10**9),
        ("9223372036854775807ns", 2**63 - 1),
        ("-9223372036854775808ns", -(2**63)),
        ("1.0000000000000000000000001s", 10**9),  # fraction digits past int64 are dropped
        ("0" * 5000 + "1s", 10**9),
    ],
)
def test_go_durations_read_as_go_reads_them(text: str, nanos: int) -> None:
    assert parse_nanos(text) == nanos


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        (".", 'time: invalid duration "."'),
        ("x", 'time: invalid duration "x"'),
        ("1", 'time: missing unit in duration "1"'),
        ("1x", 'time: unknown unit "x" in duration "1x"'),
        ("1e3s", 'time: unknown unit "e" in duration "1e3s"'),
        ("2562048h", 'time: invalid duration "2562048h"'),
        ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
        ("9999999999999999h", 'time: invalid duration "9999999999999999h"'),
        ("1" + "0" * 400 + "h", f'time: invalid duration "1{"0" * 400}h"'),
        ('1"s', 'time: unknown unit "\\"s" in duration "1\\"s"'),
    ],
)
def test_what_go_refuses_is_refused_with_gos_sentence(text: str, message: str) -> None:
    with pytest.raises(DurationError) as err:
        parse_nanos(text)
    assert str(err.value) == message


def test_the_cli_takes_a_bare_number_as_seconds_but_not_past_the_duration_range() -> None:
    assert parse_go_duration("15") == 15
    assert parse_go_duration("1.5") == 1.5
    with pytest.raises(ValueError, match="invalid duration"):
        parse_go_duration("1" + "0" * 400)
    with pytest.raises(ValueError, match="invalid duration"):
        parse_go_duration("1" + "0" * 400 + "s")
