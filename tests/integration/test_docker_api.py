"""The Docker boundary against a real engine."""

from __future__ import annotations

import anyio
import docker
import pytest

from minik.errors import DockerUnavailable
from minik.kubelet.runtime.docker.api import MANAGED_LABEL, DockerAPI


def test_a_labelled_container_is_created_started_seen_to_exit_and_removed(
    docker_client: docker.DockerClient, test_labels: dict[str, str]
) -> None:
    async def scenario() -> None:
        api = DockerAPI()
        await api.ping()
        cid = await api.create_container(
            image="busybox:latest",
            name=f"minik-test-{test_labels['minik.io/test']}",
            labels=test_labels,
            command=["sh", "-c", "echo hello from minik; exit 3"],
        )
        info = await api.inspect(cid)
        assert info.labels[MANAGED_LABEL] == "true"
        assert info.status == "created"
        events = await api.open_container_events(test_labels, ("die", "destroy"))
        await api.start(cid)
        with anyio.fail_after(30):
            die = await events.__anext__()
        assert (die.action, die.id, die.exit_code) == ("die", cid, 3)
        assert (await api.logs(cid)).decode() == "hello from minik\n"
        info = await api.inspect(cid)
        assert (info.status, info.exit_code) == ("exited", 3)
        assert [c.id for c in await api.list_containers(test_labels)] == [cid]
        await api.remove_container(cid)
        with anyio.fail_after(30):
            destroyed = await events.__anext__()
        assert (destroyed.action, destroyed.id) == ("destroy", cid)
        await events.aclose()
        assert await api.list_containers(test_labels) == []

    anyio.run(scenario)


def test_an_unreachable_engine_is_one_clear_error() -> None:
    async def scenario() -> None:
        api = DockerAPI(docker.DockerClient(base_url="unix:///nonexistent/docker.sock", version="1.41"))
        with pytest.raises(DockerUnavailable, match="cannot reach the Docker engine"):
            await api.ping()

    anyio.run(scenario)
