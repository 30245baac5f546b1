"""Every minik command end to end against a real engine (issue 6)."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import yaml

from tests.support import Minik
from tests.support.kube import indexed_job


def test_apply_reports_created_unchanged_configured_and_dry_run_changes_nothing(minik: Minik) -> None:
    manifest = indexed_job("cli-apply")
    dry = minik.run("apply", "--dry-run=client", "-o", "yaml", "-f", "-", input=manifest).stdout
    assert yaml.safe_load(dry)["spec"]["backoffLimit"] == 6  # defaulted
    assert minik.run("get", "job", "cli-apply", check=False).returncode != 0
    assert minik.run("apply", "-f", "-", input=manifest).stdout.strip() == "job.batch/cli-apply created"
    assert minik.run("apply", "-f", "-", input=manifest).stdout.strip() == "job.batch/cli-apply unchanged"
    changed = manifest.replace("parallelism: 2", "parallelism: 1")
    assert minik.run("apply", "-f", "-", input=changed).stdout.strip() == "job.batch/cli-apply configured"
    immutable = manifest.replace("completions: 2", "completions: 3").replace(
        "parallelism: 2", "parallelism: 2"
    )
    res = minik.run(
        "apply",
        "-f",
        "-",
        input=immutable.replace("image: busybox:latest", "image: bash:latest"),
        check=False,
    )
    assert res.returncode != 0
    assert "spec.template" in res.stderr and "immutable" in res.stderr
    minik.run("wait", "--for=condition=complete", "job/cli-apply", "--timeout=60s")
    minik.run("delete", "job/cli-apply")


def test_an_invalid_file_is_located_and_nothing_is_applied(minik: Minik, tmp_path: Any) -> None:
    good = indexed_job("cli-good")
    bad = indexed_job("cli-bad").replace("        image: busybox:latest\n", "")
    f = tmp_path / "two.yaml"
    f.write_text(good + "---\n" + bad)
    res = minik.run("apply", "-f", str(f), check=False)
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert (
        f"{f}:" in res.stderr
        and 'Job "cli-bad": spec.template.spec.containers[0].image: Required value' in res.stderr
    )
    assert minik.run("get", "job", "cli-good", check=False).returncode != 0


def test_get_describe_and_logs_show_a_finished_job(minik: Minik) -> None:
    minik.run("apply", "-f", "-", input=indexed_job("cli-get"))
    minik.run("wait", "--for=condition=complete", "job/cli-get", "--timeout=60s")

    table = minik.run("get", "jobs").stdout.splitlines()
    assert table[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    row = next(line.split() for line in table if line.startswith("cli-get "))
    assert row[1:3] == ["Complete", "2/2"]
    assert "CONTAINERS" in minik.run("get", "jobs", "-o", "wide").stdout
    assert minik.run("get", "jobs", "-l", "team=a", "-o", "name").stdout.split() == ["job.batch/cli-get"]
    assert minik.run("get", "job", "cli-get", "-o", "jsonpath={.status.succeeded}").stdout == "2"
    assert yaml.safe_load(minik.run("get", "job", "cli-get", "-o", "yaml").stdout)["kind"] == "Job"
    assert "cli-get" in minik.run("get", "jobs", "-A").stdout
    pods = minik.run("get", "pods", "-l", "job-name=cli-get").stdout.splitlines()
    assert pods[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert all(" Completed " in line for line in pods[1:])

    describe = minik.run("describe", "job/cli-get").stdout
    assert "Pods Statuses:      0 Active (0 Ready) / 2 Succeeded / 0 Failed" in describe
    assert "Created pod: cli-get-0-" in describe
    pod = minik.json("get", "pods", "-l", "job-name=cli-get")["items"][0]["metadata"]["name"]
    assert "Controlled By:  Job/cli-get" in minik.run("describe", f"pod/{pod}").stdout

    logs = minik.run("logs", "job/cli-get").stdout.splitlines()
    assert any(line.endswith("/c] index 0") for line in logs) and any(
        line.endswith("/c] index 1") for line in logs
    )
    assert minik.run("logs", pod, "--tail=1").stdout.startswith("index ")
    stamped = minik.run("logs", pod, "--timestamps").stdout.splitlines()[0]
    assert stamped.split(" ", 1)[1] == "line1" and stamped[:4].isdigit()
    assert minik.run("logs", pod, "--prefix").stdout.startswith(f"[pod/{pod}/c] line1")

    events = minik.run("get", "events").stdout
    assert "SuccessfulCreate" in events and "job/cli-get" in events
    minik.run("delete", "job/cli-get")


def test_previous_logs_of_an_onfailure_restart_stay_readable(minik: Minik) -> None:
    cmd = '"echo attempt; exit 1"'
    minik.run(
        "apply",
        "-f",
        "-",
        input=indexed_job("cli-prev", cmd, completions=1, restart="OnFailure").replace(
            "completionMode: Indexed", "backoffLimit: 3\n  completionMode: Indexed"
        ),
    )
    deadline = time.monotonic() + 60
    pod = None
    while time.monotonic() < deadline:
        items = minik.json("get", "pods", "-l", "job-name=cli-prev")["items"]
        statuses = (items[0].get("status") or {}).get("containerStatuses") if items else None
        if statuses and statuses[0].get("restartCount", 0) >= 1:
            pod = items[0]["metadata"]["name"]
            break
        time.sleep(0.2)
    assert pod, "the container was never restarted"
    assert minik.run("logs", pod, "--previous").stdout == "attempt\n"
    minik.run("wait", "--for=condition=failed", "job/cli-prev", "--timeout=60s")
    res = minik.run("wait", "--for=condition=complete", "job/cli-prev", "--timeout=30s", check=False)
    assert res.returncode == 2 and "BackoffLimitExceeded" in res.stderr
    minik.run("delete", "job/cli-prev")


def test_logs_follow_streams_until_the_job_ends(minik: Minik) -> None:
    minik.run("apply", "-f", "-", input=indexed_job("cli-follow", '"echo start; sleep 1; echo end"'))
    res = minik.run("logs", "-f", "job/cli-follow", timeout=60)
    assert res.stdout.count("end") == 2
    minik.run("delete", "job/cli-follow")


def test_wait_times_out_with_exit_code_1(minik: Minik) -> None:
    minik.run("apply", "-f", "-", input=indexed_job("cli-slow", '"sleep 30"', completions=1))
    res = minik.run("wait", "--for=condition=complete", "job/cli-slow", "--timeout=1s", check=False)
    assert res.returncode == 1
    assert "timed out waiting for the condition on jobs/cli-slow" in res.stderr
    minik.run("delete", "job/cli-slow")


def test_delete_with_cascade_orphan_keeps_the_pods(minik: Minik) -> None:
    minik.run("apply", "-f", "-", input=indexed_job("cli-orphan"))
    minik.run("wait", "--for=condition=complete", "job/cli-orphan", "--timeout=60s")
    minik.run("delete", "job/cli-orphan", "--cascade=orphan")
    pods = minik.json("get", "pods", "-l", "job-name=cli-orphan")["items"]
    assert len(pods) == 2
    assert all(not p["metadata"].get("ownerReferences") for p in pods)
    minik.run("delete", "pods", "-l", "job-name=cli-orphan")
    assert minik.json("get", "pods", "-l", "job-name=cli-orphan")["items"] == []


def test_server_status_and_kubeconfig(minik: Minik) -> None:
    assert "running" in minik.run("server", "status").stdout.lower()
    path = minik.run("kubeconfig").stdout.strip()
    assert path == str(minik.home / "kubeconfig")
    assert oct((minik.home / "kubeconfig").stat().st_mode & 0o777) == "0o600"
    assert oct((minik.home / "token").stat().st_mode & 0o777) == "0o600"
    res = subprocess.run(
        ["kubectl", "--kubeconfig", path, "get", "ns", "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "default" in {n["metadata"]["name"] for n in json.loads(res.stdout)["items"]}
