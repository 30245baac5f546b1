"""B1/B2: minik against raw Docker on the same machine, in one run.

B1: an Indexed Job of N trivial one-container pods at parallelism P, `minik
apply` → Complete, against two floors: the same containers created, started,
waited for and removed with docker-py at the same concurrency — bare (the
user's containers only: what minik does for a pod whose containers run one
at a time, issue 22) and with a pause sandbox per pod (what minik does for a
pod that needs one). Runs alternate (bare, sandbox, minik), medians; the
ratio to the bare floor is the one issue 22 sets (≤ 1.15×, and pods/s within
10 % of the bare floor's). B2: minik's pods/s at several parallelisms.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker

from benchmarks._minik import indexed_job, instance

LABEL = "minik.io/bench"


def docker_floor(n: int, parallelism: int, *, sandbox: bool) -> float:
    client = docker.from_env()
    api = client.api
    tag = uuid.uuid4().hex[:8]
    net = api.create_network(f"bench-{tag}", labels={LABEL: tag})["Id"]

    def one(i: int) -> None:
        # Bare containers join the network too: a pod needs its Services' DNS
        # names, which Docker gives only on a user-defined network (its embedded
        # resolver costs each network namespace ~75 ms here); the default bridge
        # would be a floor no pod runtime could reach.
        kwargs: dict[str, Any] = {"host_config": api.create_host_config(network_mode=f"bench-{tag}")}
        sb = None
        if sandbox:
            sb = api.create_container(
                "registry.k8s.io/pause:3.10",
                name=f"bench-{tag}-{i}-pod",
                labels={LABEL: tag},
                host_config=api.create_host_config(network_mode=f"bench-{tag}"),
            )["Id"]
            api.start(sb)
            kwargs["host_config"] = api.create_host_config(network_mode=f"container:{sb}")
        c = api.create_container(
            "busybox:latest", ["sh", "-c", "true"], name=f"bench-{tag}-{i}", labels={LABEL: tag}, **kwargs
        )["Id"]
        api.start(c)
        api.wait(c)
        if sb:
            api.stop(sb, timeout=0)

    t = time.perf_counter()
    with ThreadPoolExecutor(parallelism) as pool:
        list(pool.map(one, range(n)))
    elapsed = time.perf_counter() - t
    for c in api.containers(all=True, filters={"label": f"{LABEL}={tag}"}):
        api.remove_container(c["Id"], force=True)
    try:
        api.remove_network(net)
    except docker.errors.APIError as exc:  # Docker 20.10's stuck endpoint count: keep the measurement
        print(f"warning: cannot remove network bench-{tag}: {exc.explanation}", file=sys.stderr)
    return elapsed


def minik_job(n: int, parallelism: int) -> float:
    with instance() as m:
        name = f"bench-{uuid.uuid4().hex[:6]}"
        t = time.perf_counter()
        m.run("apply", "-f", "-", input=indexed_job(name, n, parallelism))
        m.run("wait", "--for=condition=complete", f"job/{name}", "--timeout=600s")
        elapsed = time.perf_counter() - t
        m.run("delete", f"job/{name}")
        return elapsed


def run(quick: bool) -> list[dict[str, Any]]:
    n, p, reps = (30, 8, 1) if quick else (100, 8, 3)
    reps = int(os.environ.get("MINIK_BENCH_REPS", reps))  # more alternating runs: a steadier median
    b1_only = os.environ.get("MINIK_BENCH_FLOOR_ONLY") == "1"  # B1 alone (B2 takes as long again)
    floors, floors_sb, miniks = [], [], []
    for _ in range(reps):  # alternate so drift hits all three alike
        floors.append(docker_floor(n, p, sandbox=False))
        floors_sb.append(docker_floor(n, p, sandbox=True))
        miniks.append(minik_job(n, p))
    med = statistics.median
    bare, with_sb, mk = med(floors), med(floors_sb), med(miniks)
    out: list[dict[str, Any]] = [
        {"name": f"B1 docker-py floor, {n} pods, P={p}", "value": bare, "unit": "s"},
        {"name": f"B1 docker-py floor + sandbox, {n} pods, P={p}", "value": with_sb, "unit": "s"},
        {
            "name": f"B1 minik apply→Complete, {n} pods, P={p}",
            "value": mk,
            "unit": "s",
            "ratio": round(mk / bare, 3),
            "baseline": "bare floor",
            "floor": 1.15,
        },
        {"name": "B1 minik / floor + sandbox", "value": round(mk / with_sb, 3), "unit": "x"},
        {"name": f"B1 docker-py floor pods/s, P={p}", "value": n / bare, "unit": "pods/s"},
        {"name": f"B1 docker-py floor + sandbox pods/s, P={p}", "value": n / with_sb, "unit": "pods/s"},
        {
            "name": f"B1 minik pods/s, P={p}",
            "value": n / mk,
            "unit": "pods/s",
            "ratio": round(bare / mk, 3),
            "baseline": "bare floor pods/s",
            "floor": 0.9,
        },
        {
            "name": "B1 runs (bare / sandbox / minik)",
            "value": f"{floors} / {floors_sb} / {miniks}",
            "unit": "s",
        },
    ]
    if b1_only:
        return out
    for par in (1, 4) if quick else (1, 4, 8, 16):
        count = 16 if quick else 40
        secs = minik_job(count, par)
        out.append({"name": f"B2 throughput, {count} pods, P={par}", "value": count / secs, "unit": "pods/s"})
    return out
