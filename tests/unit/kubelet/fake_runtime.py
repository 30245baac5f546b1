"""An in-memory container engine implementing :class:`minik.kubelet.runtime.Runtime`.

Containers "run" a script instead of a process: ``exit_codes[name]`` lists
the exit code of each run of the pod container ``name`` (a run with no code
left exits 0); ``RUNS`` keeps it running until stopped, when it exits with
``stop_codes.get(name, 137)``. Sandboxes run until stopped. Every exit is
published on the event stream, as Docker's ``die`` event.

An exec whose command's first word is a key of ``exec_codes`` exits with
the next code of that list (the last one repeats): a scripted probe or
hook. ``execs`` and ``stops`` record what was exec'd and stopped, in order.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectSendStream

from minik.errors import DockerUnavailable, RuntimeFailure
from minik.kubelet.runtime import ContainerEvent, ContainerInfo, ContainerStats, Endpoint, NoSuchObject

RUNS = -1  # an exit code that means: keep running until stopped
STAMP = "2026-12-01T10:00:00.000000000Z"


@dataclass
class _Container:
    info: ContainerInfo
    config: dict[str, Any]


class FakeProcess:
    """An exec'd or attached "process": ``echo ARGS`` prints them, ``warn ARGS`` prints them on
    stderr, ``exit N`` exits N, ``cat`` (and attach) copies stdin to stdout until stdin is closed."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.sizes: list[tuple[int, int]] = []
        self.exit_code: int | None = None
        self._send, self._receive = anyio.create_memory_object_stream[tuple[int, bytes]](100)
        verb, args = (command[0], command[1:]) if command else ("cat", [])
        if verb in ("echo", "warn"):
            self._send.send_nowait((1 if verb == "echo" else 2, (" ".join(args) + "\n").encode()))
            self._end(0)
        elif verb == "exit":
            self._end(int(args[0]))

    def _end(self, code: int) -> None:
        self.exit_code = code
        self._send.close()

    async def read(self) -> list[tuple[int, bytes]]:
        try:
            return [await self._receive.receive()]
        except anyio.EndOfStream:
            return []

    async def write(self, data: bytes) -> None:
        if self.exit_code is None:
            await self._send.send((1, data))

    async def close_write(self) -> None:
        if self.exit_code is None:
            self._end(0)

    async def aclose(self) -> None:
        self._send.close()
        self._receive.close()


