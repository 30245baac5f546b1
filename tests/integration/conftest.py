"""Fixtures for tests that talk to a real Docker engine.

``MINIK_REQUIRE_DOCKER=1`` (set by tox's integration env and so by CI) turns
a missing engine into a test *failure*; without it the tests are skipped, so
a developer without Docker can still run the rest.

Every test gets a unique ``minik.io/test`` label; whatever carries it is
removed after the test, pass or fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import docker
import pytest

from minik.kubelet.docker_api import remove_labelled_sync

TEST_LABEL = "minik.io/test"


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as exc:
        msg = f"no Docker engine answers ({exc}); run scripts/ensure-docker.sh"
        if os.environ.get("MINIK_REQUIRE_DOCKER") == "1":
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    yield client
    client.close()


@pytest.fixture
def test_labels(docker_client: docker.DockerClient) -> Iterator[dict[str, str]]:
    """Labels unique to this test; everything carrying them is removed afterwards."""
    labels = {TEST_LABEL: uuid.uuid4().hex[:12]}
    yield labels
    remove_labelled_sync(docker_client, labels)
    leftovers = docker_client.api.containers(
        all=True, filters={"label": [f"{TEST_LABEL}={labels[TEST_LABEL]}"]}
    )
    assert not leftovers, f"test left containers behind: {leftovers}"
