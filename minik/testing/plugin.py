"""minik's pytest plugin (entry point ``pytest11: minik``): the ``minik`` and ``minik_namespace`` fixtures.

Importing it costs nothing and changes nothing: no Docker, no server, no
environment change until a test asks for a fixture. Then:

- ``minik`` (session scope) starts a private instance in a temporary
  ``MINIK_HOME`` (never the user's own) and, when the session ends, deletes
  every container, volume and network of it and its state directory —
  unless ``--minik-keep``, which prints how to reach it.
- ``minik_namespace`` (function scope) is the same handle bound to a fresh
  namespace named after the test, deleted (without waiting) afterwards.
- A failed test that used either gets report sections: each Job it applied
  (or that ran in its namespace) described, and its failed pods' logs.

Under pytest-xdist each worker is its own pytest session, so each gets its
own instance: a server starts in about a second, workers never wait on each
other's Jobs or on a shared teardown, and no cross-process lock or
reference count decides who deletes a shared instance last.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from minik.testing.instance import Minik, Session

_SESSION = pytest.StashKey[Session]()
_KEPT = pytest.StashKey[list[str]]()
_WORKER_KEPT = "minik_kept"
"""The key of ``config.workeroutput`` by which an xdist worker hands its kept instance to the controller."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("minik", "minik (Kubernetes Jobs on the local Docker engine)")
    group.addoption(
        "--minik-keep",
        action="store_true",
        default=False,
        help="keep the minik test instance (server, containers, state) after the session and print how to reach it",
    )


@pytest.fixture(scope="session")
def minik(request: pytest.FixtureRequest) -> Iterator[Minik]:
    """A private minik instance for the session (one per pytest-xdist worker)."""
    config = request.config
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    session = Session.start(prefix=f"minik-pytest-{worker + '-' if worker else ''}")
    config.stash[_SESSION] = session
    keep = bool(config.getoption("minik_keep"))
    try:
        yield Minik(session)
    finally:
        del config.stash[_SESSION]
        session.close(keep=keep)
        if keep:
            text = session.how_to_reach()
            workeroutput = getattr(config, "workeroutput", None)
            if isinstance(workeroutput, dict):  # an xdist worker: its controller prints the summary
                workeroutput[_WORKER_KEPT] = f"[{worker}] {text}"
            else:
                config.stash.setdefault(_KEPT, []).append(text)


def namespace_name(nodeid: str, salt: str) -> str:
    """A DNS label for the test's namespace: ``t-<test name>-<hash>`` within 63 characters."""
    name = nodeid.rsplit("::", 1)[-1].lower()
    slug = re.sub(r"[^a-z0-9]+", "-", name).strip("-")[:45].strip("-") or "test"
    digest = hashlib.sha1(f"{nodeid}\0{salt}".encode()).hexdigest()[:8]
    return f"t-{slug}-{digest}"


@pytest.fixture
def minik_namespace(minik: Minik, request: pytest.FixtureRequest) -> Iterator[Minik]:
    """``minik`` bound to a new namespace of its own (``.namespace``), deleted after the test."""
    name = namespace_name(request.node.nodeid, os.urandom(4).hex())
    view = minik.create_namespace(name)
    try:
        yield view
    finally:
        minik.delete_namespace(name)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when != "call" or not report.failed:
        return report
    session = item.config.stash.get(_SESSION, None)
    funcargs = getattr(item, "funcargs", {})
    if session is None or not ({"minik", "minik_namespace"} & set(funcargs)):
        return report
    from minik.testing import report as minik_report

    view = funcargs.get("minik_namespace")
    namespace = view.namespace if isinstance(view, Minik) else None
    for title, text in minik_report.sections(Minik(session), item.nodeid, namespace):
        report.sections.append((title, text))
    return report


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist's controller: a worker that kept its instance said where."""
    text = (getattr(node, "workeroutput", None) or {}).get(_WORKER_KEPT)
    if text:
        node.config.stash.setdefault(_KEPT, []).append(str(text))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    texts = terminalreporter.config.stash.get(_KEPT, [])
    if texts:
        terminalreporter.write_sep("-", "minik --minik-keep")
        for text in texts:
            terminalreporter.write_line(text)
