"""Issue 5: from one pod's exit to the next pod's container start.

An Indexed Job with parallelism 1 runs N trivial pods one after another. For
each hand-off, gap = next pod's app container startedAt − previous pod's app
container finishedAt (Docker's own timestamps). Docker's own cost for a pod
start (create+start the sandbox, create+start the container) is measured
with docker-py on its own; the controller's overhead is gap − that cost.
Floor: median overhead < 50 ms.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
import uuid
from typing import Any

import docker

from benchmarks._minik import indexed_job, instance
from minik.k8s import parse_time


def docker_pod_start_cost(reps: int) -> float:
    api = docker.from_env().api
    tag = uuid.uuid4().hex[:8]
    net = api.create_network(f"bench-{tag}")["Id"]
    costs = []
    try:
        for i in range(reps):
            t = time.perf_counter()
            sb = api.create_container(
                "registry.k8s.io/pause:3.10",
                name=f"bench-{tag}-{i}-pod",
                host_config=api.create_host_config(network_mode=f"bench-{tag}"),
            )["Id"]
            api.start(sb)
            c = api.create_container(
                "busybox:latest",
                ["true"],
                name=f"bench-{tag}-{i}",
                host_config=api.create_host_config(network_mode=f"container:{sb}"),
            )["Id"]
            api.start(c)
            costs.append(time.perf_counter() - t)
            api.wait(c)
            api.remove_container(c, force=True)
            api.remove_container(sb, force=True)
    finally:
        api.remove_network(net)
    return statistics.median(costs)


def handoff_gaps(n: int) -> list[float]:
    with instance() as m:
        name = f"handoff-{uuid.uuid4().hex[:6]}"
        m.run("apply", "-f", "-", input=indexed_job(name, n, 1))
        m.run("wait", "--for=condition=complete", f"job/{name}", "--timeout=600s")
        job = json.loads(m.run("get", "job", name, "-o", "json"))
        api = docker.from_env().api
        label = [f"minik.io/job-uid={job['metadata']['uid']}", "minik.io/container=c"]
        spans = []
        for c in api.containers(all=True, filters={"label": label}):
            state = api.inspect_container(c["Id"])["State"]  # nanosecond timestamps
            spans.append((parse_time(state["StartedAt"]), parse_time(state["FinishedAt"])))
        m.run("delete", f"job/{name}")
    spans.sort()
    return [(b[0] - a[1]).total_seconds() for a, b in itertools.pairwise(spans)]


def run(quick: bool) -> list[dict[str, Any]]:
    n = 10 if quick else 30
    cost = docker_pod_start_cost(5 if quick else 15)
    gaps = handoff_gaps(n)
    gap = statistics.median(gaps)
    return [
        {"name": "docker-py: sandbox + container create/start", "value": cost, "unit": "s"},
        {"name": f"pod exit → next pod start, median of {len(gaps)}", "value": gap, "unit": "s"},
        {
            "name": "controller+kubelet overhead (gap − docker cost)",
            "value": gap - cost,
            "unit": "s",
            "floor": 0.05,
        },
    ]
