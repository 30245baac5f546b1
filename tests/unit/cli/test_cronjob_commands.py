"""CronJob commands against a fake API: get, describe (kubectl's layout), logs, create job --from."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from minik.k8s import rfc3339
from tests.unit.controllers import builders

from .fakeapi import FakeApi, Reply, items
from .objects import T0, job, pod

CRONJOBS = "/apis/batch/v1/namespaces/default/cronjobs"
JOBS = "/apis/batch/v1/namespaces/default/jobs"
PODS = "/api/v1/namespaces/default/pods"
EVENTS = "/api/v1/namespaces/default/events"
CJ_UID = "cj-uid-1"


def cronjob(**status: Any) -> dict[str, Any]:
    return builders.cronjob(
        created=T0 - timedelta(minutes=5),
        status=status,
        meta={"name": "hello", "uid": CJ_UID},
        template={
            "restartPolicy": "OnFailure",
            "containers": [{"name": "hello", "image": "busybox:latest", "command": ["date"]}],
        },
        schedule="*/1 * * * *",
        concurrencyPolicy="Forbid",
    )


def test_get_cronjobs_prints_kubectls_columns(api: FakeApi) -> None:
    api.on("GET", CRONJOBS, items(cronjob(lastScheduleTime=rfc3339(T0 - timedelta(seconds=30)))))
    code, out, _ = api.run("get", "cj")
    assert code == 0
    assert out.splitlines() == [
        "NAME    SCHEDULE      TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE",
        "hello   */1 * * * *   <none>     False     0        30s             5m",
    ]


def test_describe_cronjob_follows_kubectls_describe_cronjob(api: FakeApi) -> None:
    active = {"kind": "Job", "name": "hello-1", "namespace": "default", "uid": "u1", "apiVersion": "batch/v1"}
    api.on("GET", f"{CRONJOBS}/hello", Reply(200, cronjob(lastScheduleTime=rfc3339(T0), active=[active])))
    api.on("GET", EVENTS, items())
    code, out, _ = api.run("describe", "cronjob/hello")
    assert code == 0
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[:14] == [
        "Name:                          hello",
        "Namespace:                     default",
        "Labels:                        <none>",
        "Annotations:                   <none>",
        "Schedule:                      */1 * * * *",
        "Concurrency Policy:            Forbid",
        "Suspend:                       False",
        "Successful Job History Limit:  3",
        "Failed Job History Limit:      1",
        "Starting Deadline Seconds:     <unset>",
        "Selector:                      <unset>",
        "Parallelism:                   <unset>",
        "Completions:                   <unset>",
        "Pod Template:",
    ]
    assert f"Last Schedule Time:  {T0.strftime('%a, %d %b %Y %H:%M:%S')} +0000" in lines
    assert "Active Jobs:         hello-1" in lines
    assert lines[-1] == "Events:              <none>"


def test_create_job_from_cronjob_sends_what_kubectl_sends(api: FakeApi) -> None:
    api.on("GET", f"{CRONJOBS}/hello", Reply(200, cronjob()))
    api.on("POST", JOBS, lambda req: Reply(201, req.body))
    code, out, _ = api.run("create", "job", "manual-1", "--from=cronjob/hello")
    assert (code, out) == (0, "job.batch/manual-1 created\n")
    sent = api.requests[-1].body
    assert sent["metadata"] == {
        "name": "manual-1",
        "annotations": {"cronjob.kubernetes.io/instantiate": "manual", "team": "a"},
        "labels": {"app": "hello"},
        "ownerReferences": [
            {"apiVersion": "batch/v1", "kind": "CronJob", "name": "hello", "uid": CJ_UID, "controller": True}
        ],
    }
    assert sent["spec"] == cronjob()["spec"]["jobTemplate"]["spec"]


def test_create_job_needs_a_cronjob_source(api: FakeApi) -> None:
    code, _, err = api.run("create", "job", "x", "--from=deployment/web")
    assert code == 2 and "unknown object type deployment" in err


def test_logs_of_a_cronjob_are_its_latest_jobs(api: FakeApi) -> None:
    owned = {"ownerReferences": [{"kind": "CronJob", "name": "hello", "uid": CJ_UID, "controller": True}]}
    old, new = (
        job(n, selector={"matchLabels": {"batch.kubernetes.io/job-name": n}}) for n in ("hello-1", "hello-2")
    )
    for j, age in ((old, 120), (new, 60)):
        j["metadata"].update(owned, creationTimestamp=rfc3339(T0 - timedelta(seconds=age)))
    api.on("GET", f"{CRONJOBS}/hello", Reply(200, cronjob()))
    api.on("GET", JOBS, items(old, new, job("other")))
    p = pod("hello-2-abcde", phase="Succeeded")
    api.on("GET", PODS, lambda req: items(p) if "hello-2" in req.query.get("labelSelector", "") else items())
    api.on("GET", f"{PODS}/hello-2-abcde/log", Reply(200, stream=[b"hi\n"]))
    code, out, err = api.run("logs", "cronjob/hello")
    assert code == 0, err
    assert out == "hi\n"
