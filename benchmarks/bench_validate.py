"""Issue 3: validate_documents over 1,000 copies of the tutorial Job (floor: < 1 s).

Also the structural layer alone, both ways: the compiled validator
(minik/manifest/schema.py) and ``jsonschema`` (its oracle in
tests/unit/manifest/test_schema_oracle.py) over the same 1,000 defaulted Jobs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from minik import manifest
from minik.manifest import schema


def _median(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(quick: bool) -> list[dict[str, Any]]:
    from jsonschema import FormatChecker
    from jsonschema.validators import validator_for

    text = (Path(__file__).resolve().parents[1] / "examples" / "indexed-job.yaml").read_text()
    runs = 1 if quick else 5
    docs, _ = manifest.parse("---\n".join([text] * 1000), "many.yaml")
    full = _median(lambda: manifest.validate_documents(docs), runs)
    objs = [d.obj for d in docs]
    kind = (str(objs[0]["apiVersion"]), str(objs[0]["kind"]))
    compiled = schema.validator(*kind)
    root = schema.schema_text(*kind)
    oracle = validator_for(root)(root, format_checker=FormatChecker(formats=()))
    fast = _median(lambda: [compiled(o, (), []) for o in objs], runs)
    slow = _median(lambda: [list(oracle.iter_errors(o)) for o in objs], runs)
    return [
        {"name": "validate 1,000 documents", "value": full, "unit": "s", "floor": 1.0},
        {"name": "schema layer, 1,000 Jobs: compiled validator", "value": fast, "unit": "s"},
        {
            "name": "schema layer, 1,000 Jobs: jsonschema",
            "value": slow,
            "unit": "s",
            "baseline": fast,
            "ratio": slow / fast if fast else None,
            "note": "the compiled validator is the baseline",
        },
    ]
