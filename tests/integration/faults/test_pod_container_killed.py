"""A pod's container killed (``docker kill``) or removed (``docker rm -f``) from outside minik.

The pod must fail with a reason, the Job must count that failure against
``backoffLimit`` and retry, and ``minik describe`` must explain it. A second
case spends the whole backoffLimit so the Job fails with
``BackoffLimitExceeded``. ``MINIK_FAULT_POD_KILL_TRIALS`` repeats the cases.
"""

from __future__ import annotations

import json
import time
from typing import Any

import docker
import pytest

from tests.integration.faults.conftest import KILL_TRIALS
from tests.support import Minik, eventually, job_yaml


def outside_job(name: str, *, backoff: int, seconds: int) -> str:
    """A Job whose container ``work`` sleeps ``seconds`` (300 where ``/stay`` exists), grace 1 s."""
    command = f"if [ -e /stay ]; then sleep 300; fi; sleep {seconds}"
    return job_yaml(name, command, backoff_limit=backoff, container="work", grace=1)


def running_container(docker_client: docker.DockerClient, minik: Minik, pod: str) -> dict[str, Any] | None:
    found = docker_client.api.containers(
        filters={
            "label": [
                f"minik.io/instance={minik.instance}",
                f"minik.io/pod-name={pod}",
                "minik.io/container=work",
            ],
            "status": "running",
        }
    )
    return found[0] if found else None


def pods_of(minik: Minik, job: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = minik.json("get", "pods", "-l", f"job-name={job}")["items"]
    return sorted(items, key=lambda p: p["metadata"]["creationTimestamp"])


def hurt(docker_client: docker.DockerClient, minik: Minik, job: str, action: str, skip: set[str]) -> str:
    """Wait for a new running pod of ``job``, then kill or remove its container from outside."""

    def target() -> tuple[str, dict[str, Any]] | None:
        for pod in pods_of(minik, job):
            name = pod["metadata"]["name"]
            if name not in skip:
                c = running_container(docker_client, minik, name)
                if c is not None:
                    return name, c
        return None

    name, container = eventually(f"a running pod of {job}", target, timeout=60)
    if action == "kill":
        docker_client.api.kill(container["Id"])
    else:
        docker_client.api.remove_container(container["Id"], force=True)
    return str(name)


def failed_reason(minik: Minik, pod: str) -> dict[str, Any] | None:
    obj = minik.json("get", "pod", pod)
    if obj["status"].get("phase") != "Failed":
        return None
    statuses = obj["status"].get("containerStatuses") or []
    terminated = (statuses[0].get("state") or {}).get("terminated") if statuses else None
    return terminated or {"reason": obj["status"].get("reason", ""), "exitCode": None}


@pytest.mark.parametrize("trial", range(KILL_TRIALS))
@pytest.mark.parametrize("action", ["kill", "rm"])
def test_a_container_killed_from_outside_fails_its_pod_and_the_job_retries(
    minik: Minik, docker_client: docker.DockerClient, action: str, trial: int
) -> None:
    name = f"outside-{action}-{trial}"
    minik.run("apply", "-f", "-", input=outside_job(name, backoff=2, seconds=4))
    victim = hurt(docker_client, minik, name, action, set())
    started = time.monotonic()
    terminated = eventually(f"pod {victim} to fail", lambda: failed_reason(minik, victim), timeout=30)
    noticed = time.monotonic() - started
    assert terminated.get("reason"), terminated
    assert terminated.get("exitCode") not in (0, None), terminated

    minik.run("wait", "--for=condition=complete", f"job/{name}", "--timeout=90s")
    job = minik.json("get", "job", name)
    assert job["status"].get("failed") == 1 and job["status"].get("succeeded") == 1, job["status"]

    pod_text = minik.run("describe", f"pod/{victim}").stdout
    assert "Failed" in pod_text and str(terminated["reason"]) in pod_text, pod_text
    job_text = minik.run("describe", f"job/{name}").stdout
    assert "1 Succeeded / 1 Failed" in job_text, job_text
    print(json.dumps({"action": action, "noticed_s": round(noticed, 2), "reason": terminated["reason"]}))
    minik.run("delete", f"job/{name}")


@pytest.mark.parametrize("action", ["kill", "rm"])
def test_containers_killed_past_the_backoff_limit_fail_the_job(
    minik: Minik, docker_client: docker.DockerClient, action: str
) -> None:
    name = f"outside-limit-{action}"
    minik.run("apply", "-f", "-", input=outside_job(name, backoff=1, seconds=300))
    hurt_pods: set[str] = set()
    for _ in range(2):
        victim = hurt(docker_client, minik, name, action, hurt_pods)
        hurt_pods.add(victim)
        eventually(f"pod {victim} to fail", lambda v=victim: failed_reason(minik, v), timeout=30)
    res = minik.run("wait", "--for=condition=failed", f"job/{name}", "--timeout=60s", check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    job = minik.json("get", "job", name)
    failed = next(c for c in job["status"]["conditions"] if c["type"] == "Failed")
    assert failed["reason"] == "BackoffLimitExceeded", failed
    text = minik.run("describe", f"job/{name}").stdout
    assert "BackoffLimitExceeded" in text and "0 Succeeded / 2 Failed" in text, text
    minik.run("delete", f"job/{name}")
