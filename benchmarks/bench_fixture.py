"""B4b: the pytest plugin's ``minik`` fixture ready, and a ``minik_namespace`` per test (issue 33: 1.5 s, 0.1 s).

Beside B4 (cold start through the CLI): what the session fixture does —
a temporary state directory, the server started the CLI's way, ``/readyz``
answered — timed in-process, then the per-test namespace (one create, one
delete that does not wait), and the session's teardown (``minik server
delete`` of the instance: containers, volumes, network, state).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from minik.testing import plugin
from minik.testing.instance import Minik, Session


def _one(namespaces: int) -> tuple[float, list[float], float]:
    t = time.perf_counter()
    session = Session.start(prefix="minik-bench-")
    ready = time.perf_counter() - t
    per_ns = []
    try:
        m = Minik(session)
        for i in range(namespaces):
            t = time.perf_counter()
            name = plugin.namespace_name(f"bench.py::test_{i}", str(i))
            m.create_namespace(name)
            m.delete_namespace(name)
            per_ns.append(time.perf_counter() - t)
    finally:
        t = time.perf_counter()
        session.close()
        teardown = time.perf_counter() - t
    return ready, per_ns, teardown


def run(quick: bool) -> list[dict[str, Any]]:
    reps = 3 if quick else 7
    runs = [_one(10 if quick else 30) for _ in range(reps)]
    return [
        {
            "name": "B4b pytest fixture `minik` ready (median)",
            "value": statistics.median(r[0] for r in runs),
            "unit": "s",
            "floor": 1.5,
            "note": f"min {min(r[0] for r in runs):.3f} max {max(r[0] for r in runs):.3f} over {reps}",
        },
        {
            "name": "B4b `minik_namespace` per test: create + delete (median)",
            "value": statistics.median(x for r in runs for x in r[1]),
            "unit": "s",
            "floor": 0.1,
        },
        {
            "name": "B4b session teardown: instance deleted (median)",
            "value": statistics.median(r[2] for r in runs),
            "unit": "s",
        },
    ]
