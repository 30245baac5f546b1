"""B4 cold start and B6 `minik get jobs` latency (issue 6 floors: 1 s, 0.3 s).

B4: no server running → `minik apply` → the first container of the Job is
running (seen in Docker), and the server's RSS idle and after the Job.
B6: `minik get jobs` against `kubectl get jobs` on the same server.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import time
import uuid
from typing import Any

import docker

from benchmarks._minik import Instance, indexed_job, instance, minik_cmd


def _rss_mb(home: Any) -> float:
    pid = json.loads((home / "server.json").read_text())["pid"]
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cold_start() -> tuple[float, float, float]:
    client = docker.from_env()
    with instance(start=False) as m:
        name = f"cold-{uuid.uuid4().hex[:6]}"
        t = time.perf_counter()
        m.run("apply", "-f", "-", input=indexed_job(name, 1, 1, "sleep 5"))
        label = f"minik.io/instance={m.instance}"
        while True:
            running = client.api.containers(
                filters={"label": [label, "minik.io/container=c"], "status": "running"}
            )
            if running:
                break
            if time.perf_counter() - t > 30:
                raise RuntimeError("no container started within 30 s")
            time.sleep(0.005)
        elapsed = time.perf_counter() - t
        idle_wait = time.perf_counter()
        rss_peak = _rss_mb(m.home)
        m.run("wait", "--for=condition=complete", f"job/{name}", "--timeout=60s")
        time.sleep(max(0.0, 1 - (time.perf_counter() - idle_wait)))
        rss_idle = _rss_mb(m.home)
        m.run("delete", f"job/{name}")
        return elapsed, rss_idle, rss_peak


def get_latency(m: Instance, cmd: list[str], n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, env=m.env, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run(quick: bool) -> list[dict[str, Any]]:
    reps = 3 if quick else 5
    colds = [cold_start() for _ in range(reps)]
    out: list[dict[str, Any]] = [
        {
            "name": "B4 cold start: apply → first container running",
            "value": statistics.median(c[0] for c in colds),
            "unit": "s",
            "floor": 1.0,
        },
        {"name": "B4 server RSS while a Job runs", "value": max(c[2] for c in colds), "unit": "MB"},
        {
            "name": "B4 server RSS idle after the Job",
            "value": statistics.median(c[1] for c in colds),
            "unit": "MB",
        },
    ]
    with instance() as m:
        for i in range(3):
            m.run("apply", "-f", "-", input=indexed_job(f"get-{i}", 2, 2))
        n = 10 if quick else 30
        minik = get_latency(m, [*minik_cmd(), "get", "jobs"], n)
        out.append({"name": "B6 minik get jobs (median)", "value": minik, "unit": "s", "floor": 0.3})
        kubectl = shutil.which("kubectl")
        if kubectl:
            env_cmd = [kubectl, "--kubeconfig", str(m.home / "kubeconfig"), "get", "jobs"]
            kc = get_latency(m, env_cmd, n)
            out.append(
                {
                    "name": "B6 kubectl get jobs against minik (median)",
                    "value": kc,
                    "unit": "s",
                    "ratio": round(minik / kc, 3),
                    "baseline": "kubectl",
                }
            )
    return out
