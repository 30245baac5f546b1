"""docker-py's connection pool holds every connection that can be out at once.

urllib3 keeps ``max_pool_size`` connections per pool (docker-py's default:
10) and discards the rest with a "Connection pool is full" warning; minik
runs up to 40 engine calls and 512 followed logs at once, so 150 exec
sessions used to fill the log with that warning.
"""

from __future__ import annotations

from typing import Any

import docker
import pytest

from minik.kubelet.runtime.docker import streams as docker_streams
from minik.kubelet.runtime.docker.streams import ENGINE_THREADS, FOLLOW_LIMIT, POOL_SIZE, DockerClient


def test_the_pool_has_a_place_for_every_connection_that_can_be_out(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Any] = []

    def from_env(**kwargs: Any) -> Any:  # docker-py's client, built without asking an engine its version
        client = docker.DockerClient(base_url="unix:///nonexistent/docker.sock", version="1.41", **kwargs)
        made.append(client)
        return client

    monkeypatch.setattr(docker_streams.docker, "from_env", from_env)
    api = DockerClient().api
    assert api.get_adapter(api.base_url).max_pool_size == POOL_SIZE >= ENGINE_THREADS + FOLLOW_LIMIT
    made[0].close()
