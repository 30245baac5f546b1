"""The pod-runtime (kubelet) integration tests: a private instance per module, strict about pods.

The ``minik`` fixture (``tests/support``) gives each module its own control
plane, driven only through minik's public interfaces; Docker is read (never
written) to check what the kubelet made, by the ``minik.io/pod-uid`` label.
Here its teardown is strict: every pod is deleted through the API and Docker
must then hold no container or volume of the instance (deleting a pod removes
all of its Docker objects); anything left is swept, then reported as a failure.

The names test modules import from here (``Cluster``, ``pod_yaml``,
``container_status``, ``condition``) live in ``tests/support``.
"""

from __future__ import annotations

import pytest

from tests.support.instance import Cluster
from tests.support.kube import condition, container_status, pod_yaml
from tests.support.process import minik_command

__all__ = ["Cluster", "condition", "container_status", "minik_command", "pod_yaml"]


@pytest.fixture(scope="module")
def minik_pods_clean_up() -> bool:
    return True
