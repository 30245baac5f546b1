"""The timeline model: pods' own timestamps → rows, bars, back-off gaps and the run's figures."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from minik.k8s import Obj
from minik.printing.timeline import Gap, build_timeline
from minik.printing.timeline.bars import FAILED, RUNNING, SUCCEEDED, WAITING, pod_bar
from minik.printing.timeline.stats import percentile, running_steps

from .runs import T0, at, cs, job, names, pod, running, simulated_run, terminated
from .runs import WAITING as WAITING_STATE


@dataclass(frozen=True)
class BarCase:
    name: str
    pod: Obj
    outcome: str
    started: float | None
    end: float | None
    runs: list[tuple[str, bool, float, float | None, int | None]]  # (container, init, start, end, exit code)
    failure: str = ""
    waited: float | None = None


BAR_CASES = [
    BarCase(
        "a pod not started yet is all waiting",
        pod("p", created=2, containers=[cs("main", WAITING_STATE)]),
        WAITING,
        None,
        None,
        [],
    ),
    BarCase(
        "init container then main container, succeeded",
        pod(
            "p",
            created=1,
            phase="Succeeded",
            inits=[cs("setup", terminated(3, 4))],
            containers=[cs("main", terminated(4, 9))],
        ),
        SUCCEEDED,
        3,
        9,
        [("setup", True, 3, 4, 0), ("main", False, 4, 9, 0)],
        waited=2,
    ),
    BarCase(
        "a failed pod carries its container's exit code and reason",
        pod("p", created=0, phase="Failed", containers=[cs("main", terminated(1, 5, 2))]),
        FAILED,
        1,
        5,
        [("main", False, 1, 5, 2)],
        failure="exit 2 (Error)",
        waited=1,
    ),
    BarCase(
        "the pod's own reason wins over the container's (DeadlineExceeded)",
        pod(
            "p",
            created=0,
            phase="Failed",
            reason="DeadlineExceeded",
            containers=[cs("main", terminated(1, 7, 137))],
        ),
        FAILED,
        1,
        7,
        [("main", False, 1, 7, 137)],
        failure="exit 137 (DeadlineExceeded)",
        waited=1,
    ),
    BarCase(
        "a pod failed before any container ran ends at its last condition change",
        pod(
            "p",
            created=0,
            phase="Failed",
            reason="Evicted",
            conditions=[{"type": "Ready", "status": "False", "lastTransitionTime": at(6)}],
        ),
        FAILED,
        None,
        6,
        [],
        failure="Evicted",
    ),
    BarCase(
        "a running pod has no end",
        pod("p", created=0, phase="Running", containers=[cs("main", running(2))]),
        RUNNING,
        2,
        None,
        [("main", False, 2, None, None)],
        waited=2,
    ),
    BarCase(
        "a restarted container shows its last run and its current one",
        pod(
            "p",
            created=0,
            phase="Running",
            containers=[cs("main", running(6), restarts=1, last=terminated(1, 3, 1))],
        ),
        RUNNING,
        1,
        None,
        [("main", False, 1, 3, 1), ("main", False, 6, None, None)],
        waited=1,
    ),
    BarCase(
        "the kubelet's 1970 placeholder for a container that never ran is no run",
        pod(
            "p",
            created=0,
            phase="Failed",
            containers=[
                cs(
                    "main",
                    {
                        "terminated": {
                            "startedAt": "1970-01-01T00:00:00Z",
                            "finishedAt": at(4),
                            "exitCode": 137,
                            "reason": "ContainerStatusUnknown",
                        }
                    },
                )
            ],
            conditions=[{"type": "Ready", "status": "False", "lastTransitionTime": at(4)}],
        ),
        FAILED,
        None,
        4,
        [],
        failure="exit 137 (ContainerStatusUnknown)",
    ),
]


@pytest.mark.parametrize("case", BAR_CASES, ids=[c.name for c in BAR_CASES])
def test_pod_bar(case: BarCase) -> None:
    bar = pod_bar(case.pod, T0, 100)
    assert (bar.outcome, bar.started, bar.end) == (case.outcome, case.started, case.end)
    assert [(r.name, r.init, r.start, r.end, r.exit_code) for r in bar.runs] == case.runs
    assert bar.failure == case.failure
    assert bar.waited == case.waited


@dataclass(frozen=True)
class RowCase:
    name: str
    job: Obj
    pods: list[Obj]
    rows: list[str]
    pods_per_row: list[list[str]]
    gaps: list[list[tuple[float, float]]] = field(default_factory=list)


def _failed(name: str, index: int | None, created: float, start: float, end: float) -> Obj:
    return pod(
        name, created=created, phase="Failed", index=index, containers=[cs("main", terminated(start, end, 1))]
    )


def _ok(name: str, index: int | None, created: float, start: float, end: float) -> Obj:
    return pod(
        name, created=created, phase="Succeeded", index=index, containers=[cs("main", terminated(start, end))]
    )


ROW_CASES = [
    RowCase(
        "Indexed: one row per completion index, in index order",
        job(completions=3, parallelism=3, finished=9),
        [_ok("w-2", 2, 0, 1, 4), _ok("w-0", 0, 0, 1, 5), _ok("w-1", 1, 0, 1, 8)],
        ["0", "1", "2"],
        [["w-0"], ["w-1"], ["w-2"]],
        [[], [], []],
    ),
    RowCase(
        "Indexed: an index without a pod yet still has its (empty) row",
        job(completions=3, parallelism=1),
        [_ok("w-0", 0, 0, 1, 2)],
        ["0", "1", "2"],
        [["w-0"], [], []],
        [[], [], []],
    ),
    RowCase(
        "Indexed: the retries of an index share its row, the back-off gap between them",
        job(completions=2, parallelism=2, finished=30),
        [
            _failed("w-1-a", 1, 0, 1, 4),
            _ok("w-0", 0, 0, 1, 3),
            _failed("w-1-b", 1, 14, 15, 16),
            _ok("w-1-c", 1, 36, 37, 40),
        ],
        ["0", "1"],
        [["w-0"], ["w-1-a", "w-1-b", "w-1-c"]],
        [[], [(4, 14), (16, 36)]],
    ),
    RowCase(
        "NonIndexed: one row per pod, in creation order",
        job(completions=2, parallelism=2, indexed=False, finished=20),
        [_ok("w-b", None, 5, 6, 9), _failed("w-a", None, 0, 1, 3), _ok("w-c", None, 13, 14, 18)],
        ["w-a", "w-b", "w-c"],
        [["w-a"], ["w-b"], ["w-c"]],
        [[], [(3, 5)], []],
    ),
    RowCase(
        "NonIndexed: a failed pod's back-off is drawn on the row of the next pod created after it",
        job(completions=2, parallelism=2, indexed=False, finished=30),
        [
            _failed("w-a", None, 0, 1, 3),
            _ok("w-b", None, 0, 1, 9),
            _failed("w-c", None, 13, 14, 15),
            _ok("w-d", None, 23, 24, 28),
        ],
        ["w-a", "w-b", "w-c", "w-d"],
        [["w-a"], ["w-b"], ["w-c"], ["w-d"]],
        [[], [], [(3, 13)], [(15, 23)]],
    ),
    RowCase(
        "a restart inside a pod (OnFailure) opens a back-off gap on its row",
        job(completions=1, parallelism=1),
        [
            pod(
                "w-0",
                created=0,
                phase="Running",
                index=0,
                containers=[cs("main", running(9), restarts=1, last=terminated(1, 4, 1))],
            )
        ],
        ["0"],
        [["w-0"]],
        [[(4, 9)]],
    ),
]


@pytest.mark.parametrize("case", ROW_CASES, ids=[c.name for c in ROW_CASES])
def test_rows(case: RowCase) -> None:
    tl = build_timeline(case.job, case.pods, T0 + timedelta(seconds=60))
    assert [r.label for r in tl.rows] == case.rows
    assert names(tl.rows) == case.pods_per_row
    assert [[(g.start, g.end) for g in r.gaps] for r in tl.rows] == case.gaps


def test_retries_are_numbered_in_creation_order() -> None:
    tl = build_timeline(*simulated_run(3, 2, failures={1: 2}), T0)
    assert [(p.name, p.attempt, p.outcome) for p in tl.rows[1].pods] == [
        ("work-1-0", 0, FAILED),
        ("work-1-1", 1, FAILED),
        ("work-1-2", 2, SUCCEEDED),
    ]


def test_a_finished_job_ends_at_its_completion_time_not_now() -> None:
    tl = build_timeline(job(completions=1, finished=9), [_ok("w", 0, 0, 1, 8)], T0 + timedelta(hours=2))
    assert (tl.end, tl.finished, tl.condition) == (9, True, "Complete")


def test_a_failed_job_names_its_reason() -> None:
    tl = build_timeline(
        job(completions=1, finished=5, failed="BackoffLimitExceeded"), [_failed("w", 0, 0, 1, 4)], T0
    )
    assert (tl.end, tl.condition) == (5, "Failed: BackoffLimitExceeded")


def test_a_running_job_ends_now_and_running_bars_reach_it() -> None:
    pods = [pod("w", created=0, phase="Running", index=0, containers=[cs("main", running(2))])]
    tl = build_timeline(job(completions=1), pods, T0 + timedelta(seconds=12))
    assert (tl.end, tl.finished, tl.condition) == (12, False, "")
    assert tl.stats.peak_running == 1
    assert tl.stats.average_running == pytest.approx(10 / 12)


def test_the_origin_is_the_jobs_start_time() -> None:
    tl = build_timeline(job(completions=1, start=3, finished=9), [_ok("w", 0, 4, 5, 8)], T0)
    assert tl.t0 == T0 + timedelta(seconds=3)
    assert (tl.rows[0].pods[0].created, tl.end) == (1, 6)


@dataclass(frozen=True)
class StatsCase:
    name: str
    pods: list[Obj]
    end: float
    average: float
    peak: int
    mean_run: float | None
    p95_run: float | None
    waiting_total: float
    slowest: tuple[str, float] | None


STATS_CASES = [
    StatsCase(
        "two pods side by side, then one alone",
        [_ok("a", 0, 0, 0, 10), _ok("b", 1, 0, 0, 5)],
        10,
        1.5,
        2,
        7.5,
        10,
        0,
        ("0", 10),
    ),
    StatsCase(
        "waiting counts from creation to the first container start",
        [_ok("a", 0, 0, 3, 10), _ok("b", 1, 2, 4, 10)],
        10,
        1.3,
        2,
        6.5,
        7,
        5,
        ("0", 10),
    ),
    StatsCase(
        "a pod still waiting waits until now",
        [pod("a", created=4, index=0)],
        10,
        0,
        0,
        None,
        None,
        6,
        ("0", 0),
    ),
    StatsCase(
        "the slowest index counts its retries and back-off",
        [_failed("a", 0, 0, 1, 2), _ok("a2", 0, 5, 6, 7), _ok("b", 1, 0, 1, 6)],
        10,
        0.7,
        2,
        2.333,
        5,
        3,
        ("0", 7),
    ),
]


@pytest.mark.parametrize("case", STATS_CASES, ids=[c.name for c in STATS_CASES])
def test_stats(case: StatsCase) -> None:
    j = job(completions=2, parallelism=2)
    s = build_timeline(j, case.pods, T0 + timedelta(seconds=case.end)).stats
    assert s.wall == case.end
    assert s.average_running == pytest.approx(case.average, abs=1e-3)
    assert s.peak_running == case.peak
    assert s.parallelism == 2
    assert s.mean_run == (pytest.approx(case.mean_run, abs=1e-3) if case.mean_run is not None else None)
    assert s.p95_run == case.p95_run
    assert s.waiting_total == case.waiting_total
    assert s.slowest == case.slowest


def test_percentile_is_nearest_rank() -> None:
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile([3.0], 95) == 3.0
    assert percentile([], 95) is None


def test_running_steps_counts_pods_between_start_and_end() -> None:
    tl = build_timeline(job(completions=2), [_ok("a", 0, 0, 1, 5), _ok("b", 1, 0, 3, 5)], T0)
    assert running_steps([p for r in tl.rows for p in r.pods], tl.end) == [(1, 1), (3, 2), (5, 0)]


def test_a_simulated_run_has_its_gaps_where_the_pods_say() -> None:
    job_, pods = simulated_run(20, 4, failures={3: 1, 11: 2}, backoff=10)
    tl = build_timeline(job_, pods, T0)
    failed = {r.label: r.gaps for r in tl.rows if r.gaps}
    assert set(failed) == {"3", "11"}
    for label, gaps in failed.items():
        row = tl.rows[int(label)]
        assert list(gaps) == [Gap(a.end or 0, b.created) for a, b in itertools.pairwise(row.pods)]
    assert tl.stats.peak_running == 4
    assert tl.stats.failed == 3 and tl.stats.pods == 23


def test_inputs_are_never_mutated() -> None:
    job_, pods = simulated_run(5, 2, failures={1: 1})
    before = copy.deepcopy((job_, pods))
    build_timeline(job_, pods, T0)
    assert (job_, pods) == before


def test_marks_are_the_jobs_suspensions_and_warnings_in_time_order() -> None:
    def ev(type_: str, reason: str, at_s: float, **extra: str) -> dict[str, str]:
        return {
            "type": type_,
            "reason": reason,
            "message": reason.lower(),
            "lastTimestamp": at(at_s),
            **extra,
        }

    events = [
        ev("Warning", "BackoffLimitExceeded", 9),
        ev("Normal", "SuccessfulCreate", 0),
        ev("Normal", "Resumed", 6),
        ev("Normal", "Suspended", 2),
        {"type": "Normal", "reason": "Suspended", "message": "no time"},
    ]
    tl = build_timeline(job(completions=1, finished=9, failed="BackoffLimitExceeded"), [], T0, events)
    assert [(m.time, m.reason, m.warning) for m in tl.marks] == [
        (2, "Suspended", False),
        (6, "Resumed", False),
        (9, "BackoffLimitExceeded", True),
    ]


def test_a_job_without_times_starts_now() -> None:
    bare = {"metadata": {"name": "x"}, "spec": {"completions": 1, "completionMode": "Indexed"}}
    tl = build_timeline(bare, [], T0)
    assert (tl.t0, tl.end, len(tl.rows)) == (T0, 0, 1)
