"""minik's pytest plugin end to end: the example project passes alone and under ``-n 2``, leaving nothing.

Each case runs pytest in a subprocess with ``TMPDIR`` set to the test's own
temporary directory, so the instances the inner session makes (their state
directories, and the ``minik.io/home`` label of their networks) are found
afterwards by that path, beside other instances sharing the engine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import docker
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "pytest"


def inner_pytest(cwd: Path, tmp: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MINIK_HOME", "KUBECONFIG"))}
    env["TMPDIR"] = str(tmp)
    env.setdefault("MINIK_TIME_SCALE", "0.1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def left_behind(client: docker.DockerClient, tmp: Path) -> list[str]:
    """State directories and instance networks (their ``minik.io/home``) under ``tmp`` that still exist."""
    dirs = [str(p) for p in tmp.glob("minik-pytest-*")]
    nets = [
        n["Name"]
        for n in client.api.networks(filters={"label": ["minik.io/managed=true"]})
        if str((n.get("Labels") or {}).get("minik.io/home", "")).startswith(str(tmp))
    ]
    return dirs + nets


@pytest.mark.parametrize(
    "workers", [pytest.param([], id="one process"), pytest.param(["-n", "2"], id="xdist -n 2")]
)
def test_the_example_project_passes_and_leaves_nothing(
    docker_client: docker.DockerClient, tmp_path: Path, workers: list[str]
) -> None:
    res = inner_pytest(EXAMPLE, tmp_path, "-q", *workers)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "4 passed" in res.stdout
    assert left_behind(docker_client, tmp_path) == []


FAILING = '''
JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: broken}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: busybox:latest, command: [sh, -c, "echo cannot reach the database; exit 4"]}]
"""

def test_broken(minik_namespace):
    minik_namespace.apply(JOB)
    minik_namespace.wait("job/broken", "Complete", timeout=60)

def test_kept(minik):
    minik.apply(JOB.replace("broken", "kept").replace("exit 4", "exit 0"))
    minik.wait("job/kept")
'''


def test_a_failed_test_reports_its_job_and_failed_pods_and_keep_keeps_the_instance(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_failing.py").write_text(FAILING)
    res = inner_pytest(project, tmp_path, "--minik-keep")
    try:
        check_report_and_keep(res, docker_client, tmp_path)
    finally:  # a kept instance never outlives this test, whatever failed
        for home in tmp_path.glob("minik-pytest-*/home"):
            minik_delete(home)


def minik_delete(home: Path) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, MINIK_HOME=str(home))
    argv = [sys.executable, "-m", "minik", "server", "delete"]
    return subprocess.run(argv, env=env, capture_output=True, check=True)


def check_report_and_keep(
    res: subprocess.CompletedProcess[str], docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    assert res.returncode == 1, res.stdout + res.stderr
    out = res.stdout
    assert "WaitImpossible: job.batch/broken failed: BackoffLimitExceeded" in out
    assert "- minik: job/broken -n t-test-broken-" in out  # the report section
    assert "Pods Statuses:    0 Active (0 Ready) / 0 Succeeded / 1 Failed" in out
    assert "--- failed pod broken-" in out
    assert "container main exited with code 4 (Error)" in out
    assert "/main] cannot reach the database" in out
    assert "minik: job/kept" not in out  # a passing test adds nothing
    # --minik-keep: the instance is still there, and the summary says how to reach and remove it.
    assert "minik kept its test instance in" in out
    home = next(tmp_path.glob("minik-pytest-*")) / "home"
    env = dict(os.environ, MINIK_HOME=str(home))
    jobs = subprocess.run(
        [sys.executable, "-m", "minik", "get", "jobs", "-A"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "kept" in jobs.stdout  # (broken's namespace went with its test)
    assert f"MINIK_HOME={home} minik server delete" in out
    minik_delete(home)
    assert not home.exists()
    shutil.rmtree(home.parent)  # what remains: the manifests the handle wrote
    assert left_behind(docker_client, tmp_path) == []


def test_keep_under_xdist_names_each_workers_instance(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    res = inner_pytest(EXAMPLE, tmp_path, "-q", "-n", "2", "--minik-keep", "-k", "hello or inline")
    try:
        assert res.returncode == 0, res.stdout + res.stderr
        homes = sorted(tmp_path.glob("minik-pytest-gw*/home"))
        assert len(homes) == 2
        for home in homes:
            worker = home.parent.name.split("-")[2]
            assert f"[{worker}] minik kept its test instance in {home};" in res.stdout
    finally:
        for home in tmp_path.glob("minik-pytest-*/home"):
            minik_delete(home)
    assert [
        p for p in left_behind(docker_client, tmp_path) if not p.startswith(str(tmp_path / "minik-pytest-"))
    ] == []
