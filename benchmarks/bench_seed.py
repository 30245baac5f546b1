"""B3 before/after: the seed Indexed Job on this checkout against an earlier one, alternating.

``MINIK_BENCH_BEFORE=DIR`` names the source tree of an earlier minik (for
example ``git archive main | tar -x -C DIR``); its server runs with
``PYTHONPATH=DIR`` (the CLI keeps that entry for the server it spawns), this
checkout's without. Each side gets its own instance; the seed Job
(``examples/indexed-job.yaml``: 5 pods, parallelism 3, an init container and
a worker each) runs apply → Complete, the sides alternating, and the Docker
containers one pod was given are counted (issue 22: two instead of three,
the sandbox gone). Without ``MINIK_BENCH_BEFORE`` only this checkout runs.
"""

from __future__ import annotations

import os
import statistics
from typing import Any

import docker

from benchmarks._minik import Instance, instance
from benchmarks.bench_breakdown import apply_to_complete


def containers_per_pod(m: Instance) -> float:
    """Containers of the instance per pod, counted before the Job is deleted."""
    api = docker.from_env().api
    found = api.containers(all=True, filters={"label": f"minik.io/instance={m.instance}"})
    pods = {c["Labels"].get("minik.io/pod-uid") for c in found}
    return len(found) / max(1, len(pods))


def one_run(m: Instance) -> tuple[float, float]:
    counted: list[float] = []
    wall = apply_to_complete(m, before_delete=lambda: counted.append(containers_per_pod(m)))
    return wall, counted[0]


def run(quick: bool) -> list[dict[str, Any]]:
    reps = 3 if quick else 7
    before_dir = os.environ.get("MINIK_BENCH_BEFORE", "")
    sides = {"this checkout": ""} | ({"before": before_dir} if before_dir else {})
    walls: dict[str, list[float]] = {s: [] for s in sides}
    per_pod: dict[str, float] = {}
    with instance(start=False) as a, instance(start=False) as b:
        insts = dict(zip(sides, (a, b), strict=False))
        for side, inst in insts.items():
            if sides[side]:
                inst.env["PYTHONPATH"] = os.path.abspath(sides[side])
            inst.run("server", "start")
        for _ in range(reps):
            for side, inst in insts.items():
                wall, count = one_run(inst)
                walls[side].append(wall)
                per_pod[side] = count
    out: list[dict[str, Any]] = []
    for side in sides:
        out.append(
            {
                "name": f"B3 seed Indexed Job apply → Complete, {side} (median of {reps})",
                "value": statistics.median(walls[side]),
                "unit": "s",
                "note": f"runs {[round(w, 2) for w in walls[side]]}",
            }
        )
        out.append({"name": f"B3 Docker containers per pod, {side}", "value": per_pod[side], "unit": ""})
    if before_dir:
        ratio = statistics.median(walls["this checkout"]) / statistics.median(walls["before"])
        out.append({"name": "B3 this checkout / before", "value": round(ratio, 3), "unit": "x"})
    return out
