"""The Job controller's rules on a real engine, driven by real kubectl.

Each scenario applies a small Job through kubectl (with minik's kubeconfig)
and checks the conditions, counts and events Kubernetes would show. Delays
are scaled by MINIK_TIME_SCALE=0.1 (pod-failure backoff 1 s, 2 s, …).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support import Minik, kubectl


def get_job(minik: Minik, name: str) -> dict[str, Any]:
    return json.loads(kubectl(minik, "get", "job", name, "-o", "json").stdout)


def job_pods(minik: Minik, name: str) -> list[dict[str, Any]]:
    return json.loads(kubectl(minik, "get", "pods", "-l", f"job-name={name}", "-o", "json").stdout)["items"]


def conditions(job: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c["type"], c["status"], c.get("reason", "")) for c in job["status"].get("conditions") or []]


def kubectl_wait(minik: Minik, name: str, condition: str, timeout: int = 90) -> dict[str, Any]:
    kubectl(minik, "wait", f"--for=condition={condition}", f"job/{name}", f"--timeout={timeout}s")
    return get_job(minik, name)


def apply(minik: Minik, manifest: str) -> None:
    kubectl(minik, "apply", "-f", "-", input=manifest)


def job_yaml(name: str, spec: str, pod: str, *, restart: str = "Never", extra_pod: str = "") -> str:
    return f"""apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
spec:
{spec}
  template:
    spec:
      restartPolicy: {restart}
      terminationGracePeriodSeconds: 1
{extra_pod}      containers:
      - name: c
        image: busybox:latest
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", {json.dumps(pod)}]
"""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:5]}"


def test_a_failing_pod_is_retried_until_backoff_limit_then_the_job_fails(minik: Minik) -> None:
    name = unique("bol")
    apply(minik, job_yaml(name, "  backoffLimit: 2", "exit 1"))
    job = kubectl_wait(minik, name, "failed")
    assert conditions(job) == [
        ("FailureTarget", "True", "BackoffLimitExceeded"),
        ("Failed", "True", "BackoffLimitExceeded"),
    ]
    assert job["status"]["failed"] == 3
    assert "completionTime" not in job["status"]
    assert len(job_pods(minik, name)) == 3
    events = json.loads(
        kubectl(
            minik, "get", "events", "--field-selector", f"involvedObject.name={name}", "-o", "json"
        ).stdout
    )["items"]
    assert ("Warning", "BackoffLimitExceeded") in {(e["type"], e["reason"]) for e in events}


def test_pod_failure_policy_failjob_on_an_exit_code_fails_the_job_at_once(minik: Minik) -> None:
    name = unique("pfp")
    spec = """  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes:
        containerName: c
        operator: In
        values: [42]"""
    apply(minik, job_yaml(name, spec, "exit 42"))
    job = kubectl_wait(minik, name, "failed")
    assert conditions(job)[-1] == ("Failed", "True", "PodFailurePolicy")
    pod = job_pods(minik, name)[0]["metadata"]["name"]
    assert job["status"]["conditions"][-1]["message"] == (
        f"Container c for pod default/{pod} failed with exit code 42 matching FailJob rule at index 0"
    )
    assert job["status"]["failed"] == 1


def test_pod_failure_policy_ignore_does_not_count_the_failure(minik: Minik, tmp_path: Path) -> None:
    name = unique("ign")
    spec = """  backoffLimit: 0
  podFailurePolicy:
    rules:
    - action: Ignore
      onExitCodes:
        operator: In
        values: [3]"""
    script = "if [ -e /state/once ]; then exit 0; fi; touch /state/once; exit 3"
    volume = f"""      volumes:
      - name: state
        hostPath:
          path: {tmp_path}
          type: DirectoryOrCreate
