"""``minik run``'s pure parts: outcomes, failure lines, exit codes and the JUnit XML (schema-checked)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from minik.cli import run_report
from minik.cli.run_report import COMPLETE, FAILED, RUNNING, Outcome

NOW = datetime(2026, 1, 1, 12, 0, 10, tzinfo=UTC)
XSD = Path(__file__).resolve().parents[2] / "fixtures" / "junit.xsd"


def job(name: str, *conditions: tuple[str, str, str], start: str = "2026-01-01T12:00:00Z") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "default"},
        "status": {
            "startTime": start,
            "conditions": [
                {
                    "type": t,
                    "status": "True",
                    "reason": r,
                    "message": m,
                    "lastTransitionTime": "2026-01-01T12:00:04Z",
                }
                for t, r, m in conditions
            ],
            **(
                {"completionTime": "2026-01-01T12:00:03Z"}
                if any(c[0] == COMPLETE for c in conditions)
                else {}
            ),
        },
    }


def pod(name: str, phase: str, *exits: tuple[str, int, str]) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "default"},
        "status": {
            "phase": phase,
            "containerStatuses": [
                {"name": c, "state": {"terminated": {"exitCode": code, "reason": reason}}}
                for c, code, reason in exits
            ],
        },
    }


@pytest.mark.parametrize(
    ("conditions", "state", "seconds"),
    [
        pytest.param((), RUNNING, 10.0, id="no terminal condition: still running, timed from its start"),
        pytest.param(
            ((COMPLETE, "CompletionsReached", "Reached"),), COMPLETE, 3.0, id="Complete: until completionTime"
        ),
        pytest.param(
            (
                ("FailureTarget", "BackoffLimitExceeded", "x"),
                (FAILED, "BackoffLimitExceeded", "Job has reached"),
            ),
            FAILED,
            4.0,
            id="Failed: until the condition's transition",
        ),
    ],
)
def test_job_outcome(conditions: tuple[tuple[str, str, str], ...], state: str, seconds: float) -> None:
    o = run_report.job_outcome(job("j", *conditions), [], NOW)
    assert (o.state, o.seconds, o.ref) == (state, seconds, "job.batch/j")


def test_a_failed_job_names_its_reason_and_the_exit_codes_of_its_failed_pods() -> None:
    pods = [pod("j-a", "Failed", ("main", 3, "Error")), pod("j-b", "Succeeded", ("main", 0, "Completed"))]
    o = run_report.job_outcome(
        job("j", (FAILED, "BackoffLimitExceeded", "Job has reached the limit")), pods, NOW
    )
    assert run_report.summary_lines([o], timeout=None) == [
        "job.batch/j failed: BackoffLimitExceeded: Job has reached the limit",
        "  pod/j-a: container main exited with code 3 (Error)",
    ]


def test_a_pod_that_failed_without_an_exit_code_says_its_reason() -> None:
    p = pod("evicted", "Failed")
    p["status"].update(reason="Evicted", message="The node was low on memory.")
    assert run_report.pod_failures(p) == ("pod/evicted: Evicted: The node was low on memory.",)


@pytest.mark.parametrize(
    ("states", "timed_out", "code"),
    [
        pytest.param([COMPLETE, COMPLETE], False, 0, id="all Complete: 0"),
        pytest.param([COMPLETE, FAILED], False, 1, id="one Failed: 1"),
        pytest.param([FAILED, RUNNING], True, 124, id="the timeout came first: 124 even beside a failure"),
        pytest.param([COMPLETE], True, 0, id="finished as the deadline passed: the outcome counts"),
    ],
)
def test_exit_code(states: list[str], timed_out: bool, code: int) -> None:
    outcomes = [Outcome("job.batch", "default", f"j{i}", s) for i, s in enumerate(states)]
    assert run_report.exit_code(outcomes, timed_out=timed_out) == code


def test_junit_has_one_testcase_per_job_with_logs_and_the_failure_and_matches_the_schema() -> None:
    xmlschema = pytest.importorskip("xmlschema")
    outcomes = [
        Outcome("job.batch", "default", "ok", COMPLETE, seconds=2.5),
        Outcome(
            "job.batch",
            "default",
            "bad",
            FAILED,
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
            1.0,
            ("pod/bad-x: container main exited with code 7 (Error)",),
        ),
        Outcome("job.batch", "team", "slow", RUNNING, seconds=30.0),
    ]
    logs = {
        "job.batch/ok": "[pod/ok-a/main] hello\n",
        "job.batch/bad": "[pod/bad-x/main] \x1b[31mred\x1b[0m\x00\n",
    }
    data = run_report.junit_xml("minik run jobs.yaml", outcomes, logs, timeout=30)
    xmlschema.XMLSchema(str(XSD)).validate(data.decode())
    root = ET.fromstring(data)
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases) == ["job.batch/ok", "job.batch/bad", "job.batch/slow"]
    assert cases["job.batch/ok"].findtext("system-out") == "[pod/ok-a/main] hello\n"
    assert cases["job.batch/ok"].find("failure") is None
    failure = cases["job.batch/bad"].find("failure")
    assert failure is not None and failure.get("type") == "BackoffLimitExceeded"
    assert failure.get("message") == "BackoffLimitExceeded: Job has reached the specified backoff limit"
    assert "exited with code 7" in (failure.text or "")
    assert cases["job.batch/bad"].findtext("system-out") == "[pod/bad-x/main] ?[31mred?[0m?\n"
    error = cases["job.batch/slow"].find("error")
    assert error is not None and error.get("message") == "did not finish within 30s"
    assert cases["job.batch/slow"].get("classname") == "minik.team"


def test_a_job_deleted_before_it_was_seen_to_finish_is_not_a_success() -> None:
    o = run_report.vanished("job.batch", "default", "gone")
    assert run_report.exit_code([o], timed_out=False) == 1
    assert run_report.summary_lines([o], timeout=None) == [
        "job.batch/gone failed: Deleted: the job was deleted before it was seen to finish"
    ]
