"""Shared pytest setup: the per-test timeout lives in setup.cfg; ``--durations-file`` is defined here.

``--durations-file=PATH`` writes every test phase's duration (setup, call,
teardown), slowest first, to PATH: the whole shape of a run, kept as a CI
artifact, while the terminal shows only the slowest few (``--durations=15``).
With pytest-xdist the controller writes it from the workers' reports.
Beside it, ``modules-*.txt`` (the file's name with ``durations`` replaced)
lays the run out in time: each worker's modules in the order they ran, with
their start and end in seconds from the run's first test, and one line per
worker saying when it ran its last test — the tail where cores sit idle.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--durations-file",
        metavar="PATH",
        default=None,
        help="write every test phase's duration, slowest first, to PATH",
    )


class _Durations:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[tuple[float, str, str, str]] = []
        # (worker, module) -> [first start, last stop], in the order modules began.
        self.spans: dict[tuple[str, str], list[float]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.rows.append((report.duration, report.when, report.outcome, report.nodeid))
        node = getattr(report, "node", None)
        worker = node.gateway.id if node is not None else "main"
        span = self.spans.setdefault((worker, report.nodeid.split("::")[0]), [report.start, report.stop])
        span[0], span[1] = min(span[0], report.start), max(span[1], report.stop)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(session.config, "workerinput"):
            return  # an xdist worker: the controller has the reports
        self.path.parent.mkdir(parents=True, exist_ok=True)
        total = sum(row[0] for row in self.rows)
        lines = [f"# {len(self.rows)} test phases, {total:.1f}s in all (summed over workers)"]
        lines += [
            f"{d:9.2f}s {when:<8} {outcome:<7} {nodeid}"
            for d, when, outcome, nodeid in sorted(self.rows, reverse=True)
        ]
        self.path.write_text("\n".join(lines) + "\n")
        self._write_modules()

    def _write_modules(self) -> None:
        if not self.spans:
            return
        t0 = min(start for start, _ in self.spans.values())
        by_worker: dict[str, list[tuple[float, float, str]]] = {}
        for (worker, module), (start, stop) in self.spans.items():
            by_worker.setdefault(worker, []).append((start - t0, stop - t0, module))
        head = ", ".join(f"{w} until {max(r[1] for r in rows):.0f}s" for w, rows in sorted(by_worker.items()))
        lines = [f"# {len(self.spans)} modules; each worker's last test ended: {head}"]
        for w, rows in sorted(by_worker.items()):
            lines += [f"{w:<5} {start:7.1f} {stop:7.1f} {module}" for start, stop, module in sorted(rows)]
        name = self.path.name
        name = name.replace("durations", "modules") if "durations" in name else f"modules-{name}"
        (self.path.parent / name).write_text("\n".join(lines) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--durations-file")
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Durations(Path(path)), "minik-durations-file")
