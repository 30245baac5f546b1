"""Table-driven tests of the policy helpers: backoff, pod failure policy, success policy, indexes."""

from __future__ import annotations

from typing import Any

import pytest

from minik.controllers.job.backoff import backoff_record, delay_seconds, finished_time, remaining_for_index
from minik.controllers.job.failure_policy import match_pod_failure_policy
from minik.controllers.job.indexes import failure_count_annotations, first_pending, split_for_removal
from minik.controllers.job.pods import removal_order
from minik.controllers.job.success_policy import match_success_policy
from minik.k8s import Obj, format_indexes, parse_time
from tests.unit.controllers.builders import NOW, at, pod

# -- backoff (R4.6) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "scale", "delay"),
    [
        (0, 1.0, 0.0),
        (1, 1.0, 10.0),
        (2, 1.0, 20.0),
        (3, 1.0, 40.0),
        (6, 1.0, 320.0),
        (7, 1.0, 600.0),
        (30, 1.0, 600.0),
        (1, 0.1, 1.0),
        (7, 0.1, 60.0),
    ],
    ids=str,
)
def test_delay_doubles_from_ten_seconds_capped_at_ten_minutes(
    failures: int, scale: float, delay: float
) -> None:
    assert delay_seconds(failures, time_scale=scale) == pytest.approx(delay)


def test_finished_time_prefers_container_finish_then_ready_false_then_deletion_then_creation() -> None:
    assert finished_time(pod("a", "Failed", finished=-7)) == parse_time(at(-7))
    running = pod("b", created=-50)
    running["status"]["conditions"] = [{"type": "Ready", "status": "False", "lastTransitionTime": at(-9)}]
    assert finished_time(running) == parse_time(at(-9))
    deleted = pod("c", deleted=-4, created=-50)
    deleted["status"]["conditions"] = []
    assert finished_time(deleted) == parse_time(at(-4))
    bare = pod("d", created=-50)
    bare["status"] = {}
    assert finished_time(bare) == parse_time(at(-50))


def test_backoff_record_counts_only_failures_after_the_last_success() -> None:
    rec = backoff_record(
        [pod("s", "Succeeded", finished=-30)],
        [
            pod("f1", "Failed", finished=-40),
            pod("f2", "Failed", finished=-20),
            pod("f3", "Failed", finished=-10),
        ],
    )
    assert rec.failures_after_last_success == 2
    assert rec.last_failure_time == parse_time(at(-10))
    assert rec.remaining(NOW) == pytest.approx(10.0)


def test_per_index_backoff_uses_failure_count_plus_one() -> None:
    p = pod("a", "Failed", finished=-5, annotations={"batch.kubernetes.io/job-index-failure-count": "1"})
    assert remaining_for_index(p, NOW) == pytest.approx(15.0)
    assert remaining_for_index(None, NOW) == 0.0


# -- pod failure policy (R6.7) --------------------------------------------------------


def rule(action: str, op: str = "In", values: list[int] | None = None, **kw: Any) -> Obj:
    return {"action": action, "onExitCodes": {"operator": op, "values": values or [42], **kw}}


def failed(
    code: int = 42, container: str = "main", init: Obj | None = None, conditions: list[Obj] | None = None
) -> Obj:
    p = pod("p1", "Failed", exit_code=code, container=container, conditions=conditions)
    if init is not None:
        p["status"]["initContainerStatuses"] = [init]
    return p


POLICY_CASES = [
    ("no policy: counted, no action", None, failed(), (None, True, None)),
    (
        "In matches the exit code",
        {"rules": [rule("FailJob")]},
        failed(),
        (
            "FailJob",
            True,
            "Container main for pod default/p1 failed with exit code 42 matching FailJob rule at index 0",
        ),
    ),
    ("In does not match another code", {"rules": [rule("FailJob")]}, failed(3), (None, True, None)),
    (
        "NotIn matches a code outside the list",
        {"rules": [rule("Ignore", "NotIn", [1, 2])]},
        failed(3),
        ("Ignore", False, None),
    ),
    (
        "NotIn does not match a listed code",
        {"rules": [rule("Ignore", "NotIn", [3])]},
        failed(3),
        (None, True, None),
    ),
    (
        "exit code 0 never matches NotIn",
        {"rules": [rule("Ignore", "NotIn", [1])]},
        failed(0),
        (None, True, None),
    ),
    (
        "containerName restricts the match",
        {"rules": [rule("FailJob", containerName="other")]},
        failed(),
        (None, True, None),
    ),
    (
        "init containers are considered after regular ones",
        {"rules": [rule("Count", values=[7])]},
        failed(1, init={"name": "init", "state": {"terminated": {"exitCode": 7}}}),
        ("Count", True, None),
    ),
    (
        "first matching rule wins",
        {"rules": [rule("Ignore"), rule("FailJob")]},
        failed(),
        ("Ignore", False, None),
    ),
    (
        "FailJob message names the rule index",
        {"rules": [rule("Count", values=[1]), rule("FailJob")]},
        failed(),
        (
            "FailJob",
            True,
            "Container main for pod default/p1 failed with exit code 42 matching FailJob rule at index 1",
        ),
    ),
    ("FailIndex counts", {"rules": [rule("FailIndex")]}, failed(), ("FailIndex", True, None)),
    (
        "onPodConditions matches type and status",
        {
            "rules": [
                {"action": "FailJob", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}
            ]
        },
        failed(1, conditions=[{"type": "DisruptionTarget", "status": "True"}]),
        ("FailJob", True, "Pod default/p1 has condition DisruptionTarget matching FailJob rule at index 0"),
    ),
    (
        "onPodConditions status must match",
        {
            "rules": [
                {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "False"}]}
            ]
        },
        failed(1, conditions=[{"type": "DisruptionTarget", "status": "True"}]),
        (None, True, None),
    ),
]


