"""The two Kubernetes tutorials, unchanged, end to end through the minik CLI.

The work-queue Job is the tutorial's but for the worker's pretend work per
item (``WORK_SECONDS=2``, the worker's own setting, instead of its 10 s):
nine items then take about 10 s instead of 50 s, still long enough for
both workers to take some.
"""

from __future__ import annotations

import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml

from minik.k8s import parse_time

INDEX_LABEL = "batch.kubernetes.io/job-completion-index"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
Minik = Any  # the `minik` fixture (conftest.Minik)


def pods_by_index(minik: Minik, job: str) -> dict[int, dict]:
    pods = minik.json("get", "pods", "-l", f"job-name={job}")["items"]
    return {int(p["metadata"]["labels"][INDEX_LABEL]): p for p in pods}


def max_concurrent(pods: list[dict]) -> int:
    """Most pods whose app containers ran at the same moment."""
    marks: list[tuple[datetime, int]] = []
    for p in pods:
        for cs in p["status"].get("containerStatuses") or []:
            term = (cs.get("state") or {}).get("terminated") or {}
            start, end = parse_time(term.get("startedAt")), parse_time(term.get("finishedAt"))
            if start and end:
                marks += [(start, 1), (end, -1)]
    best = cur = 0
    for _, d in sorted(marks, key=lambda m: (m[0], m[1])):
        cur += d
        best = max(best, cur)
    return best


def assert_no_docker_objects_for(client: docker.DockerClient, job_uid: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        left = client.api.containers(all=True, filters={"label": [f"minik.io/job-uid={job_uid}"]})
        vols = client.api.volumes(filters={"label": [f"minik.io/job-uid={job_uid}"]}).get("Volumes") or []
        if not left and not vols:
            return
        time.sleep(0.2)
    raise AssertionError(f"after delete, Docker still has {left} {vols}")


def test_indexed_job_tutorial_prints_the_reversed_strings(
    minik: Minik, docker_client: docker.DockerClient
) -> None:
    out = minik.run("apply", "-f", str(EXAMPLES / "indexed-job.yaml")).stdout
    assert out.strip() == "job.batch/indexed-job created"
    minik.run("wait", "--for=condition=complete", "job/indexed-job", "--timeout=180s")

    describe = minik.run("describe", "job/indexed-job").stdout
    assert "Completed Indexes:  0-4" in describe
    assert "/ 5 Succeeded / 0 Failed" in describe
    assert "Completion Mode:    Indexed" in describe

    pods = pods_by_index(minik, "indexed-job")
    assert sorted(pods) == [0, 1, 2, 3, 4]
    expected = ["oof", "rab", "zab", "xuq", "zyx"]
    for index, want in enumerate(expected):
        log = minik.run("logs", f"pod/{pods[index]['metadata']['name']}").stdout
        assert log == want + "\n", f"index {index}"
    assert max_concurrent(list(pods.values())) <= 3

    logs = minik.run("logs", "job/indexed-job").stdout
    for want in expected:
        assert want in logs

    job = minik.json("get", "job", "indexed-job")
    assert job["status"]["succeeded"] == 5
    assert job["status"]["completedIndexes"] == "0-4"
    types = [(c["type"], c["status"], c.get("reason")) for c in job["status"]["conditions"]]
    assert types == [
        ("SuccessCriteriaMet", "True", "CompletionsReached"),
        ("Complete", "True", "CompletionsReached"),
    ]

    out = minik.run("delete", "-f", str(EXAMPLES / "indexed-job.yaml")).stdout
    assert out.strip() == 'job.batch "indexed-job" deleted'
    assert_no_docker_objects_for(docker_client, job["metadata"]["uid"])
    assert minik.run("get", "pods", "-l", "job-name=indexed-job", check=False).stdout.strip() == ""


def test_indexed_job_with_downward_api_volume_reverses_each_index(
    minik: Minik, docker_client: docker.DockerClient
) -> None:
    minik.run("apply", "-f", str(EXAMPLES / "indexed-job-vol.yaml"))
    minik.run("wait", "--for=condition=complete", "job/indexed-job", "--timeout=180s")
    pods = pods_by_index(minik, "indexed-job")
    assert sorted(pods) == [0, 1, 2, 3, 4]
    for index, pod in pods.items():
        log = minik.run("logs", pod["metadata"]["name"]).stdout
        assert log.strip() == str(index)[::-1]
    job = minik.json("get", "job", "indexed-job")
    minik.run("delete", "job/indexed-job")
    assert_no_docker_objects_for(docker_client, job["metadata"]["uid"])


@pytest.fixture(scope="module")
def worker_image(docker_client: docker.DockerClient) -> str:
    subprocess.run(
        ["docker", "build", "-q", "-t", "job-wq-2", str(EXAMPLES / "work-queue" / "worker")],
        check=True,
        capture_output=True,
        env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/local/bin:/usr/bin:/bin"},
    )
    return "job-wq-2"


def redis_cli(minik: Minik, *args: str) -> str:
    pod = minik.json("get", "pod", "redis-master")
    ip = pod["status"]["podIP"]
    res = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            f"minik-{minik.instance}",
            "redis",
            "redis-cli",
            "-h",
            ip,
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return res.stdout


def test_work_queue_tutorial_processes_each_item_exactly_once(minik: Minik, worker_image: str) -> None:
    wq = EXAMPLES / "work-queue"
    minik.run("apply", "-f", str(wq / "redis-pod.yaml"), "-f", str(wq / "redis-service.yaml"))
    minik.run("apply", "-f", str(wq / "fill-queue.yaml"))
    minik.run("wait", "--for=condition=complete", "job/fill-queue", "--timeout=120s")
    job_doc = yaml.safe_load((wq / "job.yaml").read_text())
    job_doc["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "WORK_SECONDS", "value": "2"}]
    minik.run("apply", "-f", "-", input=yaml.safe_dump(job_doc))
    minik.run("wait", "--for=condition=complete", "job/job-wq-2", "--timeout=300s")

    job = minik.json("get", "job", "job-wq-2")
    assert job["status"]["succeeded"] >= 1
    assert job["status"].get("active", 0) == 0
    pods = minik.json("get", "pods", "-l", "job-name=job-wq-2")["items"]
    assert len(pods) == 2
    assert all(p["status"]["phase"] == "Succeeded" for p in pods)

    completed = redis_cli(minik, "hgetall", "job2:completed").split()
    counts = dict(zip(completed[::2], completed[1::2], strict=True))
    fruit = ["apple", "banana", "cherry", "date", "fig", "grape", "lemon", "melon", "orange"]
    assert counts == {f: "1" for f in fruit}
    workers = redis_cli(minik, "hgetall", "job2:workers").split()
    assert len(workers) == 4, f"both workers did work: {workers}"

    logs = minik.run("logs", "job/job-wq-2").stdout
    assert logs.count("Queue empty, exiting") == 2
    for f in fruit:
        assert f"Working on {f}" in logs
    minik.run("delete", "-f", str(wq / "job.yaml"), "-f", str(wq / "fill-queue.yaml"))
    minik.run("delete", "-f", str(wq / "redis-pod.yaml"), "-f", str(wq / "redis-service.yaml"))
