"""Issue 34: ``minik timeline`` of a Job of 2,000 completions renders in under 1 s.

A simulated finished Indexed Job (``tests/unit/printing/runs.py``: 2,000
indexes at parallelism 8, every 50th index failing once before its retry,
one init container and one main container per pod — 2,040 pods) is timed as
the CLI handles it once the API has answered: decode the pod list's JSON,
build the model, then each rendering (the terminal chart at 120 columns, the
HTML page, the trace with its ``json.dumps``), and the whole command in
process against the unit tests' fake API (HTTP included). Median of 5 runs (1 with
``--quick``); the floor applies to decode + model + each rendering.
Each row also gives the median CPU time of this process (``cpu``), which a
shared machine's load disturbs less than the wall time.
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


CPU: dict[str, float] = {}


def _median(work: Callable[[], object], runs: int, key: str = "") -> float:
    """Median wall time of ``runs`` calls; the median CPU time goes to ``CPU[key]``."""
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        work()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU[key] = statistics.median(cpu)
    return statistics.median(times)


def run(quick: bool) -> list[dict[str, Any]]:
    runs = 1 if quick else 5
    job, pods = simulated_run(COMPLETIONS, 8, failures={i: 1 for i in range(0, COMPLETIONS, 50)})
    body = json.dumps({"kind": "PodList", "items": pods})
    now = T0 + timedelta(days=1)
    tl = build_timeline(job, pods, now)
    decode = _median(lambda: json.loads(body), runs, "decode")
    model = _median(lambda: build_timeline(job, pods, now), runs, "model")
    text = _median(lambda: render_text(tl, width=120), runs, "text")
    html = _median(lambda: render_html(tl), runs, "html")
    trace = _median(lambda: json.dumps(render_trace(tl)), runs, "trace")
    command = _median(lambda: _command(job, pods, now), runs, "command")
    n = f"{COMPLETIONS:,} completions ({len(pods):,} pods)"
    base, base_cpu = decode + model, CPU["decode"] + CPU["model"]
    size = f"{len(render_html(tl)) / 1e6:.1f} MB"
    rows = [
        (f"decode the pod list, {n}", decode, CPU["decode"], None, ""),
        (f"build the model, {n}", model, CPU["model"], None, ""),
        ("render: terminal chart, 120 columns", text, CPU["text"], None, ""),
        ("render: HTML page", html, CPU["html"], None, size),
        ("render: trace JSON", trace, CPU["trace"], None, ""),
        ("decode + model + terminal chart", base + text, base_cpu + CPU["text"], 1.0, ""),
        ("decode + model + HTML page", base + html, base_cpu + CPU["html"], 1.0, ""),
        ("decode + model + trace", base + trace, base_cpu + CPU["trace"], 1.0, ""),
        (
            "minik timeline job/NAME, in-process, fake API",
            command,
            CPU["command"],
            1.0,
            "GET job, pods, events; decode, model, chart",
        ),
    ]
    out: list[dict[str, Any]] = []
    for name, wall, cpu, floor, note in rows:
        row: dict[str, Any] = {"name": name, "value": wall, "unit": "s", "cpu": cpu}
        row["note"] = f"cpu {cpu:.3f} s" + (f"; {note}" if note else "")
        if floor is not None:
            row["floor"] = floor
        out.append(row)
    return out


def _command(job: Any, pods: list[Any], now: Any) -> None:
    """The whole command in this process against tests/unit/cli/fakeapi.py serving the Job and pods."""
    from tests.unit.cli.fakeapi import FakeApi, Reply, items

    api = FakeApi()
    try:
        api.now = now
        api.on("GET", "/apis/batch/v1/namespaces/default/jobs/work", Reply(200, job))
        api.on("GET", "/api/v1/namespaces/default/pods", items(*pods))
        api.on("GET", "/api/v1/namespaces/default/events", items())
        code, out, err = api.run("timeline", "job/work", "--width", "120")
        assert code == 0 and out, err
    finally:
        api.close()
