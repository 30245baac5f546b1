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
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import docker
import docker.errors
import docker.types
import requests.exceptions

from minik.errors import DockerUnavailable, RuntimeFailure
from minik.kubelet import subnets

MANAGED_LABEL = "minik.io/managed"
FOLLOW_LIMIT = 512  # concurrent `logs -f` readers, each a thread blocked on its stream

log = logging.getLogger("minik.docker")
T = TypeVar("T")

_UNREACHABLE = (requests.exceptions.ConnectionError, ConnectionError, FileNotFoundError)


def _unavailable(exc: BaseException) -> DockerUnavailable:
    return DockerUnavailable(
        "cannot reach the Docker engine "
        f"({type(exc).__name__}: {exc}); start it (as root on Debian: "
        "scripts/ensure-docker.sh) or set DOCKER_HOST to a running engine"
    )


def _translate(what: str, exc: Exception) -> Exception:
    if isinstance(exc, _UNREACHABLE):
        return _unavailable(exc)
    if isinstance(exc, docker.errors.NotFound):
        return NoSuchObject(f"{what}: {exc.explanation or exc}")
    if isinstance(exc, docker.errors.APIError):
        return RuntimeFailure(f"{what}: {exc.explanation or exc}")
    if isinstance(exc, docker.errors.DockerException):
        if "Error while fetching server API version" in str(exc):
            return _unavailable(exc)
        return RuntimeFailure(f"{what}: {exc}")
    return exc  # not a Docker failure: let it through unchanged


@dataclass(frozen=True)
class ContainerEvent:
    """One container event from Docker's stream (``die`` carries the exit code)."""

    action: str  # die | destroy | oom | …
    id: str
    exit_code: int | None = None


