"""``minik run`` against the fake API: what it applies, follows, reports, writes and deletes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .fakeapi import FakeApi, Reply, items, not_found

JOBS = "/apis/batch/v1/namespaces/default/jobs"
PODS = "/api/v1/namespaces/default/pods"
UID = "0b6d2c4e-0000-4000-8000-000000000001"

MANIFEST = """
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: busybox:latest, command: [sh, -c, "echo boom; exit 3"]}]
"""


def failed_job() -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j", "namespace": "default", "uid": UID},
        "spec": {"selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}}},
        "status": {
            "startTime": "2026-01-01T00:00:00Z",
            "failed": 1,
            "conditions": [
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                    "lastTransitionTime": "2026-01-01T00:00:02Z",
                }
            ],
        },
    }


def failed_pod() -> dict[str, Any]:
    return {
        "metadata": {
            "name": "j-abcde",
            "namespace": "default",
            "labels": {"batch.kubernetes.io/controller-uid": UID},
        },
        "spec": {"containers": [{"name": "main"}]},
        "status": {
            "phase": "Failed",
            "containerStatuses": [
                {"name": "main", "state": {"terminated": {"exitCode": 3, "reason": "Error"}}}
            ],
        },
    }


def test_a_failed_job_exits_1_logs_prefixed_junit_written_and_rm_deletes(
    api: FakeApi, tmp_path: Path
) -> None:
    manifest = tmp_path / "job.yaml"
    manifest.write_text(MANIFEST)
    api.on(
        "GET",
        f"{JOBS}/j",
        not_found("jobs.batch", "j"),
        Reply(200, failed_job()),
        Reply(200, failed_job()),
        not_found("jobs.batch", "j"),
    )
    api.on("POST", JOBS, Reply(201, failed_job()))
    api.on("GET", PODS, items(failed_pod()))
    api.on("GET", f"{PODS}/j-abcde/log", Reply(200, stream=[b"boom\n"]))
    api.on("DELETE", f"{JOBS}/j", Reply(200, failed_job()))
    report = tmp_path / "report.xml"
    code, out, err = api.run("run", "-f", str(manifest), "--rm", "--junit", str(report))
    assert code == 1, err
    assert out == "[pod/j-abcde/main] boom\n"
    assert err.splitlines() == [
        "job.batch/j created",
        "job.batch/j failed: BackoffLimitExceeded: Job has reached the specified backoff limit",
        "  pod/j-abcde: container main exited with code 3 (Error)",
        'job.batch "j" deleted',
    ]
    logs = [r for r in api.requests if r.path.endswith("/log")]
    assert logs[0].query == {"follow": "true", "container": "main"}
    delete = next(r for r in api.requests if r.method == "DELETE")
    assert delete.body["propagationPolicy"] == "Foreground"  # the pods go before the Job
    case = ET.parse(report).getroot().find("testsuite/testcase")
    assert case is not None and case.get("name") == "job.batch/j"
    assert case.findtext("system-out") == "[pod/j-abcde/main] boom\n"


def test_nothing_to_run_is_refused_before_any_request(api: FakeApi, tmp_path: Path) -> None:
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    code, _, err = api.run("run", "-f", str(manifest))
    assert code == 2 and "nothing to run: the files have no Job, CronJob or Pod" in err
    assert api.requests == []


def test_a_bad_timeout_is_a_usage_error(api: FakeApi, tmp_path: Path) -> None:
    manifest = tmp_path / "job.yaml"
    manifest.write_text(MANIFEST)
    code, _, err = api.run("run", "-f", str(manifest), "--timeout=soon")
    assert code == 2 and "invalid --timeout 'soon'" in err
