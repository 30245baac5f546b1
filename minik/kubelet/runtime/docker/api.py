"""The one way into Docker.

Everything minik does to the Docker engine goes through :class:`DockerAPI`:
docker-py is imported here and nowhere else, its blocking calls run in worker
threads through ``anyio.to_thread.run_sync``, and its exceptions are
translated into minik's error tree (:class:`DockerUnavailable`,
:class:`RuntimeFailure`). Every object minik creates carries
``minik.io/managed=true`` plus the caller's labels, so cleanup and adoption
can be done by label alone.

This module owns the translation and the labels; it knows nothing about pods.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Mapping
from typing import Any

import docker
import docker.errors
import docker.types

from minik.errors import RuntimeFailure
from minik.kubelet import labels, subnets
from minik.kubelet.runtime import ContainerEvent, ContainerInfo, ContainerStats, Endpoint, NoSuchObject
from minik.kubelet.runtime.docker.base import EventStream
from minik.kubelet.runtime.docker.cleanup import containers_on, forget_endpoint, remove_labelled_sync
from minik.kubelet.runtime.docker.streams import DockerStreams

__all__ = [
    "MANAGED_LABEL",
    "ContainerEvent",
    "ContainerInfo",
    "DockerAPI",
    "NoSuchObject",
    "forget_endpoint",
    "remove_labelled_sync",
]

MANAGED_LABEL = labels.MANAGED

log = logging.getLogger("minik.docker")

ADDRESS_RETRIES = 20  # a container's start waits up to 20 × 0.1 s for its fixed address to be let go
ADDRESS_RETRY_PAUSE = 0.1


class DockerAPI(DockerStreams):
    """Async facade over docker-py; one instance per process."""

    async def ping(self) -> None:
        """Raise :class:`DockerUnavailable` unless the engine answers."""
        await self._call("ping", lambda: self._docker().ping())

    async def create_container(
        self,
        *,
        image: str,
        name: str,
        labels: Mapping[str, str],
        command: list[str] | None = None,
        endpoint: Endpoint | None = None,
        **config: Any,
    ) -> str:
        """Create (not start) a container; return its id.

        With ``endpoint`` it is created on that network with that fixed
        address and those aliases (the network must be minik's, with an
        explicit subnet).
        """
        all_labels = {MANAGED_LABEL: "true", **labels}

        def create() -> str:
            api = self._docker().api
            host_config = api.create_host_config(**config.pop("host_config", {}))
            if endpoint is not None:
                ep = api.create_endpoint_config(ipv4_address=endpoint.ip, aliases=list(endpoint.aliases))
                config["networking_config"] = api.create_networking_config({endpoint.network: ep})
            res = api.create_container(
                image=image,
                name=name,
                command=command,
                labels=all_labels,
                host_config=host_config,
                **config,
            )
            return str(res["Id"])

        return await self._call(f"create container {name}", create)

    async def start(self, container_id: str) -> None:
        """Start a container. A fixed address the engine has not let go of yet — the pod's
        previous container died a moment ago — is waited for a little (up to 2 s)."""

        def start() -> None:
            api = self._docker().api
            for attempt in range(ADDRESS_RETRIES):
                try:
                    api.start(container_id)
                    return
                except docker.errors.APIError as exc:
                    text = str(exc).lower()
                    # Not a published hostPort taken by another process: that one is not let go.
                    held = "address already in use" in text and "external connectivity" not in text
                    if not held or attempt == ADDRESS_RETRIES - 1:
                        raise
                    time.sleep(ADDRESS_RETRY_PAUSE)

        await self._call(f"start {container_id[:12]}", start)

    async def open_container_events(self, labels: Mapping[str, str], actions: tuple[str, ...]) -> EventStream:
        """Open Docker's event stream for containers carrying all ``labels``, from now on.

        One long-lived HTTP request (no timeout). Iterate the result for
        :class:`ContainerEvent`; close it when done.
        """
        filters = {
            "type": ["container"],
            "event": list(actions),
            "label": [f"{k}={v}" for k, v in labels.items()],
        }
        stream = await self._call("events", lambda: self._docker().api.events(filters=filters, decode=True))
        return EventStream(stream)

    async def inspect(self, container_id: str) -> ContainerInfo:
        attrs = await self._call(
            f"inspect {container_id[:12]}", lambda: self._docker().api.inspect_container(container_id)
        )
        return ContainerInfo.from_attrs(attrs)

    async def stop(self, container_id: str, *, grace_seconds: int) -> None:
        await self._call(
            f"stop {container_id[:12]}",
            lambda: self._docker().api.stop(container_id, timeout=grace_seconds),
        )

    async def stats(self, container_id: str) -> ContainerStats:
        """One reading of the container's CPU time and memory working set (no 1 s wait: ``one_shot``)."""
        raw = await self._call(
            f"stats {container_id[:12]}",
            lambda: self._docker().api.stats(container_id, stream=False, one_shot=True),
        )
        return ContainerStats.from_raw(raw)

    async def remove_container(self, container_id: str) -> None:
        def remove() -> None:
            try:
                self._docker().api.remove_container(container_id, force=True, v=True)
            except docker.errors.NotFound:
                pass

        await self._call(f"remove {container_id[:12]}", remove)

    async def logs(self, container_id: str, *, timestamps: bool = False, tail: int | None = None) -> bytes:
        kwargs: dict[str, Any] = {"stdout": True, "stderr": True, "timestamps": timestamps}
        if tail is not None and tail >= 0:
            kwargs["tail"] = tail
        data = await self._call(
            f"logs {container_id[:12]}", lambda: self._docker().api.logs(container_id, **kwargs)
        )
        return bytes(data)

    async def engine_info(self) -> dict[str, Any]:
        """``docker info``: CPUs, memory, OS, kernel, engine version (for the Node)."""
        return dict(await self._call("info", lambda: self._docker().info()))

    async def has_image(self, image: str) -> bool:
        try:
            await self._call(f"image {image}", lambda: self._docker().api.inspect_image(image))
        except NoSuchObject:
            return False
        return True

    async def image_size(self, image: str) -> int:
        attrs = await self._call(f"image {image}", lambda: self._docker().api.inspect_image(image))
        return int(attrs.get("Size") or 0)

    async def pull(self, image: str) -> None:
        last = image.rsplit("/", 1)[-1]
        repo, _, tag = image.rpartition(":") if ":" in last else (image, "", "latest")
        await self._call(f"pull {image}", lambda: self._docker().api.pull(repo, tag=tag or "latest"))

    async def create_volume(self, name: str, volume_labels: Mapping[str, str]) -> None:
        all_labels = {MANAGED_LABEL: "true", **volume_labels}
        await self._call(f"volume {name}", lambda: self._docker().api.create_volume(name, labels=all_labels))

    async def volume_path(self, name: str) -> str:
        info = await self._call(f"volume {name}", lambda: self._docker().api.inspect_volume(name))
        return str(info["Mountpoint"])

    async def set_aliases(self, network: str, container: str, aliases: list[str], *, ip: str = "") -> None:
        """(Re)connect ``container`` to ``network`` with these DNS aliases (keeping its fixed ``ip``)."""

        def run() -> None:
            api = self._docker().api
            with contextlib.suppress(docker.errors.APIError):
                api.disconnect_container_from_network(container, network)
            api.connect_container_to_network(container, network, aliases=aliases, ipv4_address=ip or None)

        await self._call(f"aliases {container[:12]}", run)

    async def forget_endpoint(self, network: str, container_name: str) -> None:
        """Drop an endpoint Docker 20.10 may keep for a removed container (see :func:`forget_endpoint`)."""
        await self._call(
            f"forget endpoint {container_name}",
            lambda: forget_endpoint(self._docker().api, network, container_name),
        )

    async def image_user(self, image: str) -> str:
        """The user an image runs as (its ``Config.User``; ``""`` for root by default)."""
        attrs = await self._call(f"image {image}", lambda: self._docker().api.inspect_image(image))
        return str((attrs.get("Config") or {}).get("User") or "")

    async def list_containers(self, labels: Mapping[str, str]) -> list[ContainerInfo]:
        """Every container (running or not) carrying all of ``labels``."""
        filters = {"label": [f"{k}={v}" for k, v in labels.items()]}

        def list_all() -> list[dict[str, Any]]:
            api = self._docker().api
            out = []
            for c in api.containers(all=True, filters=filters):
                try:
                    out.append(api.inspect_container(c["Id"]))
                except docker.errors.NotFound:
                    continue
            return out

        return [ContainerInfo.from_attrs(a) for a in await self._call("list containers", list_all)]

    async def ensure_network(self, name: str, labels: Mapping[str, str]) -> str:
        """Make the bridge network ``name`` unless it exists, on a subnet of minik's range; its subnet.

        The subnet is the first one of ``MINIK_SUBNET_POOL`` that no other
        Docker network and no route of the host covers (see
        :mod:`minik.kubelet.subnets`); a subnet taken by a network created
        meanwhile is skipped. Docker's own dynamic allocation gets the
        subnet's lower half (``ip_range``); pods get fixed addresses of the
        upper half from minik's IPAM. :class:`RuntimeFailure` when none is left.
        """
        pool, prefix = subnets.pool_from_env()
        all_labels = {MANAGED_LABEL: "true", **labels}

        def subnet_of(net: Mapping[str, Any]) -> str:
            for cfg in (net.get("IPAM") or {}).get("Config") or []:
                if subnets.parse_subnets([str(cfg.get("Subnet", ""))]):
                    return str(cfg["Subnet"])
            raise RuntimeFailure(f"network {name} has no IPv4 subnet: remove it (minik makes it anew)")

        def run() -> str:
            api = self._docker().api
            nets = api.networks()
            mine = [n for n in nets if n.get("Name") == name]
            if mine:
                return subnet_of(mine[0])
            used = subnets.parse_subnets(
                str(cfg.get("Subnet", ""))
                for n in nets
                for cfg in ((n.get("IPAM") or {}).get("Config") or [])
            )
            used += subnets.host_routes()
            for subnet in subnets.candidates(pool, prefix, used):
                dynamic = str(subnets.dynamic_range(subnet))
                pool_cfg = docker.types.IPAMPool(subnet=str(subnet), iprange=dynamic)
                ipam = docker.types.IPAMConfig(pool_configs=[pool_cfg])
                try:
                    api.create_network(
                        name, driver="bridge", labels=all_labels, ipam=ipam, check_duplicate=True
                    )
                    return str(subnet)
                except docker.errors.APIError as exc:
                    text = str(exc)
                    if "already exists" in text:  # another start won the race
                        return subnet_of(api.inspect_network(name))
                    if "overlap" not in text:
                        raise
            raise RuntimeFailure(
                f"network {name}: no free /{prefix} subnet left in {pool} "
                "(set MINIK_SUBNET_POOL, or remove unused instances with `minik server delete --all`)"
            )

        return await self._call(f"network {name}", run)

    async def remove_network_if_unused(self, name: str) -> bool:
        """Remove the network ``name`` when no container is attached to it; True if removed."""

        def run() -> bool:
            api = self._docker().api
            for n in api.networks():
                if n.get("Name") != name:
                    continue
                if (api.inspect_network(n["Id"]).get("Containers") or {}) or containers_on(api, name):
                    return False
                try:
                    api.remove_network(n["Id"])
                except docker.errors.NotFound:
                    return False
                return True
            return False

        return await self._call(f"remove network {name}", run)

    async def remove_labelled(self, labels: Mapping[str, str], *, names: list[str] | None = None) -> int:
        """Remove every container, volume and network carrying all ``labels``.

        Returns how many objects were removed (``names`` receives what each
        was). Used by pod deletion, ``minik server delete`` and the tests'
        cleanup fixture.
        """
        return await self._call(
            "remove labelled objects",
            functools.partial(remove_labelled_sync, self._docker(), labels, names=names),
        )

    async def label_values(self, labels: Mapping[str, str], key: str) -> dict[str, dict[str, str]]:
        """For each value of label ``key`` on containers, volumes and networks carrying ``labels``:
        the labels of one object that carries it (a network's, which names the home, when there is one)."""
        filters = {"label": [f"{k}={v}" for k, v in labels.items()] + [key]}

        def run() -> dict[str, dict[str, str]]:
            api = self._docker().api
            out: dict[str, dict[str, str]] = {}
            found = [c.get("Labels") or {} for c in api.containers(all=True, filters=filters)]
            found += [
                v.get("Labels") or {} for v in (api.volumes(filters=filters) or {}).get("Volumes") or []
            ]
            nets = [n.get("Labels") or {} for n in api.networks(filters=filters)]
            for lab in found:
                out.setdefault(str(lab[key]), dict(lab))
            for lab in nets:
                out[str(lab[key])] = dict(lab)
            return out

        return await self._call("list labelled objects", run)
