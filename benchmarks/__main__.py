"""Run minik's benchmarks, print a table, write JSON.

Each ``benchmarks/bench_*.py`` module has ``run(quick: bool) -> list[dict]``;
each dict is one measurement with at least ``name``, ``value`` and ``unit``
(and, where there is one, ``baseline``/``ratio``/``floor``). Results go to
``benchmarks/results/latest.json``.

    python -m benchmarks                 # everything
    python -m benchmarks validate cli    # only bench_validate and bench_cli
    python -m benchmarks --quick         # fewer repetitions
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("only", nargs="*", help="benchmark module names without bench_")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    names = sorted(p.stem[len("bench_") :] for p in HERE.glob("bench_*.py"))
    if args.only:
        unknown = set(args.only) - set(names)
        if unknown:
            parser.error(f"unknown benchmarks {sorted(unknown)}; have {names}")
        names = [n for n in names if n in args.only]
    results: list[dict[str, object]] = []
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"# {name} …", file=sys.stderr, flush=True)
        for r in module.run(args.quick):
            r.setdefault("benchmark", name)
            results.append(r)
            print_row(r)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    doc = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": _cpus(), "platform": platform.platform()},
        "results": results,
    }
    (out / "latest.json").write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\nwrote {out / 'latest.json'}", file=sys.stderr)
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def print_row(r: dict[str, object]) -> None:
    extra = []
    for key in ("baseline", "ratio", "floor", "note"):
        if key in r:
            extra.append(f"{key}={r[key]}")
    value = r.get("value")
    shown = f"{value:.4g}" if isinstance(value, float) else str(value)
    print(
        f"{r.get('benchmark', '')!s:<12} {r['name']!s:<48} {shown:>12} {r.get('unit', '')!s:<8} {'  '.join(extra)}"
    )


if __name__ == "__main__":
    sys.exit(main())
