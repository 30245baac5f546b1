"""B5 scale: per-pod time and server RSS at a small and a large Indexed Job.

An Indexed Job of trivial pods at parallelism 8 runs to Complete at 200 and
at 2,000 completions (``--quick``: 50 and 500), each on a fresh server. Per
pod time = apply → Complete wall time / completions; the server's RSS is
sampled every 0.25 s (peak) and read once more at the end. At the large size
``minik get jobs`` and ``minik describe job/…`` latency are measured before
the Job is deleted. Floors: per-pod time at the large size within 1.2× of
the small one; server RSS under 200 MB.

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
    m.run("wait", "--for=condition=complete", f"job/{name}", "--timeout=7200s")
    wall = time.perf_counter() - t
    done.set()
    sampler.join()
    out = {"wall": wall, "per_pod": wall / completions, "rss_peak": peak, "rss_end": _rss_mb(m)}
    if measure_cli:
        out["get_jobs"] = _latency(m, ["get", "jobs"], 5)
        out["describe"] = _latency(m, ["describe", f"job/{name}"], 3)
        out["get_pods"] = _latency(m, ["get", "pods"], 3)
    m.run("delete", f"job/{name}", "--timeout=600s")
    return out


def run(quick: bool) -> list[dict[str, Any]]:
    small_n, large_n = (50, 500) if quick else (200, 2000)
    small = one_size(small_n, 8, False)
    large = one_size(large_n, 8, True)
    ratio = large["per_pod"] / small["per_pod"]
    profiles = []
    for size, res in ((small_n, small), (large_n, large)):
        for layer, share in (res.get("profile") or {}).items():
            if share >= 0.01:
                profiles.append(
                    {"name": f"B5 busy at {size}: {layer}", "value": round(100 * share, 1), "unit": "%"}
                )
        for frame, share in res.get("top") or []:
            profiles.append(
                {"name": f"B5 top at {size}: {frame}", "value": round(100 * share, 1), "unit": "%"}
            )
    return [
        *profiles,
        {"name": f"B5 per-pod time at {small_n} completions", "value": small["per_pod"], "unit": "s"},
        {
            "name": f"B5 per-pod time at {large_n} completions",
            "value": large["per_pod"],
            "unit": "s",
            "ratio": round(ratio, 3),
            "floor": 1.2,
        },
        {"name": f"B5 server peak RSS at {small_n}", "value": small["rss_peak"], "unit": "MB"},
        {"name": f"B5 server peak RSS at {large_n}", "value": large["rss_peak"], "unit": "MB", "floor": 200},
        {"name": f"B5 minik get jobs at {large_n} pods (median)", "value": large["get_jobs"], "unit": "s"},
        {
            "name": f"B5 minik describe job at {large_n} pods (median)",
            "value": large["describe"],
            "unit": "s",
        },
        {"name": f"B5 minik get pods, {large_n} pods (median)", "value": large["get_pods"], "unit": "s"},
    ]