@dataclass
class FakeRuntime:
    root: Path
    images: dict[str, str] = field(default_factory=lambda: {"busybox:latest": "", "pause": ""})
    exit_codes: dict[str, list[int]] = field(default_factory=dict)
    stop_codes: dict[str, int] = field(default_factory=dict)
    network_error: str = ""
    subnet: str = "10.208.0.0/22"
    alias_calls: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)
    containers: dict[str, _Container] = field(default_factory=dict)
    networks: set[str] = field(default_factory=set)
    volumes: dict[str, Path] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)  # container names, in creation order
    usage: dict[str, ContainerStats] = field(default_factory=dict)  # container id → its next stats reading
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _subscribers: list[MemoryObjectSendStream[ContainerEvent]] = field(default_factory=list)
    processes: dict[str, FakeProcess] = field(default_factory=dict)  # exec id (or container id) -> process
    exec_codes: dict[str, list[int]] = field(default_factory=dict)  # scripted exec → its exit codes
    execs: list[tuple[str, list[str]]] = field(default_factory=list)  # (pod container, command)
    stops: list[tuple[str, int]] = field(default_factory=list)  # (pod container, grace seconds)
    disconnected: list[str] = field(default_factory=list)  # forced disconnects from the network
    inspect_outages: int = 0  # the next this many inspects find the engine not answering

    # -- engine ------------------------------------------------------------
    async def ping(self) -> None:
        return None

    async def engine_info(self) -> dict[str, Any]:
        return {"NCPU": 2, "MemTotal": 2**31, "OSType": "linux", "Architecture": "x86_64"}

    # -- containers --------------------------------------------------------
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
        if any(c.info.name == name for c in self.containers.values()):
            raise RuntimeFailure(f"create container {name}: Conflict. The container name is already in use")
        cid = f"c{next(self._ids):063d}"
        info = ContainerInfo(
            id=cid, name=name, labels=dict(labels), status="created", exit_code=0, oom_killed=False,
            started_at="0001-01-01T00:00:00Z", finished_at="0001-01-01T00:00:00Z", error="", ip="",
            image=image,
        )  # fmt: skip
        self.containers[cid] = _Container(
            info, {"image": image, "command": command, "endpoint": endpoint, **config}
        )
        self.created.append(name)
        return cid

    def _get(self, cid: str) -> _Container:
        if cid not in self.containers:
            raise NoSuchObject(f"no such container {cid[:12]}")
        return self.containers[cid]

    def _exit(self, c: _Container, code: int) -> None:
        c.info = replace(c.info, status="exited", exit_code=code, finished_at=STAMP)
        for s in list(self._subscribers):
            try:
                s.send_nowait(ContainerEvent("die", c.info.id, code))
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._subscribers.remove(s)  # the kubelet of an earlier (killed) server

    async def start(self, container_id: str) -> None:
        c = self._get(container_id)
        endpoint: Endpoint | None = c.config.get("endpoint")
        ip = endpoint.ip if endpoint is not None else ""
        if ip and any(o.info.status == "running" and o.info.ip == ip for o in self.containers.values()):
            raise RuntimeFailure(f"start {container_id[:12]}: Address already in use")
        c.info = replace(c.info, status="running", started_at=STAMP, ip=ip)
        name = c.info.labels.get("minik.io/container", "")
        if name == "POD":
            return
        codes = self.exit_codes.get(name) or []
        code = codes.pop(0) if codes else 0
        if code != RUNS:
            await anyio.lowlevel.checkpoint()
            self._exit(c, code)

    async def stop(self, container_id: str, *, grace_seconds: int) -> None:
        c = self._get(container_id)
        self.stops.append((c.info.labels.get("minik.io/container", ""), grace_seconds))
        if c.info.status == "running":
            self._exit(c, self.stop_codes.get(c.info.labels.get("minik.io/container", ""), 137))

    async def inspect(self, container_id: str) -> ContainerInfo:
        if self.inspect_outages:  # the engine does not answer (a restart): this many calls fail
            self.inspect_outages -= 1
            raise DockerUnavailable("cannot reach the Docker engine (connection refused)")
        return self._get(container_id).info

    async def remove_container(self, container_id: str) -> None:
        self.containers.pop(container_id, None)

    async def list_containers(self, labels: Mapping[str, str]) -> list[ContainerInfo]:
        return [c.info for c in self.containers.values() if labels.items() <= c.info.labels.items()]

    async def stats(self, container_id: str) -> ContainerStats:
        self._get(container_id)
        return self.usage.get(container_id, ContainerStats(cpu_ns=0, working_set=0))

    async def open_container_events(self, labels: Mapping[str, str], actions: tuple[str, ...]) -> Any:
        send, receive = anyio.create_memory_object_stream[ContainerEvent](1000)
        self._subscribers.append(send)

        class Stream:
            def __aiter__(self) -> AsyncIterator[ContainerEvent]:
                return receive.__aiter__()

            async def aclose(self) -> None:
                await receive.aclose()

        return Stream()

    # -- logs --------------------------------------------------------------
    async def logs(self, container_id: str, *, timestamps: bool = False, tail: int | None = None) -> bytes:
        return b""

    async def stream_logs(self, container_id: str, **_: Any) -> AsyncIterator[bytes]:
        if False:  # pragma: no cover - an empty async generator
            yield b""

    # -- images ------------------------------------------------------------
    async def has_image(self, image: str) -> bool:
        return image in self.images

    async def image_size(self, image: str) -> int:
        return 1

    async def image_user(self, image: str) -> str:
        return self.images[image]

    async def pull(self, image: str) -> None:
        raise RuntimeFailure(f"pull {image}: no registry answers")

    # -- volumes and networks -------------------------------------------------
    async def create_volume(self, name: str, volume_labels: Mapping[str, str]) -> None:
        path = self.root / "volumes" / name
        path.mkdir(parents=True, exist_ok=True)
        self.volumes[name] = path

    async def volume_path(self, name: str) -> str:
        if name not in self.volumes:
            raise NoSuchObject(f"no such volume {name}")
        return str(self.volumes[name])

    async def ensure_network(self, name: str, labels: Mapping[str, str]) -> str:
        if self.network_error:
            raise RuntimeFailure(f"network {name}: {self.network_error}")
        self.networks.add(name)
        return self.subnet

    async def remove_network_if_unused(self, name: str) -> bool:
        self.networks.discard(name)
        return True

    async def set_aliases(self, network: str, container: str, aliases: list[str], *, ip: str = "") -> None:
        self.alias_calls.append((container, tuple(aliases), ip))

    async def forget_endpoint(self, network: str, container_name: str) -> None:
        self.disconnected.append(container_name)

    # -- cleanup -----------------------------------------------------------
    async def remove_labelled(self, labels: Mapping[str, str], *, names: list[str] | None = None) -> int:
        gone = [cid for cid, c in self.containers.items() if labels.items() <= c.info.labels.items()]
        for cid in gone:
            del self.containers[cid]
        return len(gone)

    async def label_values(self, labels: Mapping[str, str], key: str) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for c in self.containers.values():
            if labels.items() <= c.info.labels.items() and key in c.info.labels:
                out.setdefault(c.info.labels[key], dict(c.info.labels))
        return out

    # -- exec and attach ---------------------------------------------------
    async def exec_create(
        self, container_id: str, command: list[str], *, stdin: bool, stdout: bool, stderr: bool, tty: bool
    ) -> str:
        if self._get(container_id).info.status != "running":
            raise RuntimeFailure(f"exec in {container_id[:12]}: Container {container_id} is not running")
        exec_id = f"e{len(self.processes) + 1}"
        self.execs.append((self._get(container_id).info.labels.get("minik.io/container", ""), command))
        script = self.exec_codes.get(command[0]) if command else None
        if script:
            code = script.pop(0) if len(script) > 1 else script[0]
            command = ["exit", str(code)]
        self.processes[exec_id] = FakeProcess(command)
        return exec_id

    async def exec_start(self, exec_id: str, *, tty: bool) -> FakeProcess:
        return self.processes[exec_id]

    async def exec_resize(self, exec_id: str, *, height: int, width: int) -> None:
        self.processes[exec_id].sizes.append((width, height))

    async def exec_exit_code(self, exec_id: str) -> int | None:
        return self.processes[exec_id].exit_code

    async def attach(
        self, container_id: str, *, stdin: bool, stdout: bool, stderr: bool, tty: bool
    ) -> FakeProcess:
        self._get(container_id)
        process = self.processes[container_id] = FakeProcess([])
        return process

    async def resize(self, container_id: str, *, height: int, width: int) -> None:
        self.processes[container_id].sizes.append((width, height))
