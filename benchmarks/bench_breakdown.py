"""B3: the seed Indexed Job, apply → Complete, and where the time goes.

Wall time of ``minik apply -f examples/indexed-job.yaml`` → ``wait
--for=condition=complete`` on a started server (median of several runs),
then one more run with the server under py-spy (``--idle``, every thread),
its samples sorted by the layer they were in: Docker engine calls (by
call), the store, the Job controller, the API, the kubelet's own Python,
the control-plane loops, or idle. Without py-spy only the wall time is
reported.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._minik import Instance, instance
from benchmarks._profile import busy_breakdown, have_py_spy, profiled_instance, top_functions

SEED = Path(__file__).resolve().parents[1] / "examples" / "indexed-job.yaml"


def apply_to_complete(m: Instance, before_delete: Callable[[], object] | None = None) -> float:
    t = time.perf_counter()
    m.run("apply", "-f", str(SEED))
    m.run("wait", "--for=condition=complete", "job/indexed-job", "--timeout=300s")
    elapsed = time.perf_counter() - t
    if before_delete is not None:
        before_delete()
    m.run("delete", "-f", str(SEED))
    return elapsed


def run(quick: bool) -> list[dict[str, Any]]:
    reps = 2 if quick else 5
    with instance() as m:
        walls = [apply_to_complete(m) for _ in range(reps)]
    out: list[dict[str, Any]] = [
        {
            "name": f"B3 seed Indexed Job apply → Complete (median of {reps})",
            "value": statistics.median(walls),
            "unit": "s",
        }
    ]
    if not have_py_spy():
        out.append({"name": "B3 breakdown", "value": "skipped", "unit": "", "note": "pip install py-spy"})
        return out
    with profiled_instance() as (m, raw):
        apply_to_complete(m)
    for layer, share in busy_breakdown(raw).items():
        if share >= 0.005:
            out.append({"name": f"B3 busy samples: {layer}", "value": round(100 * share, 1), "unit": "%"})
    for frame, share in top_functions(raw, 5):
        out.append({"name": f"B3 top minik frame: {frame}", "value": round(100 * share, 1), "unit": "%"})
    return out
