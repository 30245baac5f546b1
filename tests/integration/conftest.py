"""Fixtures for tests that talk to a real Docker engine, and the serial group.

``docker_client``, ``test_labels``, ``minik``, ``real_time``, ``pod_name``, ``api`` and the
session-wide leftover check are defined in :mod:`tests.support.fixtures` (read
there what each does); importing them here makes them every integration test's.

Most modules are independent (each has its own state directory, instance
label and subnet) and run in parallel (pytest-xdist, ``--dist loadfile``:
one module stays on one worker). The modules in :data:`SERIAL` must run
alone; they are marked ``serial`` and scripts/integration.sh runs them after
the parallel part, one at a time. The modules in :data:`QUIET` must not run
beside the parallel part's load but are light themselves; they are marked
``serial`` and ``quiet`` and run last, beside each other. The modules in :data:`HOST_LOCKS` may run
beside others but not beside each other, in this run or another on the same
machine (fixed host ports, a fixed subnet, the private dockerd's paths).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fixtures import (
    _nothing_left_behind,
    api,
    docker_client,
    instances,
    minik,
    minik_pods_clean_up,
    pod_name,
    real_time,
    test_labels,
)
from tests.support.host import host_lock

__all__ = [
    "_nothing_left_behind",
    "api",
    "docker_client",
    "instances",
    "minik",
    "minik_pods_clean_up",
    "pod_name",
    "real_time",
    "test_labels",
]

# Module (relative to this folder) -> why it must run alone. scripts/integration.sh runs
# these after the parallel part, one module at a time.
# The other fault modules (store faults, containers killed from outside, the security checks)
# run beside the rest: each touches only its own instance and none of them times anything
# against the machine's load.
SERIAL = {
    "faults/test_load.py": "load: 200 pods at once, watches that must see every change in order",
    "e2e/test_teardown_many.py": "forty instances made and deleted, four at a time: loads the engine and both cores",
}

# Module -> why it must not run beside the parallel part. These are light (each keeps the two
# cores 12-33 % busy alone), so scripts/integration.sh runs them last, beside each other: the
# group takes as long as its longest module instead of the sum of the three.
QUIET = {
    "faults/test_engine_restart.py": "a private dockerd crashed mid-Job: the Job's failure count depends on "
    "the engine's downtime against its back-off (failed 4, not 2, once beside the suite at load ~25)",
    "faults/test_host_bounds.py": "floods of 1,100 half-sent requests and 20,000 idle connections; answers timed",
    "e2e/test_kubectl_top.py": "CPU-sensitive: a busy loop must show more than 0.1 core",
}

# Module -> a machine-wide lock it holds while it runs: what two runs (or two workers) on one
# machine cannot do at once. Held from before the module's instance starts until after it is gone.
HOST_LOCKS = {
    "e2e/test_host_modes.py": "host-ports",  # hostPort / NodePort / LoadBalancer on 127.0.0.1
    "e2e/test_teardown.py": "subnet-10.251.77",  # a blocker network on a fixed subnet
    "faults/test_engine_restart.py": "private-dockerd",  # fixed socket, pid file and data root
}

_HERE = Path(__file__).parent


def _where(path: Path) -> str | None:
    try:
        return path.relative_to(_HERE).as_posix()
    except ValueError:
        return None


# The longest modules of the parallel part, longest first (seconds from a module's first test
# to its last, in a fresh-clone CI run on 2 cores at -n 3: .ci/artifacts/modules-parallel.txt).
# They are handed out first (scripts/integration.sh passes --no-loadscope-reorder, or xdist
# would order modules by their number of tests): --dist loadfile gives workers whole modules in
# collection order, so a long module collected last would run alone at the end (longest-first
# scheduling). The real-clock CronJob test waits 24-59 s for a minute boundary, so it goes early
# too. Only the order changes; every module still runs.
LONGEST_FIRST = (
    "e2e/test_server_kill.py",  # 115 s: MINIK_FAULT_TRIALS SIGKILL trials
    "e2e/test_kubectl.py",  # 94
    "e2e/test_eviction.py",  # 66: upstream's real timing
    "e2e/test_crash_matrix.py",  # 57: its unkilled reference run
    "e2e/test_teardown.py",  # 57
    "kubelet/test_node_view.py",  # 56
    "faults/test_security.py",  # 55
    "test_pytest_plugin.py",  # 54: the example project, three ways
    "e2e/test_services.py",  # 53
    "e2e/test_cronjob.py",  # 28-60: the real-clock minute
    "e2e/test_cli.py",  # 46
    "e2e/test_realworld_run.py",  # 43
    "e2e/test_cli_flags.py",  # 40
    "faults/test_store_faults.py",  # 38
    "e2e/test_scale_guard.py",  # 36
    "faults/test_pod_container_killed.py",  # 31
    "e2e/test_tutorials.py",  # 30
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        where = _where(item.path) or ""
        reason = SERIAL.get(where) or QUIET.get(where)
        if reason is not None:
            item.add_marker(pytest.mark.serial(reason=reason))
        if where in QUIET:
            item.add_marker(pytest.mark.quiet)
    rank = {where: i for i, where in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(_where(item.path) or "", len(rank)))  # stable: file order kept


@pytest.fixture(scope="module", autouse=True)
def _host_lock(request: pytest.FixtureRequest) -> Iterator[None]:
    """The module's machine-wide lock (HOST_LOCKS), if it has one; autouse, so taken before its instance."""
    name = HOST_LOCKS.get(_where(request.path) or "")
    if name is None:
        yield
        return
    with host_lock(name):
        yield
