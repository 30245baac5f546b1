"""Shared pytest setup: the per-test timeout lives in setup.cfg; ``--durations-file`` is defined here.

``--durations-file=PATH`` writes every test phase's duration (setup, call,
teardown), slowest first, to PATH: the whole shape of a run, kept as a CI
artifact, while the terminal shows only the slowest few (``--durations=15``).
With pytest-xdist the controller writes it from the workers' reports.
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

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.rows.append((report.duration, report.when, report.outcome, report.nodeid))

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


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--durations-file")
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Durations(Path(path)), "minik-durations-file")
