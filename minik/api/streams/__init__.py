"""``pods/exec`` and ``pods/attach`` over WebSocket (``v5``/``v4.channel.k8s.io``), and the refusals.

The checks come first, as the API server makes them before any upgrade: the
pod must exist (404), the options must be valid and the container one of the
pod's (400), the client must offer a protocol minik speaks (400). Then the
WebSocket is accepted and the kubelet (:class:`PodStreamer`) asked for the
process; a refusal there (a container that is not running) arrives, as from
the API server's stream translator, as an ``InternalError`` Status on the
error channel. Output goes out on channels 1 and 2 while stdin, resize and
(v5) close come in; when the output ends the exit status is sent on channel
3 and the WebSocket closed. A request that is not a WebSocket upgrade (an
SPDY client) gets the same checks, then 400 ``Upgrade request required``.

The frames and statuses are :mod:`minik.api.streams.channels`'; port-forward is :mod:`minik.api.streams.portforward`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

import anyio
import anyio.abc
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from minik.api.responses import status_response
from minik.api.routing import Route
from minik.api.streams import channels, portforward
from minik.apierrors import bad_request
from minik.errors import ApiError, MinikError
from minik.k8s import Obj, meta
from minik.registry import Registry

log = logging.getLogger("minik.api")
SUBRESOURCES = ("exec", "attach", "portforward")


class StreamSession(Protocol):
    async def read(self) -> list[tuple[int, bytes]]: ...
    async def write(self, data: bytes) -> None: ...
    async def close_write(self) -> None: ...
    async def resize(self, width: int, height: int) -> None: ...
    async def exit_code(self) -> int | None: ...
    async def aclose(self) -> None: ...


class PodStreamer(Protocol):
    """The kubelet's side (:class:`minik.kubelet.exec.PodStreams`); raises ``MinikError`` to refuse."""

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
    ) -> StreamSession: ...

    async def attach(
        self, pod: Obj, container: str, *, stdin: bool, stdout: bool, stderr: bool, tty: bool
    ) -> StreamSession: ...


def pick_container(pod: Obj, wanted: str) -> str:
    """The container a stream is for, or the API server's 400 (``streamLocation``)."""
    name = meta(pod).get("name", "")
    spec = pod.get("spec") or {}
    apps = [str(c.get("name")) for c in spec.get("containers") or []]
    inits = [str(c.get("name")) for c in spec.get("initContainers") or []]
    if not wanted:
        if len(apps) == 1:
            return apps[0]
        msg = f"a container name must be specified for pod {name}"
        if apps:
            msg += f", choose one of: [{' '.join(apps)}]"
            if inits:
                msg += f" or one of the init containers: [{' '.join(inits)}]"
        raise bad_request(msg)
    ephemeral = [str(c.get("name")) for c in spec.get("ephemeralContainers") or []]
    if wanted not in apps + inits + ephemeral:
        raise bad_request(f"container {wanted} is not valid for pod {name}")
    return wanted


PodAddress = Callable[[Obj], str]
"""The address the kubelet gave a pod (``""`` if it runs none): where port-forward connects."""


