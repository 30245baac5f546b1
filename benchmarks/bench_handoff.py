"""Issue 5: from one pod's exit to the next pod's container start.

An Indexed Job with parallelism 1 runs N trivial pods one after another. For
each hand-off, gap = next pod's app container ``StartedAt`` − previous pod's
app container ``FinishedAt`` (Docker's own timestamps, nanoseconds).

Docker's own share of that gap is measured the same way, in the same run,
with docker-py doing the ideal hand-off by hand: wait for the container to
exit, then at once create+start the next pause sandbox and the next
container in it (same network, same images), cleaning up only at the end.
Its gap is what Docker alone needs — exit notification, sandbox network
plumbing, create/start — so minik's overhead (controller + store + kubelet)
is the difference of the medians. Floor: overhead < 50 ms at the median.

The two are run alternately (``rounds`` times each) so drift in the engine's
speed hits both alike.
"""

from __future__ import annotations

import itertools
import statistics
import uuid
from datetime import datetime
from typing import Any

import docker

from benchmarks._minik import Instance, indexed_job, instance
from minik.k8s import parse_time

Span = tuple[datetime, datetime]  # (StartedAt, FinishedAt)


def _gaps(spans: list[Span]) -> list[float]:
    spans = sorted(spans)
    return [(b[0] - a[1]).total_seconds() for a, b in itertools.pairwise(spans)]


def _span(api: Any, cid: str) -> Span:
    state = api.inspect_container(cid)["State"]
    return parse_time(state["StartedAt"]), parse_time(state["FinishedAt"])


def docker_handoff_gaps(n: int) -> list[float]:
    """The ideal hand-off with docker-py: no controller, no store, no status."""
    api = docker.from_env().api
    tag = uuid.uuid4().hex[:8]
    labels = {"minik.io/bench": tag}
    net = f"bench-{tag}"
    api.create_network(net, labels=labels)
    spans = []
    made: list[str] = []
    try:
        for i in range(n):
            sb = api.create_container(
                "registry.k8s.io/pause:3.10",
                name=f"bench-{tag}-{i}-pod",
                labels=labels,
                hostname=f"bench-{i}",
                host_config=api.create_host_config(network_mode=net),
            )["Id"]
            made.append(sb)
            api.start(sb)
            c = api.create_container(
                "busybox:latest",
                ["sh", "-c", "true"],
                name=f"bench-{tag}-{i}",
                labels=labels,
                host_config=api.create_host_config(network_mode=f"container:{sb}"),
            )["Id"]
            made.append(c)
            api.start(c)
            api.wait(c)
            spans.append(_span(api, c))
    finally:
        for cid in made:
            api.remove_container(cid, force=True)
        api.remove_network(net)
    return _gaps(spans)


def minik_handoff_gaps(m: Instance, n: int) -> list[float]:
    name = f"handoff-{uuid.uuid4().hex[:6]}"
    m.run("apply", "-f", "-", input=indexed_job(name, n, 1))
    m.run("wait", "--for=condition=complete", f"job/{name}", "--timeout=600s")
    job = m.json("get", "job", name)
    api = docker.from_env().api
    label = [f"minik.io/job-uid={job['metadata']['uid']}", "minik.io/container=c"]
    spans = [_span(api, c["Id"]) for c in api.containers(all=True, filters={"label": label})]
    m.run("delete", f"job/{name}")
    return _gaps(spans)


def run(quick: bool) -> list[dict[str, Any]]:
    n, rounds = (8, 2) if quick else (16, 3)
    ours: list[float] = []
    theirs: list[float] = []
    with instance() as m:
        for _ in range(rounds):
            theirs += docker_handoff_gaps(n)
            ours += minik_handoff_gaps(m, n)
    gap, floor_gap = statistics.median(ours), statistics.median(theirs)
    return [
        {
            "name": f"docker-py ideal hand-off gap, median of {len(theirs)}",
            "value": floor_gap,
            "unit": "s",
        },
        {"name": f"minik pod exit → next pod start, median of {len(ours)}", "value": gap, "unit": "s"},
        {
            "name": "controller+store+kubelet overhead (minik gap − docker-py gap)",
            "value": gap - floor_gap,
            "unit": "s",
            "floor": 0.05,
        },
    ]
