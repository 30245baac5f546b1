"""CronJob policies on a faster clock: Forbid, Replace, history limits, suspend.

Test-only: this module's server runs with ``MINIK_CRON_TIME_RATE=20``, so a
CronJob's schedule advances twenty times faster than real time from its
creation (a minute passes every 3 s); Jobs and pods run in real time. All
four CronJobs are applied at once to one server and checked side by side.
"""

from __future__ import annotations

import pytest

from tests.integration.e2e.cronjob_helpers import cronjob_yaml, events_of, finished, jobs_of, pods_of
from tests.support import Minik, kubectl
from tests.support.fixtures import instance_environment

RATE = "20"


fast_clock = instance_environment(
    "fast_clock",
    "Request before ``minik``: CronJob schedules run RATE times faster.",
    MINIK_CRON_TIME_RATE=RATE,
)


@pytest.fixture(scope="module")
def fast(fast_clock: None, minik: Minik) -> Minik:
    return minik


def test_forbid_replace_history_and_suspend(fast: Minik) -> None:
    docs = "---\n".join(
        [
            cronjob_yaml("forbid", "sleep 7", policy="Forbid"),
            cronjob_yaml("replace", "sleep 600", policy="Replace"),
            cronjob_yaml("history", "true", keep_ok=1),
            cronjob_yaml("failing", "exit 3", keep_failed=1),
            cronjob_yaml("paused", "true", suspend=True),
        ]
    )
    fast.run("apply", "-f", "-", input=docs)

    # Replace: the running Job is deleted (with its pod) when the next one starts.
    def replaced() -> bool:
        return any(e.startswith("SuccessfulDelete: Deleted job replace-") for e in events_of(fast, "replace"))

    fast.eventually("Replace to delete the running Job", replaced, 30)
    first_deleted = next(e for e in events_of(fast, "replace") if e.startswith("SuccessfulDelete")).rsplit(
        " ", 1
    )[1]
    fast.eventually(
        "the replaced Job and its pod to go",
        lambda: (
            first_deleted not in {j["metadata"]["name"] for j in jobs_of(fast, "replace")}
            and not any(
                p["metadata"]["name"].startswith(first_deleted + "-") for p in pods_of(fast, "replace")
            )
        ),
        30,
    )
    assert len([j for j in jobs_of(fast, "replace") if not finished(j)]) <= 1

    # Forbid: while the slow Job runs, later times are skipped with JobAlreadyActive.
    fast.eventually(
        "Forbid to skip a time",
        lambda: any(e.startswith("JobAlreadyActive: Not starting job") for e in events_of(fast, "forbid")),
        30,
    )
    running = [j for j in jobs_of(fast, "forbid") if not finished(j)]
    assert len(running) <= 1, [j["metadata"]["name"] for j in running]

    # History: only the newest finished Job of each kind stays, and pods of removed Jobs go too.
    def trimmed(name: str, keep: int, kind: str) -> bool:
        deletes = [e for e in events_of(fast, name) if e.startswith("SuccessfulDelete")]
        done = [j for j in jobs_of(fast, name) if finished(j) == kind]
        return len(deletes) >= 2 and len(done) <= keep

    fast.eventually("history limits to remove old Jobs", lambda: trimmed("history", 1, "Complete"), 40)
    fast.eventually("failed history to remove old Jobs", lambda: trimmed("failing", 1, "Failed"), 40)

    def pods_match_jobs(name: str) -> bool:
        jobs = {j["metadata"]["name"] for j in jobs_of(fast, name)}
        return all(p["metadata"]["labels"]["job-name"] in jobs for p in pods_of(fast, name))

    fast.eventually(
        "pods of removed Jobs to go", lambda: pods_match_jobs("history") and pods_match_jobs("failing"), 30
    )

    # Forbid again: once the slow Job has finished, the next time starts a new one.
    fast.eventually(
        "Forbid to start again after the Job finished", lambda: len(jobs_of(fast, "forbid")) >= 2, 30
    )

    # Suspend: nothing ran while suspended; resuming runs the most recent missed time.
    assert jobs_of(fast, "paused") == []
    kubectl(fast, "patch", "cronjob", "paused", "-p", '{"spec":{"suspend":false}}')
    fast.eventually("a resumed CronJob to start a Job", lambda: jobs_of(fast, "paused"), 20)
    kubectl(fast, "patch", "cronjob", "paused", "-p", '{"spec":{"suspend":true}}')

    kubectl(fast, "delete", "cronjobs", "--all")
    fast.eventually("every CronJob's Jobs to go", lambda: not fast.json("get", "jobs")["items"], 40)
