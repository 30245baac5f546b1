"""CronJobs on the real clock, with real kubectl: examples/cronjob.yaml end to end.

The example (the CronJob task's ``hello``, ``* * * * *``) is applied; while the first minute runs out, kubectl
lists and describes it and instantiates it by hand (``kubectl create job
--from=cronjob/…``); then the scheduled Job must complete within about 80 s
of the apply, carry upstream's name, annotation and ownerReference, show in
``minik logs cronjob/…``, and go with its pods when the CronJob is deleted.
"""

from __future__ import annotations

import json
import re
import time

from tests.integration.e2e.cronjob_helpers import finished, jobs_of
from tests.support import EXAMPLES, Minik, kubectl
from tests.support.kube import AGE


def test_the_every_minute_example_runs_a_job_on_the_real_clock(minik: Minik) -> None:
    applied = time.monotonic()
    out = kubectl(minik, "apply", "-f", str(EXAMPLES / "cronjob.yaml"))
    assert out.stdout.strip() == "cronjob.batch/hello created"

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
    assert table[1].split()[:7] == ["hello", "*", "*", "*", "*", "*", "<none>"]
    assert kubectl(minik, "get", "cj", "hello", "-o", "name").stdout.strip() == "cronjob.batch/hello"

    made = kubectl(minik, "create", "job", "hello-by-hand", "--from=cronjob/hello").stdout.strip()
    assert made == "job.batch/hello-by-hand created"
    hand = json.loads(kubectl(minik, "get", "job", "hello-by-hand", "-o", "json").stdout)
    assert hand["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert hand["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    kubectl(minik, "wait", "--for=condition=complete", "job/hello-by-hand", "--timeout=60s")

    described = kubectl(minik, "describe", "cronjob", "hello").stdout
    for line in ("Schedule:", "Concurrency Policy:", "Successful Job History Limit:", "Active Jobs:"):
        assert line in described
    assert re.search(r"UnexpectedJob .* hello-by-hand", described), described

    def scheduled_done() -> dict | None:
        done = [
            j for j in jobs_of(minik, "hello") if j["metadata"]["name"] != "hello-by-hand" and finished(j)
        ]
        return done[0] if done else None

    job = minik.eventually("the scheduled Job to finish", scheduled_done, 85)
    assert time.monotonic() - applied < 85
    assert finished(job) == "Complete"
    name = job["metadata"]["name"]
    stamp = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    minutes = int(name.rsplit("-", 1)[1])
    assert stamp == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(minutes * 60))
    (owner,) = job["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("CronJob", "hello", True)
    assert job["metadata"]["labels"]["batch.kubernetes.io/job-name"] == name

    logs = minik.run("logs", f"job/{name}").stdout
    assert logs.endswith("Hello from the Kubernetes cluster\n")

    # Suspended, it starts nothing more; once its Jobs are done, `logs cronjob/` shows the latest.
    kubectl(minik, "patch", "cronjob", "hello", "-p", '{"spec":{"suspend":true}}')
    minik.eventually("every Job to finish", lambda: all(finished(j) for j in jobs_of(minik, "hello")), 60)
    assert "Hello from the Kubernetes cluster" in minik.run("logs", "cronjob/hello").stdout
    status = json.loads(kubectl(minik, "get", "cronjob", "hello", "-o", "json").stdout)["status"]
    assert status["lastScheduleTime"] >= stamp and "active" not in status

    # kubectl's describe page and minik's are the same (ages aside).
    # Column widths follow the ages, which may tick between the two calls: compare with runs of spaces folded.
    def page(text: str) -> str:
        return re.sub(r" +", " ", AGE.sub("AGE", text))

    ours = page(minik.run("describe", "cronjob", "hello").stdout)
    assert page(kubectl(minik, "describe", "cronjob", "hello").stdout) == ours

    assert kubectl(minik, "delete", "cronjob", "hello").stdout.strip() == 'cronjob.batch "hello" deleted'

    def all_gone() -> bool:
        return not minik.json("get", "jobs")["items"] and not minik.json("get", "pods")["items"]

    minik.eventually("the CronJob's Jobs and pods to go", all_gone, 30)
