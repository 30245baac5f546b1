"""The timeline's three renderings: terminal text, the HTML page (SVG) and Chrome trace JSON."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from minik.printing.timeline import Row, Timeline, build_timeline
from minik.printing.timeline.svg import render_html
from minik.printing.timeline.text import paint_row, render_text, seconds
from minik.printing.timeline.trace import render_trace

from .runs import T0, cs, job, pod, simulated_run, terminated

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _retried() -> Timeline:
    """Index 1 fails at 4 s (exit 3), backs off until 10 s, then succeeds at 15 s."""
    pods = [
        pod(
            "w-0",
            created=0,
            phase="Succeeded",
            index=0,
            inits=[cs("setup", terminated(1, 2))],
            containers=[cs("main", terminated(2, 8))],
        ),
        pod("w-1-a", created=0, phase="Failed", index=1, containers=[cs("main", terminated(2, 4, 3))]),
        pod("w-1-b", created=10, phase="Succeeded", index=1, containers=[cs("main", terminated(12, 15))]),
    ]
    return build_timeline(job(completions=2, parallelism=2, finished=20), pods, T0)


@dataclass(frozen=True)
class PaintCase:
    name: str
    row: int
    cols: int
    want: str  # one letter per column: w waiting, i init, r running, S succeeded, X failed, b back-off, _ nothing


LETTERS = {
    "": "_",
    "waiting": "w",
    "init": "i",
    "running": "r",
    "succeeded": "S",
    "failed": "X",
    "backoff": "b",
}

PAINT_CASES = [
    PaintCase(
        "one column per second: waiting, init, running, the success mark", 0, 20, "wirrrrrrS___________"
    ),
    PaintCase("a failure mark, the back-off gap, the retry's wait and run", 1, 20, "wwrrXbbbbbwwrrrS____"),
    PaintCase("two seconds a column: the marks still land on their columns", 1, 10, "wrXbbwrS__"),
]


@pytest.mark.parametrize("case", PAINT_CASES, ids=[c.name for c in PAINT_CASES])
def test_paint_row(case: PaintCase) -> None:
    tl = _retried()
    kinds = paint_row(tl.rows[case.row], cols=case.cols, scale=tl.end / case.cols, end=tl.end)
    assert "".join(LETTERS[k] for k in kinds) == case.want


def test_text_chart_is_plain_ascii_and_fits_the_width() -> None:
    out = render_text(_retried(), width=60)
    assert out.isascii() and not ANSI.search(out)
    assert all(len(line) <= 60 for line in out.splitlines())
    lines = out.splitlines()
    assert lines[0] == "job/work  Complete  2 indexes"
    row1 = next(line for line in lines if line.startswith("    1 |"))
    assert "X~" in row1 and row1.endswith("#0 exit 3 (Error)")
    assert "Parallelism used: average 0.6, peak 2 of parallelism 2" in out
    assert "Slowest index:    1 (15.0s)" in out


def test_fancy_chart_colours_runs_of_marks_once() -> None:
    out = render_text(_retried(), width=60, fancy=True)
    assert "\x1b[1;31m✘\x1b[0m" in out
    plain = ANSI.sub("", out)
    assert all(len(line) <= 60 for line in plain.splitlines())
    assert "\x1b[34m█\x1b[0m\x1b[34m" not in out


def test_a_running_job_says_so() -> None:
    pods = [
        pod(
            "w-0",
            created=0,
            phase="Running",
            index=0,
            containers=[cs("main", {"running": {"startedAt": "2026-03-01T09:00:01Z"}})],
        )
    ]
    tl = build_timeline(job(completions=1), pods, T0.replace(second=30))
    out = render_text(tl, width=50)
    assert out.startswith("job/work  running  1 indexes")
    assert "Wall time:        30.0s so far" in out


@pytest.mark.parametrize(
    ("value", "text"), [(None, "-"), (0.44, "0.4s"), (59.96, "60.0s"), (125, "2m05s"), (3725, "1h02m")]
)
def test_seconds(value: float | None, text: str) -> None:
    assert seconds(value) == text


def test_page_has_one_row_per_index_and_hover_titles() -> None:
    page = render_html(_retried())
    assert page.count("<g class='row'") == 2
    assert "<script" not in page.lower()
    assert not re.search(r"(src|href)=['\"]?https?:", page)
    titles = re.findall(r"<title>([^<]*)</title>", page)
    failed = next(t for t in titles if "container main" in t and "w-1-a" in t)
    assert "index 1" in failed and "exit code 3" in failed and "reason Error" in failed
    assert (
        "started 2026-03-01T09:00:02Z (+2.0s)" in failed and "finished 2026-03-01T09:00:04Z (+4.0s)" in failed
    )
    assert any(t.startswith("back-off 6.0s") for t in titles)


def test_failed_bars_are_hatched_and_marked_not_only_coloured() -> None:
    page = render_html(_retried())
    failed_pod = page[page.index("data-pod='w-1-a'") :]
    failed_pod = failed_pod[: failed_pod.index("</g>")]
    assert "class='pod failed'" in page and "✗" in failed_pod
    assert ".failed .run, .run.failedrun { fill: url(#hatch)" in page


def test_page_shows_the_figures_and_the_parallelism_limit() -> None:
    page = render_html(_retried())
    assert "<td>Parallelism used</td><td>average 0.6, peak 2 of parallelism 2</td>" in page
    assert "parallelism 2</text>" in page


def _slices(doc: dict[str, object], **match: object) -> list[dict[str, object]]:
    events = doc["traceEvents"]
    assert isinstance(events, list)
    return [e for e in events if e.get("ph") == "X" and all(e.get(k) == v for k, v in match.items())]


def test_trace_has_a_track_per_index_a_slice_per_pod_nested_containers() -> None:
    doc = render_trace(_retried())
    json.dumps(doc)
    names = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"] if e.get("name") == "thread_name"}
    assert names == {1: "index 0", 2: "index 1"}
    pods = _slices(doc, cat="pod")
    assert [(p["tid"], p["ts"], p["dur"]) for p in pods] == [
        (1, 0, 8_000_000),
        (2, 0, 4_000_000),
        (2, 10_000_000, 5_000_000),
    ]
    for p in pods:
        inner = [
            c for c in _slices(doc, cat="container", tid=p["tid"]) if c["args"]["pod"] == p["args"]["pod"]
        ]
        assert inner
        for c in inner:
            assert p["ts"] <= c["ts"] and c["ts"] + c["dur"] <= p["ts"] + p["dur"]
    failed = _slices(doc, cat="container", tid=2)[0]
    assert failed["name"] == "main ✗ exit 3" and failed["args"]["exitCode"] == 3
    assert [(b["ts"], b["dur"]) for b in _slices(doc, cat="backoff")] == [(4_000_000, 6_000_000)]


def test_trace_counts_running_pods() -> None:
    doc = render_trace(_retried())
    counters = [(e["ts"], e["args"]["running"]) for e in doc["traceEvents"] if e.get("ph") == "C"]
    assert counters == [
        (1_000_000, 1),
        (2_000_000, 2),
        (4_000_000, 1),
        (8_000_000, 0),
        (12_000_000, 1),
        (15_000_000, 0),
    ]


def test_a_big_run_renders_every_row() -> None:
    tl = build_timeline(*simulated_run(200, 8, failures={5: 1}), T0)
    assert len(render_text(tl, width=100).splitlines()) > 200
    assert render_html(tl).count("<g class='row'") == 200
    assert len({e["tid"] for e in render_trace(tl)["traceEvents"] if e.get("ph") == "X"}) == 200


def test_empty_rows_render() -> None:
    tl = build_timeline(job(completions=3), [], T0)
    assert isinstance(tl.rows[0], Row)
    assert render_text(tl, width=40).count("|") >= 6
    assert render_html(tl).count("<g class='row'") == 3


def test_runs_within_one_second_are_owned_up_to() -> None:
    pods = [pod("w-0", created=0, phase="Succeeded", index=0, containers=[cs("main", terminated(1, 1))])]
    out = render_text(build_timeline(job(completions=1, finished=2), pods, T0), width=80)
    assert "Note:             1 of 1 pods started and ended within the same second" in out
    assert "Note:" not in render_text(_retried(), width=80)


def test_marks_appear_in_every_rendering() -> None:
    events = [
        {
            "type": "Normal",
            "reason": "Suspended",
            "message": "Job suspended",
            "lastTimestamp": "2026-03-01T09:00:05Z",
        }
    ]
    pods = [pod("w-0", created=0, phase="Succeeded", index=0, containers=[cs("main", terminated(1, 9))])]
    tl = build_timeline(job(completions=1, finished=10), pods, T0, events)
    text = render_text(tl, width=30)
    assert "events |" in text and "Event:            +5.0s Suspended: Job suspended" in text
    page = render_html(tl)
    assert "<line class='jobmark'" in page and "Suspended: Job suspended" in page
    (instant,) = [e for e in render_trace(tl)["traceEvents"] if e.get("ph") == "i"]
    assert (instant["name"], instant["ts"], instant["args"]["message"]) == (
        "Suspended",
        5_000_000,
        "Job suspended",
    )
