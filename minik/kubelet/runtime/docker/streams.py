"""docker-py behind :class:`minik.kubelet.runtime.Runtime`: the client plumbing and the long-lived streams.

:class:`DockerClient` holds the client and runs each blocking call in a
worker thread, translating docker-py's errors; :class:`DockerStreams` adds
what holds a connection open — followed logs, exec and attach sessions —
each in a thread pool of its own so that they cannot starve the engine
calls. :class:`minik.kubelet.runtime.docker.api.DockerAPI` builds on both.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import docker
import docker.errors
import docker.types

from minik.kubelet.runtime.docker.base import translate
from minik.kubelet.runtime.docker.hijacked import STREAM_LIMIT, HijackedStream

FOLLOW_LIMIT = 512  # concurrent `logs -f` readers, each a thread blocked on its stream
ENGINE_THREADS = 40  # anyio's default thread limiter: the engine calls that run at once
POOL_SIZE = ENGINE_THREADS + FOLLOW_LIMIT
"""docker-py's connection pool: every connection that can be out at once (an engine call or a
followed log; exec and attach sockets leave the pool) comes back to a place in it, so a burst
(150 exec sessions) never has urllib3 discard connections with "Connection pool is full"."""
T = TypeVar("T")


class DockerClient:
    """The docker-py client and the thread hop every call takes."""

    def __init__(self, client: Any | None = None, *, timeout: int = 120) -> None:
        self._client = client
        self._timeout = timeout
        self._followers: anyio.CapacityLimiter | None = None
        self._streams: anyio.CapacityLimiter | None = None

    def _docker(self) -> Any:
        if self._client is None:
            try:
                self._client = docker.from_env(timeout=self._timeout, max_pool_size=POOL_SIZE)
            except Exception as exc:
                raise translate("connect", exc) from exc
            if str(self._client.api.base_url).startswith("http+docker://"):
                # A local socket: no proxy or netrc from the environment applies, and
                # looking them up again on every call was ~3 % of the server's CPU.
                self._client.api.trust_env = False
        return self._client

    async def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        def run() -> T:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                translated = translate(what, exc)
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


class DockerStreams(DockerClient):
    """Streams that stay open: followed logs, exec, attach."""

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

    def _hijacked(self, sock: Any, *, tty: bool) -> HijackedStream:
        if self._streams is None:
            self._streams = anyio.CapacityLimiter(STREAM_LIMIT)
        return HijackedStream(sock, tty=tty, limiter=self._streams)

    async def exec_create(
        self, container_id: str, command: list[str], *, stdin: bool, stdout: bool, stderr: bool, tty: bool
    ) -> str:
        """Create a process in a running container (``docker exec``, not started); its id."""
        res = await self._call(
            f"exec in {container_id[:12]}",
            lambda: self._docker().api.exec_create(
                container_id, command, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty
            ),
        )
        return str(res["Id"])

    async def exec_start(self, exec_id: str, *, tty: bool) -> HijackedStream:
        """Start an exec; its stdin and output on the hijacked connection."""
        sock = await self._call(
            f"exec start {exec_id[:12]}",
            lambda: self._docker().api.exec_start(exec_id, tty=tty, socket=True),
        )
        return self._hijacked(sock, tty=tty)

    async def exec_resize(self, exec_id: str, *, height: int, width: int) -> None:
        await self._call(
            f"exec resize {exec_id[:12]}",
            lambda: self._docker().api.exec_resize(exec_id, height=height, width=width),
        )

    async def exec_exit_code(self, exec_id: str) -> int | None:
        info = await self._call(
            f"exec inspect {exec_id[:12]}", lambda: self._docker().api.exec_inspect(exec_id)
        )
        if info.get("Running"):
            return None
        code = info.get("ExitCode")
        return int(code) if code is not None else None

    async def attach(
        self, container_id: str, *, stdin: bool, stdout: bool, stderr: bool, tty: bool
    ) -> HijackedStream:
        """Attach to a running container's main process (``docker attach``)."""
        params = {"stdin": int(stdin), "stdout": int(stdout), "stderr": int(stderr), "stream": 1}
        sock = await self._call(
            f"attach {container_id[:12]}",
            lambda: self._docker().api.attach_socket(container_id, params=params),
        )
        return self._hijacked(sock, tty=tty)

    async def resize(self, container_id: str, *, height: int, width: int) -> None:
        await self._call(
            f"resize {container_id[:12]}",
            lambda: self._docker().api.resize(container_id, height=height, width=width),
        )
