"""The tabwriter emulation and human durations, against Go's documented behaviour."""

from __future__ import annotations

from datetime import timedelta

import pytest

from minik.cli.durations import human_duration, rfc1123z
from minik.cli.tabwriter import PrefixWriter, TableWidths, format_text, table
from minik.gotime import parse_flag_seconds as parse_go_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (59, "59s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (599, "9m59s"),
        (600, "10m"),
        (3 * 3600 - 1, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 20 * 60, "3h20m"),
        (8 * 3600, "8h"),
        (47 * 3600 + 59 * 60, "47h"),
        (48 * 3600, "2d"),
        (51 * 3600, "2d3h"),
        (8 * 86400, "8d"),
        (729 * 86400, "729d"),
        (730 * 86400, "2y"),
        (740 * 86400, "2y10d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_human_duration_matches_apimachinery(seconds: int, text: str) -> None:
    assert human_duration(timedelta(seconds=seconds)) == text


def test_human_duration_truncates_fractions() -> None:
    assert human_duration(timedelta(seconds=9.9)) == "9s"
    assert human_duration(timedelta(seconds=-1.5)) == "0s"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("1m30s", 90), ("2h", 7200), ("500ms", 0.5), ("0", 0), ("15", 15), ("-1s", -1)],
)
def test_parse_go_duration(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "abc", "1x", "s1"])
def test_parse_go_duration_rejects_garbage(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_go_duration(bad)


def test_rfc1123z() -> None:
    assert rfc1123z("2025-09-01T10:00:00Z") == "Mon, 01 Sep 2025 10:00:00 +0000"
    assert rfc1123z(None) == ""


def test_get_table_layout_pads_by_three_with_minimum_six() -> None:
    out = table([["NAME", "AGE"], ["a", "5s"], ["longer-name", "1m"]])
    assert out == "NAME          AGE\na             5s\nlonger-name   1m\n"
    assert table([["A", "B"], ["x", "y"]]) == "A     B\nx     y\n"


def test_lines_without_tabs_end_a_column_block() -> None:
    text = "Name:\tx\nLong Key Here:\ty\nBreak\nA:\tz\n"
    assert format_text(text) == "Name:           x\nLong Key Here:  y\nBreak\nA:  z\n"


def test_nested_columns_form_their_own_blocks() -> None:
    text = "a\tb\tc\naaaa\tb\nx\n"
    # column 0 spans the first two lines; column 1 only the first line
    assert format_text(text, padding=1) == "a    b c\naaaa b\nx\n"


def test_empty_leading_cell_is_padded_and_trailing_empty_cell_leaves_spaces() -> None:
    assert format_text("Labels:\ta=b\n\tc=d\nMedium:\t\n") == "Labels:  a=b\n         c=d\nMedium:  \n"


def test_prefix_writer_flush_separates_alignment() -> None:
    w = PrefixWriter()
    w.write(0, "Key:\tv\n")
    w.flush()
    w.write(1, "Longer key:\tv\n")
    assert w.getvalue() == "Key:  v\n  Longer key:  v\n"


def test_table_widths_only_grow() -> None:
    tw = TableWidths()
    assert tw.render([["NAME", "AGE"], ["abc", "1s"]]) == "NAME   AGE\nabc    1s\n"
    assert tw.render([["a", "2s"]]) == "a      2s\n"
    assert tw.render([["much-longer", "3s"]]) == "much-longer   3s\n"
