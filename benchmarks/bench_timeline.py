"""Issue 34: ``minik timeline`` of a Job of 2,000 completions renders in under 1 s.

A simulated finished Indexed Job (``tests/unit/printing/runs.py``: 2,000
indexes at parallelism 8, every 50th index failing once before its retry,
one init container and one main container per pod — 2,040 pods) is timed as
the CLI handles it once the API has answered: decode the pod list's JSON,
build the model, then each rendering (the terminal chart at 120 columns, the
HTML page, the trace with its ``json.dumps``), and the whole command in
process against the unit tests' fake API (HTTP included). Median of 5 runs (1 with
``--quick``); the floor applies to decode + model + each rendering.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from minik.printing.timeline import build_timeline
from minik.printing.timeline.svg import render_html
from minik.printing.timeline.text import render_text
from minik.printing.timeline.trace import render_trace
from tests.unit.printing.runs import T0, simulated_run

COMPLETIONS = 2000


def _median(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(quick: bool) -> list[dict[str, Any]]:
    runs = 1 if quick else 5
    job, pods = simulated_run(COMPLETIONS, 8, failures={i: 1 for i in range(0, COMPLETIONS, 50)})
    body = json.dumps({"kind": "PodList", "items": pods})
    now = T0 + timedelta(days=1)
    tl = build_timeline(job, pods, now)
    decode = _median(lambda: json.loads(body), runs)
    model = _median(lambda: build_timeline(job, pods, now), runs)
    text = _median(lambda: render_text(tl, width=120), runs)
    html = _median(lambda: render_html(tl), runs)
    trace = _median(lambda: json.dumps(render_trace(tl)), runs)
    command = _median(lambda: _command(job, pods, now), runs)
    n = f"{COMPLETIONS:,} completions ({len(pods):,} pods)"
    base = decode + model
    return [
        {"name": f"decode the pod list, {n}", "value": decode, "unit": "s"},
        {"name": f"build the model, {n}", "value": model, "unit": "s"},
        {"name": "render: terminal chart, 120 columns", "value": text, "unit": "s"},
        {
            "name": "render: HTML page",
            "value": html,
            "unit": "s",
            "note": f"{len(render_html(tl)) / 1e6:.1f} MB",
        },
        {"name": "render: trace JSON", "value": trace, "unit": "s"},
        {"name": "decode + model + terminal chart", "value": base + text, "unit": "s", "floor": 1.0},
        {"name": "decode + model + HTML page", "value": base + html, "unit": "s", "floor": 1.0},
        {"name": "decode + model + trace", "value": base + trace, "unit": "s", "floor": 1.0},
        {
            "name": "minik timeline job/NAME, in-process, fake API",
            "value": command,
            "unit": "s",
            "floor": 1.0,
            "note": "HTTP GET job + pods, decode, model, chart",
        },
    ]


def _command(job: Any, pods: list[Any], now: Any) -> None:
    """The whole command in this process against tests/unit/cli/fakeapi.py serving the Job and pods."""
    from tests.unit.cli.fakeapi import FakeApi, Reply, items

    api = FakeApi()
    try:
        api.now = now
        api.on("GET", "/apis/batch/v1/namespaces/default/jobs/work", Reply(200, job))
        api.on("GET", "/api/v1/namespaces/default/pods", items(*pods))
        code, out, err = api.run("timeline", "job/work", "--width", "120")
        assert code == 0 and out, err
    finally:
        api.close()
