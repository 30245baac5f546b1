"""``minik run -f FILE`` end to end: exit codes, live logs, --rm (also on SIGINT), --junit (schema-checked)."""

from __future__ import annotations

import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.integration.e2e.conftest import Minik, minik_command

XSD = Path(__file__).resolve().parents[2] / "fixtures" / "junit.xsd"


TERMINABLE = "trap 'exit 143' TERM; "
"""A shell as PID 1 ignores SIGTERM: without the trap each deletion waits out the 30 s grace period."""


def job(name: str, script: str, *, backoff: int = 0, extra: str = "") -> str:
    return f"""
apiVersion: batch/v1
kind: Job
metadata: {{name: {name}}}
spec:
  backoffLimit: {backoff}
{extra}  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:latest
        command: [sh, -c, {script!r}]
"""


def write(tmp_path: Path, *docs: str) -> str:
    path = tmp_path / "run.yaml"
    path.write_text("\n---\n".join(docs))
    return str(path)


def nothing_left(minik: Minik) -> None:
    for kind in ("jobs", "pods", "configmaps", "cronjobs"):
        # every namespace holds kube-root-ca.crt (the root CA publisher's, not the run's)
        res = minik.run("get", kind, "--field-selector=metadata.name!=kube-root-ca.crt", check=False)
        assert res.stdout == "", f"{kind} left: {res.stdout}"


def test_all_complete_exits_0_with_prefixed_logs_of_every_pod_and_a_cronjob_run_once(
    minik: Minik, tmp_path: Path
) -> None:
    cronjob = """
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: task, image: busybox:latest, command: [sh, -c, "echo nightly ran"]}]
"""
    indexed = job(
        "idx",
        'echo "index $JOB_COMPLETION_INDEX"',
        extra="  completions: 2\n  parallelism: 2\n  completionMode: Indexed\n",
    )
    res = minik.run("run", "-f", write(tmp_path, indexed, cronjob), "--rm", check=False, timeout=120)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert sorted(line.split("] ", 1)[1] for line in lines) == ["index 0", "index 1", "nightly ran"]
    assert any(line.startswith("[pod/idx-0-") and line.endswith("/main] index 0") for line in lines)
    assert any(line.startswith("[pod/nightly-run-") and "/task] " in line for line in lines)
    assert "job.batch/idx complete" in res.stderr
    assert "(from cronjob/nightly)" in res.stderr
    nothing_left(minik)


def test_a_failed_job_exits_1_with_its_reason_message_and_the_exit_codes(
    minik: Minik, tmp_path: Path
) -> None:
    res = minik.run(
        "run",
        "-f",
        write(tmp_path, job("ok", "echo fine"), job("bad", "echo oops; exit 7")),
        "--rm",
        check=False,
    )
    assert res.returncode == 1, res.stderr
    assert "job.batch/ok complete" in res.stderr
    assert (
        "job.batch/bad failed: BackoffLimitExceeded: Job has reached the specified backoff limit"
        in res.stderr
    )
    assert "container main exited with code 7 (Error)" in res.stderr
    assert any(line.endswith("/main] oops") for line in res.stdout.splitlines())
    nothing_left(minik)


def test_the_timeout_exits_124_and_rm_still_cleans_up(minik: Minik, tmp_path: Path) -> None:
    t = time.monotonic()
    res = minik.run(
        "run",
        "-f",
        write(tmp_path, job("slow", TERMINABLE + "sleep 60 & wait")),
        "--timeout=2s",
        "--rm",
        check=False,
    )
    assert res.returncode == 124, res.stderr
    assert "job.batch/slow did not finish within 2s" in res.stderr
    assert time.monotonic() - t < 20  # the timeout, then a graceful delete of one pod
    nothing_left(minik)


def test_logs_are_live_and_sigint_deletes_what_it_applied(minik: Minik, tmp_path: Path) -> None:
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n"
    path = write(tmp_path, config, job("live", TERMINABLE + "echo started; sleep 60 & wait; echo never"))
    proc = subprocess.Popen(
        [*minik_command(), "run", "-f", path, "--rm"],
        env=minik.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # while the Job still runs: the line came live
        assert first.startswith("[pod/live-") and first.endswith("/main] started\n"), first
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            pods = minik.run("get", "pods", "-o", "wide", check=False).stdout
            log = minik.server_log()[-4000:]
            raise AssertionError(f"minik run did not end after SIGINT; pods:\n{pods}\n{log}") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted; deleting what it applied" in err
    assert 'job.batch "live" deleted' in err and 'configmap "settings" deleted' in err
    assert "never" not in out
    nothing_left(minik)


def test_junit_report_matches_the_schema(minik: Minik, tmp_path: Path) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    report = tmp_path / "report.xml"
    path = write(tmp_path, job("pass", "echo one; echo two"), job("fail", "echo bye >&2; exit 2"))
    res = minik.run("run", "-f", path, "--junit", str(report), "--rm", check=False)
    assert res.returncode == 1, res.stderr
    xmlschema.XMLSchema(str(XSD)).validate(str(report))
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == f"minik run {path}"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"job.batch/pass", "job.batch/fail"}
    assert [
        line.split("] ", 1)[1] for line in (cases["job.batch/pass"].findtext("system-out") or "").splitlines()
    ] == [
        "one",
        "two",
    ]
    assert "bye" in (cases["job.batch/fail"].findtext("system-out") or "")
    failure = cases["job.batch/fail"].find("failure")
    assert failure is not None
    assert failure.get("message") == "BackoffLimitExceeded: Job has reached the specified backoff limit"
    nothing_left(minik)


def test_a_file_without_jobs_or_pods_is_refused_before_anything_is_applied(
    minik: Minik, tmp_path: Path
) -> None:
    res = minik.run(
        "run", "-f", write(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lone}\n"), check=False
    )
    assert res.returncode == 2
    assert "nothing to run" in res.stderr
    nothing_left(minik)