class Streams:
    def __init__(
        self, *, store: Registry, streamer: PodStreamer | None, address: PodAddress | None = None
    ) -> None:
        self.store = store
        self.streamer = streamer
        self.address: PodAddress = address or (lambda pod: "")

    def _check(self, route: Route, query: list[tuple[str, str]], protocols: list[str] | None) -> Any:
        """Everything the API server checks before an upgrade; returns the options (or ports)."""
        assert route.name is not None and route.subresource in SUBRESOURCES
        pod = self.store.get("pods", route.namespace, route.name)
        try:
            if route.subresource == "portforward":
                tunnel = channels.SPDY_TUNNEL in (protocols or [])  # ports come in SPDY headers
                opts: Any = [] if tunnel else channels.parse_ports(query)
            else:
                opts = channels.stream_options(query, exec_=route.subresource == "exec")
                opts = (opts, pick_container(pod, opts.container))
        except channels.BadOptions as exc:
            raise bad_request(str(exc)) from None
        if protocols is not None:
            server = (
                channels.PORTFORWARD_PROTOCOLS
                if route.subresource == "portforward"
                else channels.EXEC_PROTOCOLS
            )
            if channels.negotiate(protocols, server) is None:
                raise bad_request(channels.no_protocol(protocols, server))
        return pod, opts

    async def http(self, request: Request, route: Route) -> Response:
        """A streaming subresource asked without a WebSocket upgrade: checked, then refused.

        SPDY port-forward carries its ports in stream headers, not the query: only the pod is checked.
        """
        if route.subresource == "portforward":
            self.store.get("pods", route.namespace, str(route.name))
        else:
            self._check(route, list(request.query_params.multi_items()), None)
        return status_response(bad_request("Upgrade request required").status)

    async def websocket(self, ws: WebSocket, route: Route) -> None:
        protocols = list(ws.scope.get("subprotocols") or [])
        try:
            pod, opts = self._check(route, list(ws.query_params.multi_items()), protocols)
        except ApiError as exc:
            await ws.send_denial_response(status_response(exc.status))
            return
        if route.subresource == "portforward":
            protocol = channels.negotiate(protocols, channels.PORTFORWARD_PROTOCOLS)
            await ws.accept(subprotocol=protocol if protocols else None)
            ip = self.address(pod)  # the kubelet's record, never the client-writable status.podIP
            if protocol == channels.SPDY_TUNNEL:
                await portforward.serve_spdy(ws, pod, ip)
            else:
                await portforward.serve(ws, pod, opts, ip)
            return
        protocol = channels.negotiate(protocols, channels.EXEC_PROTOCOLS)
        await ws.accept(subprotocol=protocol if protocols else None)
        options, container = opts
        await self._run(ws, route, pod, options, container, v5=protocol == channels.V5)

    async def _run(
        self, ws: WebSocket, route: Route, pod: Obj, o: channels.StreamOptions, container: str, *, v5: bool
    ) -> None:
        if self.streamer is None:
            await _finish(ws, channels.internal_error("unable to upgrade connection: no kubelet"))
            return
        try:
            if route.subresource == "exec":
                session = await self.streamer.exec(
                    pod,
                    container,
                    list(o.command),
                    stdin=o.stdin,
                    stdout=o.stdout,
                    stderr=o.stderr,
                    tty=o.tty,
                )
            else:
                session = await self.streamer.attach(
                    pod, container, stdin=o.stdin, stdout=o.stdout, stderr=o.stderr, tty=o.tty
                )
        except MinikError as exc:
            await _finish(ws, channels.internal_error(f"unable to upgrade connection: {exc.message}"))
            return
        try:
            status = await _pump(ws, session, o, v5=v5)
        finally:
            with anyio.CancelScope(shield=True):
                await session.aclose()
        if status is not None:
            await _finish(ws, status)


async def _pump(
    ws: WebSocket, session: StreamSession, o: channels.StreamOptions, *, v5: bool
) -> bytes | None:
    """Carry the streams until the output ends (the status to send) or the client goes (``None``)."""
    result: list[bytes] = []

    async def output(tg: anyio.abc.TaskGroup) -> None:
        try:
            while pieces := await session.read():
                for stream, data in pieces:
                    await ws.send_bytes(channels.encode(stream, data))
            code = await session.exit_code()
        except MinikError as exc:  # the engine failed mid-stream
            result.append(channels.internal_error(f"error executing command in container: {exc.message}"))
        except (WebSocketDisconnect, OSError, RuntimeError) as exc:  # the client went away mid-send
            log.debug("stream ended: %s", exc)
        else:
            result.append(channels.exit_code_status(o.command, code) if code else channels.success())
        tg.cancel_scope.cancel()

    async def inbound(tg: anyio.abc.TaskGroup) -> None:
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                raw = message.get("bytes")
                if raw is None and message.get("text") is not None:
                    raw = str(message["text"]).encode()
                frame = channels.decode(raw or b"")
                if frame is None:
                    continue
                channel, payload = frame
                if channel == channels.STDIN and o.stdin:
                    await session.write(payload)
                elif channel == channels.RESIZE:
                    size = channels.parse_resize(payload)
                    if size is not None:
                        await session.resize(*size)
                elif channel == channels.CLOSE and v5 and payload[:1] == bytes((channels.STDIN,)):
                    await session.close_write()
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client went
        except MinikError as exc:
            log.debug("stdin of a stream: %s", exc)
        tg.cancel_scope.cancel()

    async with anyio.create_task_group() as tg:
        tg.start_soon(output, tg)
        tg.start_soon(inbound, tg)
    return result[0] if result else None


async def _finish(ws: WebSocket, status: bytes) -> None:
    try:
        await ws.send_bytes(channels.encode(channels.ERROR, status))
        await ws.close(1000)
    except (WebSocketDisconnect, OSError, RuntimeError):
        pass