class EventStream:
    """An open ``/events`` stream; each event is read in a worker thread.

    Iteration ends with :class:`DockerUnavailable` when the engine goes
    away. :meth:`aclose` unblocks a reader thread left behind by a cancel.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._done = object()

    def _read(self) -> Any:
        try:
            return next(self._stream, self._done)
        except Exception as exc:
            raise _translate("events", exc) from exc

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> ContainerEvent:
        raw = await anyio.to_thread.run_sync(self._read, abandon_on_cancel=True)
        if raw is self._done:
            raise DockerUnavailable("the Docker engine closed its event stream")
        actor = raw.get("Actor") or {}
        attrs = actor.get("Attributes") or {}
        code = str(attrs.get("exitCode", ""))
        return ContainerEvent(
            action=str(raw.get("Action") or raw.get("status") or ""),
            id=str(actor.get("ID") or raw.get("id") or ""),
            exit_code=int(code) if code.lstrip("-").isdigit() else None,
        )

    async def aclose(self) -> None:
        with contextlib.suppress(Exception):
            self._stream.close()


class NoSuchObject(RuntimeFailure):
    """The container, volume, network or image does not exist."""


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
        )


class DockerAPI:
    """Async facade over docker-py; one instance per process."""

    def __init__(self, client: Any | None = None, *, timeout: int = 120) -> None:
        self._client = client
        self._timeout = timeout
        self._followers: anyio.CapacityLimiter | None = None

    # -- plumbing ----------------------------------------------------------
    def _docker(self) -> Any:
        if self._client is None:
            try:
                self._client = docker.from_env(timeout=self._timeout)
            except Exception as exc:
                raise _translate("connect", exc) from exc
        return self._client

    async def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        def run() -> T:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                translated = _translate(what, exc)
                if translated is exc:
                    raise
                raise translated from exc

        return await anyio.to_thread.run_sync(run)

    @property
    def api(self) -> Any:
        """The low-level ``docker.APIClient`` (for use inside :meth:`call`)."""
        return self._docker().api

    async def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one blocking docker-py call in a worker thread, translating errors."""
        return await self._call(what, fn, *args, **kwargs)

    # -- engine ------------------------------------------------------------
    async def ping(self) -> None:
        """Raise :class:`DockerUnavailable` unless the engine answers."""
        await self._call("ping", lambda: self._docker().ping())

    # -- containers --------------------------------------------------------
    async def create_container(
        self,
        *,
        image: str,
        name: str,
        labels: Mapping[str, str],
        command: list[str] | None = None,
        **config: Any,
    ) -> str:
        """Create (not start) a container; return its id."""
        all_labels = {MANAGED_LABEL: "true", **labels}

        def create() -> str:
            api = self._docker().api
            host_config = api.create_host_config(**config.pop("host_config", {}))
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
        await self._call(f"start {container_id[:12]}", lambda: self._docker().api.start(container_id))

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

    async def image_user(self, image: str) -> str:
        """The user an image runs as (its ``Config.User``; ``""`` for root by default)."""
        attrs = await self._call(f"image {image}", lambda: self._docker().api.inspect_image(image))
        return str((attrs.get("Config") or {}).get("User") or "")

    async def stream_logs(
        self,
        container_id: str,
        *,
        follow: bool,
        tail: int | None = None,
        timestamps: bool = False,
        since: int | None = None,
    ) -> AsyncIterator[bytes]:
        """A container's logs; with ``follow``, as they come until it stops or the caller goes away.

        A follow reads in threads of its own pool (:data:`FOLLOW_LIMIT`), never
        the engine calls' pool, so quiet followers cannot stop pods from
        starting; when the caller goes away the stream is closed, which ends
        the thread blocked on it.
        """
        kwargs: dict[str, Any] = {"stdout": True, "stderr": True, "timestamps": timestamps}
        if tail is not None and tail >= 0:
            kwargs["tail"] = tail
        if since:
            kwargs["since"] = since
        what = f"logs {container_id[:12]}"
        if not follow:
            data = await self._call(what, lambda: self._docker().api.logs(container_id, **kwargs))
            if data:
                yield bytes(data)
            return
        stream = await self._call(
            what, lambda: self._docker().api.logs(container_id, stream=True, follow=True, **kwargs)
        )
        if self._followers is None:
            self._followers = anyio.CapacityLimiter(FOLLOW_LIMIT)
        try:
            while True:
                chunk = await anyio.to_thread.run_sync(
                    next, stream, None, limiter=self._followers, abandon_on_cancel=True
                )
                if chunk is None:
                    return
                yield bytes(chunk)
        finally:
            with contextlib.suppress(Exception):
                stream.close()

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

    # -- networks ----------------------------------------------------------
    async def ensure_network(self, name: str, labels: Mapping[str, str]) -> None:
        """Make the bridge network ``name`` unless it exists, on a subnet of minik's range.

        The subnet is the first one of ``MINIK_SUBNET_POOL`` that no other
        Docker network and no route of the host covers (see
        :mod:`minik.kubelet.subnets`); a subnet taken by a network created
        meanwhile is skipped. :class:`RuntimeFailure` when none is left.
        """
        pool, prefix = subnets.pool_from_env()
        all_labels = {MANAGED_LABEL: "true", **labels}

        def run() -> None:
            api = self._docker().api
            nets = api.networks()
            if any(n.get("Name") == name for n in nets):
                return
            used = subnets.parse_subnets(
                str(cfg.get("Subnet", ""))
                for n in nets
                for cfg in ((n.get("IPAM") or {}).get("Config") or [])
            )
            used += subnets.host_routes()
            for subnet in subnets.candidates(pool, prefix, used):
                ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(subnet))])
                try:
                    api.create_network(
                        name, driver="bridge", labels=all_labels, ipam=ipam, check_duplicate=True
                    )
                    return
                except docker.errors.APIError as exc:
                    text = str(exc)
                    if "already exists" in text:
                        return  # another start won the race
                    if "overlap" not in text:
                        raise
            raise RuntimeFailure(
                f"network {name}: no free /{prefix} subnet left in {pool} "
                "(set MINIK_SUBNET_POOL, or remove unused instances with `minik server delete --all`)"
            )

        await self._call(f"network {name}", run)

    async def remove_network_if_unused(self, name: str) -> bool:
        """Remove the network ``name`` when no container is attached to it; True if removed."""

        def run() -> bool:
            api = self._docker().api
            for n in api.networks():
                if n.get("Name") != name:
                    continue
                if (api.inspect_network(n["Id"]).get("Containers") or {}) or _containers_on(api, name):
                    return False
                try:
                    api.remove_network(n["Id"])
                except docker.errors.NotFound:
                    return False
                return True
            return False

        return await self._call(f"remove network {name}", run)

    # -- cleanup -----------------------------------------------------------
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


