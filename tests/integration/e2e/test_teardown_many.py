"""Forty instances created and deleted, four at a time, leave the engine able to make networks (issue 15).

In a module of its own: it loads the engine and both cores for a while, so it
runs in the serial group (tests/integration/conftest.py).
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker

from tests.support import Minik, engine, new_instance


def labelled(client: docker.DockerClient, instance: str) -> dict[str, list[str]]:
    return engine.labelled(client, f"minik.io/instance={instance}")


def test_forty_instances_created_and_deleted_leave_the_engine_able_to_create_networks(
    instances: list[Minik], tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    made = [new_instance(instances, tmp_path) for _ in range(40)]

    def create_and_delete(inst: Minik) -> str:
        inst.run("server", "start")
        instance = inst.instance
        deadline = time.monotonic() + 20  # the network is made at start-up, in the background
        while not labelled(docker_client, instance)["networks"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert labelled(docker_client, instance)["networks"], "the instance network was not made"
        inst.run("server", "delete")
        assert labelled(docker_client, instance)["networks"] == []
        assert not inst.home.exists()
        return instance

    with ThreadPoolExecutor(4) as pool:  # four at a time: CI's two cores stay busy, not swamped
        ids = list(pool.map(create_and_delete, made))
    assert len(set(ids)) == 40
    probe = docker_client.api.create_network(f"minik-probe-{uuid.uuid4().hex[:8]}", driver="bridge")
    docker_client.api.remove_network(probe["Id"])
