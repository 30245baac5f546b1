"""The CLI flags that follow a Job over time, end to end (issue 6).

`get -w`, `logs -l`, `logs --since`, `delete --cascade=foreground`,
`delete --all` and the live progress line of `wait` in a terminal.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from typing import Any

import docker

from tests.support import minik_command
from tests.support.kube import indexed_job

Minik = Any


def _read_until(proc: subprocess.Popen[str], done: Any, timeout: float) -> list[str]:
    """Lines of ``proc``'s stdout until ``done(lines)`` or the timeout."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done(lines):
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
    return lines


def test_get_watch_prints_the_table_once_then_a_row_per_change(minik: Minik) -> None:
    with subprocess.Popen(
        [*minik_command(), "get", "jobs", "-w"],
        env=minik.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as watch:
        try:
            time.sleep(0.5)  # the watch lists first; the Job comes after
            minik.run("apply", "-f", "-", input=indexed_job("cli-watch", '"sleep 1"'))
            lines = _read_until(
                watch, lambda ls: any(line.split()[:2] == ["cli-watch", "Complete"] for line in ls), 60
            )
        finally:
            watch.terminate()
    assert lines[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert sum(1 for line in lines if line.startswith("NAME")) == 1
    statuses = [line.split()[1] for line in lines[1:] if line.startswith("cli-watch ")]
    assert statuses[0] == "Running" and statuses[-1] == "Complete", lines
    assert [line.split()[2] for line in lines if line.startswith("cli-watch ")][-1] == "2/2"
    minik.run("delete", "job/cli-watch")


def test_logs_with_a_selector_shows_every_matching_pod(minik: Minik) -> None:
    minik.run("apply", "-f", "-", input=indexed_job("cli-logs-l", '"echo index $JOB_COMPLETION_INDEX"'))
    minik.run("wait", "--for=condition=complete", "job/cli-logs-l", "--timeout=60s")
    plain = minik.run("logs", "-l", "job-name=cli-logs-l").stdout.splitlines()
    assert sorted(plain) == ["index 0", "index 1"]
    prefixed = minik.run("logs", "-l", "job-name=cli-logs-l", "--prefix").stdout.splitlines()
    assert all(line.startswith("[pod/cli-logs-l-") and "/c] index " in line for line in prefixed)
    none = minik.run("logs", "-l", "job-name=no-such-job", check=False)
    assert none.returncode == 0 and "No resources found in default namespace." in none.stderr
    minik.run("delete", "job/cli-logs-l")


def test_logs_since_leaves_out_older_lines(minik: Minik) -> None:
    ticking = '"echo old; sleep 4; while true; do echo tick; sleep 0.3; done"'
    minik.run("apply", "-f", "-", input=indexed_job("cli-since", ticking, completions=1))
    pod = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        items = minik.json("get", "pods", "-l", "job-name=cli-since")["items"]
        if items:
            pod = items[0]["metadata"]["name"]
            if "tick" in minik.run("logs", pod, check=False).stdout:
                break
        time.sleep(0.3)
    assert pod, "no pod"
    everything = minik.run("logs", pod).stdout.splitlines()
    recent = minik.run("logs", pod, "--since=2s").stdout.splitlines()
    assert everything[0] == "old" and "old" not in recent
    assert recent and set(recent) == {"tick"}
    minik.run("delete", "job/cli-since")


def test_delete_with_cascade_foreground_returns_after_the_pods_and_containers_are_gone(
    minik: Minik, docker_client: docker.DockerClient
) -> None:
    # The pods end on SIGTERM (a shell as PID 1 ignores it otherwise and waits out the 30 s grace).
    minik.run("apply", "-f", "-", input=indexed_job("cli-fg", "\"trap 'exit 0' TERM; sleep 30 & wait\""))
    uid = minik.json("get", "job", "cli-fg")["metadata"]["uid"]
    deadline = time.monotonic() + 60
    while len(minik.json("get", "pods", "-l", "job-name=cli-fg")["items"]) < 2:
        assert time.monotonic() < deadline, "pods never appeared"
        time.sleep(0.2)
    res = minik.run("delete", "job/cli-fg", "--cascade=foreground", "--timeout=120s")
    assert res.stdout.strip() == 'job.batch "cli-fg" deleted'
    assert minik.run("get", "job", "cli-fg", check=False).returncode != 0
    assert minik.json("get", "pods", "-l", "job-name=cli-fg")["items"] == []
    deadline = time.monotonic() + 30
    while docker_client.api.containers(all=True, filters={"label": f"minik.io/job-uid={uid}"}):
        assert time.monotonic() < deadline, "the Job's containers stayed behind"
        time.sleep(0.2)


def test_delete_all_removes_every_job_of_the_namespace_and_their_pods(minik: Minik) -> None:
    for name in ("cli-all-a", "cli-all-b"):
        minik.run("apply", "-f", "-", input=indexed_job(name, completions=1))
    for name in ("cli-all-a", "cli-all-b"):
        minik.run("wait", "--for=condition=complete", f"job/{name}", "--timeout=60s")
    out = minik.run("delete", "jobs", "--all").stdout.splitlines()
    assert 'job.batch "cli-all-a" deleted' in out and 'job.batch "cli-all-b" deleted' in out
    names = {j["metadata"]["name"] for j in minik.json("get", "jobs")["items"]}
    assert not names & {"cli-all-a", "cli-all-b"}
    deadline = time.monotonic() + 30
    while minik.json("get", "pods", "-l", "job-name in (cli-all-a,cli-all-b)")["items"]:
        assert time.monotonic() < deadline, "pods of deleted Jobs stayed"
        time.sleep(0.2)


def test_wait_in_a_terminal_shows_a_live_progress_line_and_piped_output_stays_plain(minik: Minik) -> None:
    minik.run("apply", "-f", "-", input=indexed_job("cli-tty", '"sleep 1"', completions=2))
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [*minik_command(), "wait", "--for=condition=complete", "job/cli-tty", "--timeout=60s"],
        env=minik.env,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the follower side closed: the process ended
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.wait(10) == 0
    text = seen.decode(errors="replace")
    assert "\r\x1b[2Kcli-tty: " in text and "succeeded" in text
    assert "job.batch/cli-tty condition met" in text
    piped = minik.run("wait", "--for=condition=complete", "job/cli-tty", "--timeout=10s")
    assert "\x1b" not in piped.stdout + piped.stderr
    minik.run("delete", "job/cli-tty")
