"""Fixtures of the control plane's unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from minik.kubelet.runtime.docker.api import DockerAPI
from minik.registry import Registry
from minik.server.controlplane import ControlPlane, Settings


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[ControlPlane]:
    """A control plane over a fresh store; its engine client is never reached (``object()``)."""
    store = Registry.open(tmp_path / "minik.db")
    yield ControlPlane(
        settings=Settings(home=tmp_path, instance="test"), registry=store, docker=DockerAPI(client=object())
    )
    store.close()
