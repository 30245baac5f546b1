"""Fixtures for tests that talk to a real Docker engine, and the serial group.

``docker_client``, ``test_labels``, ``minik``, ``real_time``, ``pod_name``, ``api`` and the
session-wide leftover check are defined in :mod:`tests.support.fixtures` (read
there what each does); importing them here makes them every integration test's.

Most modules are independent (each has its own state directory, instance
label and subnet) and run in parallel (pytest-xdist, ``--dist loadfile``:
one module stays on one worker). The modules in :data:`SERIAL` must run
alone; they are marked ``serial`` and scripts/integration.sh runs them after
the parallel part, one at a time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fixtures import (
    _nothing_left_behind,
    api,
    docker_client,
    minik,
    minik_pods_clean_up,
    pod_name,
    real_time,
    test_labels,
)

__all__ = [
    "_nothing_left_behind",
    "api",
    "docker_client",
    "minik",
    "minik_pods_clean_up",
    "pod_name",
    "real_time",
    "test_labels",
]

# Module (relative to this folder) -> why it must run alone.
SERIAL = {
    "faults/": "fault injection: kills servers, restarts a private engine, loads the machine, times recovery",
    "e2e/test_server_kill.py": "SIGKILL trials: a fault test whose every trial waits on recovery",
    "e2e/test_teardown.py": "forty instances made and deleted at once, and an engine proxy cut",
    "e2e/test_host_modes.py": "host ports: hostPort and NodePort/LoadBalancer services bind 127.0.0.1",
    "e2e/test_realworld_run.py": "host ports: the corpus binds hostPort 9100 and nodePorts 30080 and 30880",
    "e2e/test_kubectl_top.py": "CPU-sensitive: a busy loop must show more than 0.1 core",
}

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        try:
            where = item.path.relative_to(_HERE).as_posix()
        except ValueError:
            continue
        reason = next((why for prefix, why in SERIAL.items() if where.startswith(prefix)), None)
        if reason is not None:
            item.add_marker(pytest.mark.serial(reason=reason))
