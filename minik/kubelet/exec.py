"""The kubelet's side of ``kubectl exec`` and ``attach``: a process's streams in a pod's running container.

:class:`PodStreams` finds the container's current run by its Docker labels
and opens an exec (or attaches) through the :class:`Runtime`; the result is
an :class:`ExecSession` the API pumps to the client. A container that is not
running is refused as the kubelet refuses it: ``container not found
("NAME")`` (it only looks among running containers).

Owns no protocol: the WebSocket channels are the API's (:mod:`minik.api.streams`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from minik.errors import MinikError
from minik.k8s import Obj, meta
from minik.kubelet import labels
from minik.kubelet.runtime import EngineStream, Runtime

EXIT_CODE_WAIT = 5.0  # seconds an ended exec may take to report its exit code


class StreamRefused(MinikError):
    """The kubelet cannot open the stream (the API reports it as an internal error)."""


class ExecSession:
    """One exec or attach: its output, its stdin, its terminal size, how it ended."""

    def __init__(
        self,
        stream: EngineStream,
        *,
        resize: Callable[[int, int], Awaitable[None]],
        exit_code: Callable[[], Awaitable[int | None]],
        tty_attach: bool = False,
        keep_stdin: bool = False,
    ) -> None:
        self.stream = stream
        self._resize = resize
        self._exit_code = exit_code
        self._tty_attach = tty_attach
        self._keep_stdin = keep_stdin

    async def read(self) -> list[tuple[int, bytes]]:
        return await self.stream.read()

    async def write(self, data: bytes) -> None:
        await self.stream.write(data)

    async def close_write(self) -> None:
        """The client's stdin ended.

        Attached to a tty, the engine would end the output with it (Docker closes
        a tty attach's output when its stdin closes), losing what the process
        still prints; a terminal's end-of-file character (^D) tells the process
        instead, and the output runs on until it ends, as with containerd.

        Attached without a tty to a container with ``stdin`` but not ``stdinOnce``
        (``kubectl debug -i``'s), the engine would end the output too; the
        container's stdin stays open (containerd closes it for ``stdinOnce``
        only), so nothing is passed on and the output runs on until it ends.
        """
        if self._tty_attach:
            await self.stream.write(b"\x04")
            return
        if self._keep_stdin:
            return
        await self.stream.close_write()

    async def resize(self, width: int, height: int) -> None:
        try:
            await self._resize(width, height)
        except MinikError:
            pass  # a resize racing the process's end, as the kubelet: ignored

    async def exit_code(self) -> int | None:
        """The process's exit code once its output has ended (``None``: unknown, or attach)."""
        return await self._exit_code()

    async def aclose(self) -> None:
        await self.stream.aclose()


class PodStreams:
    def __init__(self, runtime: Runtime, *, instance: str) -> None:
        self.runtime = runtime
        self.instance = instance

    async def _running(self, pod: Obj, container: str) -> str:
        uid = str(meta(pod).get("uid"))
        found = await self.runtime.list_containers(
            {**labels.of_pod(self.instance, uid), labels.CONTAINER: container}
        )
        found.sort(key=lambda c: labels.attempt(c.labels))
        if not found or found[-1].status != "running":
            raise StreamRefused(f'container not found ("{container}")')
        return found[-1].id

    async def exec(
        self,
        pod: Obj,
        container: str,
        command: list[str],
        *,
        stdin: bool,
        stdout: bool,
        stderr: bool,
        tty: bool,
    ) -> ExecSession:
        cid = await self._running(pod, container)
        exec_id = await self.runtime.exec_create(
            cid, command, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty
        )
        stream = await self.runtime.exec_start(exec_id, tty=tty)

        async def resize(width: int, height: int) -> None:
            await self.runtime.exec_resize(exec_id, height=height, width=width)

        async def exit_code() -> int | None:
            with anyio.move_on_after(EXIT_CODE_WAIT):
                while True:
                    code = await self.runtime.exec_exit_code(exec_id)
                    if code is not None:
                        return code
                    await anyio.sleep(0.02)
            return None

        return ExecSession(stream, resize=resize, exit_code=exit_code)

    async def attach(
        self, pod: Obj, container: str, *, stdin: bool, stdout: bool, stderr: bool, tty: bool
    ) -> ExecSession:
        cid = await self._running(pod, container)
        # The engine frames an attached stream by the container's own Tty, whatever the client asked.
        tty = _has_tty(pod, container)
        stream = await self.runtime.attach(cid, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty)

        async def resize(width: int, height: int) -> None:
            await self.runtime.resize(cid, height=height, width=width)

        async def no_code() -> int | None:
            return None

        spec = _spec_of(pod, container)
        keep = stdin and not tty and bool(spec.get("stdin")) and not spec.get("stdinOnce")
        return ExecSession(
            stream, resize=resize, exit_code=no_code, tty_attach=tty and stdin, keep_stdin=keep
        )


def _spec_of(pod: Obj, container: str) -> Obj:
    spec = pod.get("spec") or {}
    every = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    for c in every + (spec.get("ephemeralContainers") or []):
        if c.get("name") == container:
            return dict(c)
    return {}


def _has_tty(pod: Obj, container: str) -> bool:
    return bool(_spec_of(pod, container).get("tty"))