@pytest.mark.parametrize(
    ("policy", "p", "want"), [c[1:] for c in POLICY_CASES], ids=[c[0] for c in POLICY_CASES]
)
def test_pod_failure_policy(policy: Obj | None, p: Obj, want: tuple[str | None, bool, str | None]) -> None:
    m = match_pod_failure_policy(policy, p)
    assert (m.action, m.counts, m.fail_job_message) == want


# -- success policy (R5.5) -------------------------------------------------------------

SUCCESS_CASES = [
    ("no policy", None, {0}, None),
    (
        "succeededIndexes all succeeded",
        {"rules": [{"succeededIndexes": "0-2"}]},
        {0, 1, 2},
        "Matched rules at index 0",
    ),
    ("succeededIndexes partly succeeded", {"rules": [{"succeededIndexes": "0-2"}]}, {0, 2}, None),
    ("succeededCount reached", {"rules": [{"succeededCount": 2}]}, {3, 4}, "Matched rules at index 0"),
    ("succeededCount not reached", {"rules": [{"succeededCount": 3}]}, {3, 4}, None),
    (
        "both: count of listed indexes reached",
        {"rules": [{"succeededIndexes": "0-3", "succeededCount": 2}]},
        {1, 3, 5},
        "Matched rules at index 0",
    ),
    (
        "both: unlisted indexes do not count",
        {"rules": [{"succeededIndexes": "0-1", "succeededCount": 2}]},
        {1, 3},
        None,
    ),
    (
        "second rule matches",
        {"rules": [{"succeededIndexes": "9"}, {"succeededCount": 1}]},
        {0},
        "Matched rules at index 1",
    ),
    ("nothing succeeded never matches", {"rules": [{"succeededCount": 0}]}, set(), None),
]


@pytest.mark.parametrize(
    ("policy", "done", "want"), [c[1:] for c in SUCCESS_CASES], ids=[c[0] for c in SUCCESS_CASES]
)
def test_success_policy(policy: Obj | None, done: set[int], want: str | None) -> None:
    assert match_success_policy(policy, 10, done) == want


# -- indexes (R3.8, R8.8) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("indexes", "text"),
    [({0, 1, 2, 4}, "0-2,4"), ({1, 2}, "1,2"), ({1, 3, 4, 5, 7}, "1,3-5,7"), (set(), ""), ({5}, "5")],
    ids=["range and single", "two consecutive indexes render as 1,2", "mixed", "empty", "single"],
)
def test_index_format(indexes: set[int], text: str) -> None:
    assert format_indexes(indexes) == text


@pytest.mark.parametrize(
    ("count", "completions", "taken", "want"),
    [(2, 5, set(), [0, 1]), (3, 5, {0, 2}, [1, 3, 4]), (5, 3, {1}, [0, 2]), (0, 3, set(), [])],
    ids=["lowest first", "skips taken", "never beyond completions", "none wanted"],
)
def test_first_pending(count: int, completions: int, taken: set[int], want: list[int]) -> None:
    assert first_pending(count, completions, taken) == want


def test_failure_count_annotations_inherit_and_increment() -> None:
    assert failure_count_annotations({}, None) == {"batch.kubernetes.io/job-index-failure-count": "0"}
    prev = pod("a", "Failed", annotations={"batch.kubernetes.io/job-index-failure-count": "2"})
    assert failure_count_annotations({}, prev) == {"batch.kubernetes.io/job-index-failure-count": "3"}
    ignore = {
        "podFailurePolicy": {
            "rules": [{"action": "Ignore", "onExitCodes": {"operator": "In", "values": [1]}}]
        }
    }
    assert failure_count_annotations(ignore, prev) == {
        "batch.kubernetes.io/job-index-failure-count": "2",
        "batch.kubernetes.io/job-index-ignored-failure-count": "1",
    }


def test_split_for_removal_keeps_most_progressed_duplicate() -> None:
    pods = [
        pod("a0", index=0, ready=True),
        pod("b0", index=0),
        pod("x"),
        pod("c1", index=1),
        pod("big", index=9),
    ]
    rm, left = split_for_removal(pods, 3, removal_order)
    assert sorted(p["metadata"]["name"] for p in rm) == ["b0", "big", "x"]
    assert [p["metadata"]["name"] for p in left] == ["a0", "c1"]
