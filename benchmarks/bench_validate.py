"""Issue 3: validate_documents over 1,000 copies of the tutorial Job (floor: < 1 s)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from minik import manifest


def run(quick: bool) -> list[dict[str, Any]]:
    text = (Path(__file__).resolve().parents[1] / "examples" / "indexed-job.yaml").read_text()
    times = []
    for _ in range(1 if quick else 5):
        docs, _ = manifest.parse("---\n".join([text] * 1000), "many.yaml")
        start = time.perf_counter()
        manifest.validate_documents(docs)
        times.append(time.perf_counter() - start)
    return [
        {"name": "validate 1,000 documents", "value": statistics.median(times), "unit": "s", "floor": 1.0}
    ]
