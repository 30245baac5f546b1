"""The one interface between the kubelet and a container engine: :class:`Runtime`.

Every engine call the kubelet makes — containers, logs, images, volumes,
networks, the event stream, cleanup by label — is a method here, typed.
:class:`minik.kubelet.runtime.docker.api.DockerAPI` implements it over docker-py
(the only modules that import docker-py are ``docker_api``,
``docker_streams``, ``docker_base`` and ``docker_cleanup``); unit tests use an in-memory fake. The values it
returns are plain records, defined here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from minik.errors import RuntimeFailure


class NoSuchObject(RuntimeFailure):
    """The container, volume, network or image does not exist."""


@dataclass(frozen=True)
class ContainerEvent:
    """One container event from Docker's stream (``die`` carries the exit code)."""

    action: str  # die | destroy | oom | …
    id: str
    exit_code: int | None = None


@dataclass(frozen=True)
class ContainerInfo:
    """What minik reads back about a container (from ``inspect``)."""

    id: str
    name: str
    labels: Mapping[str, str]
    status: str  # created | running | exited | dead | paused | restarting | removing
    exit_code: int
    oom_killed: bool
    started_at: str
    finished_at: str
    error: str
    ip: str
    image: str = ""  # the image it was created from, as asked for (Config.Image)

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> ContainerInfo:
        state = attrs.get("State") or {}
        nets = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
        ip = next((n.get("IPAddress", "") for n in nets.values() if n.get("IPAddress")), "")
        return cls(
            id=str(attrs["Id"]),
            name=str(attrs.get("Name", "")).lstrip("/"),
            labels=dict((attrs.get("Config") or {}).get("Labels") or {}),
            status=str(state.get("Status", "")),
            exit_code=int(state.get("ExitCode") or 0),
            oom_killed=bool(state.get("OOMKilled")),
            started_at=str(state.get("StartedAt", "")),
            finished_at=str(state.get("FinishedAt", "")),
            error=str(state.get("Error", "")),
            ip=ip,
            image=str((attrs.get("Config") or {}).get("Image") or ""),
        )


@dataclass(frozen=True)
class Endpoint:
    """A container's place on a network: its fixed address and DNS aliases.

    Given to :meth:`Runtime.create_container` as ``endpoint=`` for a container
    that owns its network namespace (a sandbox, or a sandbox-less pod's
    container); minik's own IPAM (:mod:`minik.kubelet.network.ipam`) chose ``ip``.
    """

    network: str
    ip: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContainerStats:
    """One reading of a container's usage (``docker stats``, one shot)."""

    cpu_ns: int
    """Total CPU time used since the container started, in nanoseconds."""
    working_set: int
    """Memory in use minus inactive file cache, in bytes (what the kubelet reports)."""

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> ContainerStats:
        cpu = int(((raw.get("cpu_stats") or {}).get("cpu_usage") or {}).get("total_usage") or 0)
        mem = raw.get("memory_stats") or {}
        usage = int(mem.get("usage") or 0)
        stats = mem.get("stats") or {}
        inactive = int(stats.get("inactive_file", stats.get("total_inactive_file", 0)) or 0)
        return cls(cpu_ns=cpu, working_set=max(0, usage - inactive))


class EventSource(Protocol):
    """An open stream of container events (iterate it; close it when done)."""

    def __aiter__(self) -> AsyncIterator[ContainerEvent]: ...

    async def aclose(self) -> None: ...


class EngineStream(Protocol):
    """A process's stdin and output on an open engine connection (exec, attach)."""

    async def read(self) -> list[tuple[int, bytes]]:
        """The next output as ``(1 stdout | 2 stderr, bytes)`` pieces; ``[]`` once it has ended."""
        ...

    async def write(self, data: bytes) -> None: ...
    async def close_write(self) -> None: ...
    async def aclose(self) -> None: ...


class Runtime(Protocol):
    """What the kubelet needs of a container engine."""

    async def ping(self) -> None: ...
    async def engine_info(self) -> dict[str, Any]: ...

    # containers
    async def create_container(
        self,
        *,
        image: str,
        name: str,
        labels: Mapping[str, str],
        command: list[str] | None = None,
        endpoint: Endpoint | None = None,
        **config: Any,
    ) -> str: ...
    async def start(self, container_id: str) -> None: ...
    async def stop(self, container_id: str, *, grace_seconds: int) -> None: ...
    async def inspect(self, container_id: str) -> ContainerInfo: ...
    async def remove_container(self, container_id: str) -> None: ...
    async def list_containers(self, labels: Mapping[str, str]) -> list[ContainerInfo]: ...
    async def stats(self, container_id: str) -> ContainerStats: ...
    async def open_container_events(
        self, labels: Mapping[str, str], actions: tuple[str, ...]
    ) -> EventSource: ...

    # logs
    async def logs(
        self, container_id: str, *, timestamps: bool = False, tail: int | None = None
    ) -> bytes: ...
    def stream_logs(
        self,
        container_id: str,
        *,
        follow: bool,
        tail: int | None = None,
        timestamps: bool = False,
        since: int | None = None,
    ) -> AsyncIterator[bytes]: ...

    # images
    async def has_image(self, image: str) -> bool: ...
    async def image_size(self, image: str) -> int: ...
    async def image_user(self, image: str) -> str: ...
    async def pull(self, image: str) -> None: ...

    # volumes
    async def create_volume(self, name: str, volume_labels: Mapping[str, str]) -> None: ...
    async def volume_path(self, name: str) -> str: ...

    # networks
    async def ensure_network(self, name: str, labels: Mapping[str, str]) -> str:
        """Make the network unless it exists; its subnet (CIDR). Docker's own dynamic
        addresses come from the subnet's lower half only (see :mod:`minik.kubelet.network.ipam`)."""
        ...

    async def remove_network_if_unused(self, name: str) -> bool: ...
    async def set_aliases(self, network: str, container: str, aliases: list[str], *, ip: str = "") -> None:
        """(Re)connect ``container`` to ``network`` with these DNS aliases (and fixed address ``ip``)."""
        ...

    async def forget_endpoint(self, network: str, container_name: str) -> None: ...

    # cleanup by label
    async def remove_labelled(self, labels: Mapping[str, str], *, names: list[str] | None = None) -> int: ...
    async def label_values(self, labels: Mapping[str, str], key: str) -> dict[str, dict[str, str]]: ...

    # exec and attach (kubectl exec, attach, cp)
    async def exec_create(
        self, container_id: str, command: list[str], *, stdin: bool, stdout: bool, stderr: bool, tty: bool
    ) -> str: ...
    async def exec_start(self, exec_id: str, *, tty: bool) -> EngineStream: ...
    async def exec_resize(self, exec_id: str, *, height: int, width: int) -> None: ...
    async def exec_exit_code(self, exec_id: str) -> int | None:
        """The exit code of a finished exec; ``None`` while it runs."""
        ...

    async def attach(
        self, container_id: str, *, stdin: bool, stdout: bool, stderr: bool, tty: bool
    ) -> EngineStream: ...
    async def resize(self, container_id: str, *, height: int, width: int) -> None: ...
