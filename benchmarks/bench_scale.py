"""B5 scale: per-pod time and server RSS from a small to a very large Indexed Job.

An Indexed Job of trivial pods at parallelism 8 runs to Complete at 200,
2,000 and 10,000 completions (``--quick``: 50 and 500;
``MINIK_BENCH_SCALE_SIZES=200,2000`` picks the sizes), each on a fresh
server; then 50 Jobs of 20 pods are applied at once (``--quick``: 10 × 10).
Per-pod time = apply → Complete wall time / completions; the server's RSS
is sampled every 0.25 s (peak) and read once more at the end. At each size
above the first, ``minik get jobs``, ``minik get pods`` and ``minik describe
job/…`` latency are measured before the Job is deleted. Floors (issue 37):
per-pod time at every size within 1.2× of the smallest; server RSS under
200 MB; ``get pods`` and ``describe`` under 1 s. More than the instance's
1,022 pod addresses run in the large sizes: a finished pod gives its back.

``MINIK_BENCH_PROFILE=1`` runs both sizes with the server under py-spy and
adds where the busy samples went at each size (slightly slower runs).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import threading
import time
import uuid
from typing import Any

from benchmarks._minik import Instance, indexed_job, instance, minik_cmd
from benchmarks._profile import busy_breakdown, have_py_spy, profiled_instance, top_functions


def _rss_mb(m: Instance) -> float:
    pid = json.loads((m.home / "server.json").read_text())["pid"]
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _latency(m: Instance, args: list[str], n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run([*minik_cmd(), *args], env=m.env, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def one_size(completions: int, parallelism: int, measure_cli: bool) -> dict[str, Any]:
    if os.environ.get("MINIK_BENCH_PROFILE") == "1" and have_py_spy():
        with profiled_instance(rate=50) as (m, raw):
            out = _measure(m, completions, parallelism, measure_cli)
        out["profile"] = busy_breakdown(raw)
        out["top"] = top_functions(raw, 8)
        return out
    with instance() as m:
        return _measure(m, completions, parallelism, measure_cli)


def _measure(m: Instance, completions: int, parallelism: int, measure_cli: bool) -> dict[str, Any]:
    name = f"scale-{uuid.uuid4().hex[:6]}"
    peak = _rss_mb(m)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.25):
            peak = max(peak, _rss_mb(m))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t = time.perf_counter()
    m.run("apply", "-f", "-", input=indexed_job(name, completions, parallelism))
    m.run("wait", "--for=condition=complete", f"job/{name}", "--timeout=7200s", timeout=7300)
    wall = time.perf_counter() - t
    done.set()
    sampler.join()
    out = {"wall": wall, "per_pod": wall / completions, "rss_peak": peak, "rss_end": _rss_mb(m)}
    if measure_cli:
        out["get_jobs"] = _latency(m, ["get", "jobs"], 5)
        out["describe"] = _latency(m, ["describe", f"job/{name}"], 3)
        out["get_pods"] = _latency(m, ["get", "pods"], 3)
    m.run("delete", f"job/{name}", "--timeout=600s", timeout=700)
    return out


def many_jobs(jobs: int, pods: int, parallelism: int) -> dict[str, Any]:
    """``jobs`` Jobs of ``pods`` completions applied in one file, waited for together."""
    with instance() as m:
        names = [f"many-{i}-{uuid.uuid4().hex[:4]}" for i in range(jobs)]
        text = "---\n".join(indexed_job(n, pods, parallelism) for n in names)
        peak = _rss_mb(m)
        t = time.perf_counter()
        m.run("apply", "-f", "-", input=text)
        for n in names:
            m.run("wait", "--for=condition=complete", f"job/{n}", "--timeout=7200s", timeout=7300)
        wall = time.perf_counter() - t
        peak = max(peak, _rss_mb(m))
        out = {"wall": wall, "per_pod": wall / (jobs * pods), "rss_end": peak}
        for n in names:
            m.run("delete", f"job/{n}", "--timeout=600s", timeout=700)
        return out


def _sizes(quick: bool) -> list[int]:
    raw = os.environ.get("MINIK_BENCH_SCALE_SIZES", "")
    if raw:
        return [int(x) for x in raw.split(",") if x.strip()]
    return [50, 500] if quick else [200, 2000, 10000]


def run(quick: bool) -> list[dict[str, Any]]:
    sizes = _sizes(quick)
    results = {n: one_size(n, 8, i > 0) for i, n in enumerate(sizes)}
    small_n = sizes[0]
    small = results[small_n]
    out: list[dict[str, Any]] = []
    for size, res in results.items():
        for layer, share in (res.get("profile") or {}).items():
            if share >= 0.01:
                out.append(
                    {"name": f"B5 busy at {size}: {layer}", "value": round(100 * share, 1), "unit": "%"}
                )
        for frame, share in res.get("top") or []:
            out.append({"name": f"B5 top at {size}: {frame}", "value": round(100 * share, 1), "unit": "%"})
    for size, res in results.items():
        row: dict[str, Any] = {
            "name": f"B5 per-pod time at {size} completions",
            "value": res["per_pod"],
            "unit": "s",
        }
        if size != small_n:
            row.update(ratio=round(res["per_pod"] / small["per_pod"], 3), floor=1.2)
        out.append(row)
    for size, res in results.items():
        out.append(
            {"name": f"B5 server peak RSS at {size}", "value": res["rss_peak"], "unit": "MB", "floor": 200}
        )
    for size, res in list(results.items())[1:]:
        out += [
            {"name": f"B5 minik get jobs at {size} pods (median)", "value": res["get_jobs"], "unit": "s"},
            {
                "name": f"B5 minik describe job at {size} pods (median)",
                "value": res["describe"],
                "unit": "s",
                "floor": 1,
            },
            {
                "name": f"B5 minik get pods, {size} pods (median)",
                "value": res["get_pods"],
                "unit": "s",
                "floor": 1,
            },
        ]
    jobs, pods = (10, 10) if quick else (50, 20)
    many = many_jobs(jobs, pods, 4)
    out += [
        {
            "name": f"B5 {jobs} Jobs x {pods} pods at once, per pod",
            "value": many["per_pod"],
            "unit": "s",
            "ratio": round(many["per_pod"] / small["per_pod"], 3),
        },
        {"name": f"B5 {jobs} Jobs x {pods} pods at once, wall", "value": many["wall"], "unit": "s"},
        {"name": f"B5 server RSS after {jobs} Jobs x {pods} pods", "value": many["rss_end"], "unit": "MB"},
    ]
    return out
