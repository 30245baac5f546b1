"""Fixtures for the fault tests: private minik servers, optionally on a private Docker engine.

Each server gets its own ``MINIK_HOME`` and is driven through the real CLI
and its server process (``tests.support``: :class:`Minik`, :class:`Server`,
:func:`private_minik`). Trial counts and sizes come from environment
variables so ``tox -e faults`` can run them longer.
"""

from __future__ import annotations

import os

import pytest

from tests.support.instance import Minik
from tests.support.process import Server

KILL_TRIALS = int(os.environ.get("MINIK_FAULT_POD_KILL_TRIALS", "1"))
ENGINE_RESTARTS = int(os.environ.get("MINIK_FAULT_ENGINE_RESTARTS", "1"))
LOAD_JOBS = int(os.environ.get("MINIK_FAULT_LOAD_JOBS", "20"))
LOAD_PODS = int(os.environ.get("MINIK_FAULT_LOAD_PODS", "10"))


@pytest.fixture(scope="module")
def minik_server(minik: Minik) -> tuple[Minik, Server]:
    """The module's instance and its server process."""
    return minik, minik.server


def no_traceback(*texts: str) -> None:
    """A fault must read as sentences, never as a Python traceback."""
    for text in texts:
        assert "Traceback (most recent call last)" not in text, text[-3000:]
