"""CronJobs on the real clock, with real kubectl: an every-minute CronJob end to end.

One CronJob ``* * * * *`` is applied; while the first minute runs out, kubectl
lists and describes it and instantiates it by hand (``kubectl create job
--from=cronjob/…``); then the scheduled Job must complete within about 80 s
of the apply, carry upstream's name, annotation and ownerReference, show in
``minik logs cronjob/…``, and go with its pods when the CronJob is deleted.
"""

from __future__ import annotations

import json
import re
import time

from tests.integration.e2e.conftest import Minik
from tests.integration.e2e.cronjob_helpers import cronjob_yaml, finished, jobs_of, pods_of, until
from tests.integration.e2e.test_kubectl import kubectl


def test_an_every_minute_cronjob_runs_a_job_on_the_real_clock(minik: Minik) -> None:
    applied = time.monotonic()
    out = kubectl(minik, "apply", "-f", "-", input=cronjob_yaml("every", "echo tick from $HOSTNAME"))
    assert out.stdout.strip() == "cronjob.batch/every created"

    table = kubectl(minik, "get", "cronjobs").stdout.splitlines()
    assert table[0].split() == [
        "NAME",
        "SCHEDULE",
        "TIMEZONE",
        "SUSPEND",
        "ACTIVE",
        "LAST",
        "SCHEDULE",
        "AGE",
    ]
    assert table[1].split()[:7] == ["every", "*", "*", "*", "*", "*", "<none>"]
    assert kubectl(minik, "get", "cj", "every", "-o", "name").stdout.strip() == "cronjob.batch/every"

    made = kubectl(minik, "create", "job", "every-by-hand", "--from=cronjob/every").stdout.strip()
    assert made == "job.batch/every-by-hand created"
    hand = json.loads(kubectl(minik, "get", "job", "every-by-hand", "-o", "json").stdout)
    assert hand["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert hand["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    kubectl(minik, "wait", "--for=condition=complete", "job/every-by-hand", "--timeout=60s")

    described = kubectl(minik, "describe", "cronjob", "every").stdout
    for line in ("Schedule:", "Concurrency Policy:", "Successful Job History Limit:", "Active Jobs:"):
        assert line in described
    assert re.search(r"UnexpectedJob .* every-by-hand", described), described

    def scheduled_done() -> dict | None:
        done = [
            j for j in jobs_of(minik, "every") if j["metadata"]["name"] != "every-by-hand" and finished(j)
        ]
        return done[0] if done else None

    job = until("the scheduled Job to finish", scheduled_done, 85, minik)
    assert time.monotonic() - applied < 85
    assert finished(job) == "Complete"
    name = job["metadata"]["name"]
    stamp = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    minutes = int(name.rsplit("-", 1)[1])
    assert stamp == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(minutes * 60))
    (owner,) = job["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("CronJob", "every", True)
    assert job["metadata"]["labels"]["app"] == "every"

    logs = minik.run("logs", "cronjob/every").stdout
    assert f"tick from {name}-" in logs
    status = json.loads(kubectl(minik, "get", "cronjob", "every", "-o", "json").stdout)["status"]
    assert status["lastScheduleTime"] == stamp

    assert kubectl(minik, "delete", "cronjob", "every").stdout.strip() == 'cronjob.batch "every" deleted'
    until(
        "the CronJob's Jobs and pods to go",
        lambda: not jobs_of(minik, "every") and not pods_of(minik, "every"),
        30,
        minik,
    )