"""
    manifest = job_yaml(name, spec, script, extra_pod=volume).replace(
        "        command:",
        "        volumeMounts:\n        - {name: state, mountPath: /state}\n        command:",
    )
    apply(minik, manifest)
    job = kubectl_wait(minik, name, "complete")
    assert job["status"].get("failed", 0) == 0
    assert job["status"]["succeeded"] == 1
    assert len(job_pods(minik, name)) == 2


def test_backoff_limit_per_index_ends_with_failed_indexes(minik: Minik) -> None:
    name = unique("bpi")
    spec = """  completions: 3
  parallelism: 3
  completionMode: Indexed
  backoffLimitPerIndex: 1"""
    apply(minik, job_yaml(name, spec, 'if [ "$JOB_COMPLETION_INDEX" = 1 ]; then exit 1; fi'))
    job = kubectl_wait(minik, name, "failed")
    assert conditions(job)[-1] == ("Failed", "True", "FailedIndexes")
    assert job["status"]["failedIndexes"] == "1"
    assert job["status"]["completedIndexes"] == "0,2"
    assert job["status"]["failed"] == 2  # index 1 ran backoffLimitPerIndex + 1 times


def test_active_deadline_seconds_fails_a_running_job(minik: Minik) -> None:
    name = unique("ads")
    apply(minik, job_yaml(name, "  activeDeadlineSeconds: 2", "sleep 60"))
    start = time.monotonic()
    job = kubectl_wait(minik, name, "failed")
    assert time.monotonic() - start < 30
    assert conditions(job)[-1] == ("Failed", "True", "DeadlineExceeded")
    assert job["status"]["conditions"][-1]["message"] == "Job was active longer than specified deadline"
    assert job["status"]["failed"] == 1


def test_success_policy_completes_the_job_and_removes_the_other_pods(minik: Minik) -> None:
    name = unique("sp")
    spec = """  completions: 3
  parallelism: 3
  completionMode: Indexed
  successPolicy:
    rules:
    - succeededIndexes: "0"
"""
    apply(
        minik,
        job_yaml(name, spec.rstrip("\n"), 'if [ "$JOB_COMPLETION_INDEX" = 0 ]; then exit 0; fi; sleep 60'),
    )
    job = kubectl_wait(minik, name, "complete")
    assert conditions(job) == [
        ("SuccessCriteriaMet", "True", "SuccessPolicy"),
        ("Complete", "True", "SuccessPolicy"),
    ]
    assert job["status"]["conditions"][-1]["message"] == "Matched rules at index 0"
    assert job["status"]["completedIndexes"] == "0"
    assert job["status"].get("failed", 0) == 0


def test_a_suspended_job_runs_nothing_until_resumed(minik: Minik) -> None:
    name = unique("sus")
    apply(minik, job_yaml(name, "  suspend: true", "true"))
    deadline = time.monotonic() + 10
    while not get_job(minik, name).get("status", {}).get("conditions") and time.monotonic() < deadline:
        time.sleep(0.1)
    job = get_job(minik, name)
    assert conditions(job) == [("Suspended", "True", "JobSuspended")]
    assert "startTime" not in job["status"]
    assert job_pods(minik, name) == []
    kubectl(minik, "patch", "job", name, "--type=merge", "-p", '{"spec":{"suspend":false}}')
    job = kubectl_wait(minik, name, "complete")
    assert ("Suspended", "False", "JobResumed") in conditions(job)


def test_ttl_after_finished_deletes_the_job_and_its_pods(minik: Minik) -> None:
    name = unique("ttl")
    apply(minik, job_yaml(name, "  ttlSecondsAfterFinished: 1", "true"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if kubectl(minik, "get", "job", name, check=False).returncode != 0:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the Job was not deleted after its TTL")
    deadline = time.monotonic() + 30
    while job_pods(minik, name) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job_pods(minik, name) == []


def test_onfailure_restarts_count_against_the_backoff_limit(minik: Minik) -> None:
    name = unique("onf")
    apply(minik, job_yaml(name, "  backoffLimit: 2", "exit 1", restart="OnFailure"))
    job = kubectl_wait(minik, name, "failed")
    assert conditions(job)[-1] == ("Failed", "True", "BackoffLimitExceeded")
    assert job["status"]["failed"] == 1