def remove_labelled_sync(client: Any, labels: Mapping[str, str], *, names: list[str] | None = None) -> int:
    """Blocking body of :meth:`DockerAPI.remove_labelled` (also used by tests).

    ``names``, when given, receives ``container NAME``, ``volume NAME`` and
    ``network NAME`` for each object removed.
    """
    said = names if names is not None else []
    filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
    api = client.api
    removed = 0
    cnames: list[str] = []
    for c in api.containers(all=True, filters=filters):
        cnames += [n.lstrip("/") for n in c.get("Names") or []]
        if c.get("State") == "running":
            # Leave the networks first: a running container force-removed while
            # attached is how Docker 20.10 ends up miscounting a network's endpoints.
            for net in (c.get("NetworkSettings") or {}).get("Networks") or {}:
                try:
                    api.disconnect_container_from_network(c["Id"], net, force=True)
                except docker.errors.APIError:
                    pass
        try:
            api.remove_container(c["Id"], force=True, v=True)
            removed += 1
            said.append(f"container {(c.get('Names') or [c['Id'][:12]])[0].lstrip('/')}")
        except docker.errors.NotFound:
            pass
    for v in (api.volumes(filters=filters) or {}).get("Volumes") or []:
        try:
            api.remove_volume(v["Name"], force=True)
            removed += 1
            said.append(f"volume {v['Name']}")
        except docker.errors.NotFound:
            pass
    for n in api.networks(filters=filters):
        gone = _remove_network(api, n["Id"], labels, cnames)
        removed += gone
        if gone:
            said.append(f"network {n.get('Name', n['Id'][:12])}")
    return removed


def _containers_on(api: Any, network: str) -> bool:
    """Whether any container, running or stopped, is configured on ``network``."""
    return bool(api.containers(all=True, filters={"network": [network]}))


def forget_endpoint(api: Any, network: str, container_name: str) -> None:
    """Drop a removed container's endpoint from ``network`` if Docker kept it.

    Docker 20.10 sometimes keeps the endpoint of a container removed while
    the engine is busy; nothing lists it, but the network can no longer be
    removed ("has active endpoints"). A forced disconnect by name deletes it.
    """
    try:
        api.disconnect_container_from_network(container_name, network, force=True)
    except docker.errors.APIError:
        pass  # nothing left over: the usual case


def _remove_network(
    api: Any, network_id: str, labels: Mapping[str, str], names: list[str], *, attempts: int = 12
) -> int:
    """Remove a network, first detaching what still holds an endpoint in it.

    Docker refuses ("has active endpoints") while a container that was just
    removed is still being torn down, when one was created a moment ago, or
    when it kept a removed container's endpoint: remove the attached ones
    carrying ``labels``, force-disconnect any other and the removed names,
    retry.
    """
    for attempt in range(attempts):
        try:
            api.remove_network(network_id)
            return 1
        except docker.errors.NotFound:
            return 0
        except docker.errors.APIError as exc:
            if "active endpoints" not in str(exc):
                raise
            if attempt == attempts - 1:
                # Docker 20.10's endpoint counter can stay above zero after a
                # busy spell with no endpoint left at all; only a newer engine
                # frees such a network. It holds no container: leave it.
                log.warning("cannot remove network %s: %s", network_id[:12], exc)
                return 0
        if attempt == 0:
            for name in names:
                forget_endpoint(api, network_id, name)
            continue
        try:
            attached = (api.inspect_network(network_id).get("Containers") or {}).keys()
        except docker.errors.NotFound:
            return 0
        for cid in attached:
            try:
                mine = all(
                    (api.inspect_container(cid)["Config"].get("Labels") or {}).get(k) == v
                    for k, v in labels.items()
                )
                if mine:
                    api.remove_container(cid, force=True, v=True)
                else:
                    api.disconnect_container_from_network(cid, network_id, force=True)
            except docker.errors.NotFound:
                pass
        time.sleep(0.25)
    return 0
