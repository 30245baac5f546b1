"""docker-py's answers as minik's values: error translation, container records, the event stream.

Shared by :mod:`minik.kubelet.runtime.docker.api`; docker-py is imported by these
runtime modules only.
"""

from __future__ import annotations

import contextlib
from typing import Any

import anyio.to_thread
import docker.errors
import requests.exceptions

from minik.errors import DockerUnavailable, RuntimeFailure
from minik.kubelet.runtime import ContainerEvent, NoSuchObject

_UNREACHABLE = (requests.exceptions.ConnectionError, ConnectionError, FileNotFoundError)


def _unavailable(exc: BaseException) -> DockerUnavailable:
    return DockerUnavailable(
        "cannot reach the Docker engine "
        f"({type(exc).__name__}: {exc}); start it (as root on Debian: "
        "scripts/ensure-docker.sh) or set DOCKER_HOST to a running engine"
    )


def translate(what: str, exc: Exception) -> Exception:
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
            raise translate("events", exc) from exc

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
