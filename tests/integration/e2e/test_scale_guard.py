"""A Job of any size completes: pod addresses end with the pod's run (issue 37).

The instance gets the smallest subnet minik allows (``MINIK_SUBNET_PREFIX=28``:
seven pod addresses), and Jobs with several times that many pods must all
complete: a finished pod gives its address back, as a node's CNI does, while
the pod object (and its ``status.podIP``) and its stopped containers stay for
``logs``. Before the fix, the eighth pod waited forever in
``ContainerCreating`` with ``FailedCreatePodSandBox``. Costs seconds.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fixtures import instance_environment

POD_ADDRESSES = 7  # a /28's upper half, less its broadcast address

PLAIN = """
apiVersion: batch/v1
kind: Job
metadata: {name: many-small}
spec:
  completionMode: Indexed
  completions: 40
  parallelism: 4
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: work, image: busybox:1.36, command: ["sh", "-c", "echo index $JOB_COMPLETION_INDEX"]}
"""

# Init containers give a pod a sandbox (the pause container holds the address).
WITH_INIT = """
apiVersion: batch/v1
kind: Job
metadata: {name: many-sandboxed}
spec:
  completions: 16
  parallelism: 4
  template:
    spec:
      restartPolicy: Never
      initContainers:
      - {name: prepare, image: busybox:1.36, command: ["sh", "-c", "echo ready > /work/ready"],
         volumeMounts: [{name: work, mountPath: /work}]}
      containers:
      - {name: work, image: busybox:1.36, command: ["cat", "/work/ready"],
         volumeMounts: [{name: work, mountPath: /work}]}
      volumes:
      - {name: work, emptyDir: {}}
"""


small_subnet = instance_environment(
    "small_subnet",
    "Request before ``minik``: the module's instance network is a /28.",
    MINIK_SUBNET_PREFIX="28",
)


@pytest.fixture(scope="module")
def m(small_subnet: None, minik: Any) -> Any:
    return minik


def pods_of(m: Any, job: str) -> list[dict[str, Any]]:
    return m.json("get", "pods", "-l", f"job-name={job}")["items"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("name", "manifest", "completions"), [("many-small", PLAIN, 40), ("many-sandboxed", WITH_INIT, 16)]
)
def test_a_job_of_several_times_the_address_range_completes(
    m: Any, name: str, manifest: str, completions: int
) -> None:
    m.run("apply", "-f", "-", input=manifest)
    m.run("wait", "--for=condition=complete", f"job/{name}", "--timeout=240s")
    job = m.json("get", "job", name)
    assert job["status"]["succeeded"] == completions
    pods = pods_of(m, name)
    assert len(pods) == completions
    ips = [p["status"].get("podIP") for p in pods]
    assert all(ips), "every finished pod keeps its podIP as a record"
    assert len(set(ips)) <= POD_ADDRESSES < completions  # addresses were reused
    events = m.json("get", "events")["items"]
    waited = [e["message"] for e in events if "no free pod address" in e.get("message", "")]
    assert not waited, f"no pod waited for an address: {waited[:3]}"
    if name == "many-small":
        logs = m.run("logs", f"job/{name}").stdout
        assert all(f"index {i}" in logs for i in range(completions)), "stopped containers keep the logs"
    m.run("delete", "job", name)
