"""``pods/portforward`` over WebSocket (``v4.channel.k8s.io``), as the kubelet serves it.

Each requested port gets a data channel (``2i``) and an error channel
(``2i+1``); the first message on each is the port number. The server opens
one TCP connection per port to the pod's IP — the address the kubelet
gave the pod (its IPAM record, or the node's for a hostNetwork pod), handed
in by the caller; never ``status.podIP``, which a client holding the token
can write — and
copies bytes both ways; a failed connection is reported as text on the
port's error channel. When every port's connection has ended, the
WebSocket is closed.

``kubectl port-forward`` speaks SPDY/3.1 inside the WebSocket instead
(``SPDY/3.1+portforward.k8s.io``, :func:`serve_spdy`): each forwarded
connection is an error stream and a data stream (headers ``streamtype``,
``port``, ``requestID``), each answered with a SYN_REPLY; the data stream
carries the bytes, its FIN half-closes the pod connection, and the server
ends both streams when the pod's side ends. Plain SPDY (an HTTP upgrade
without WebSocket) cannot be served: ASGI hands over WebSocket upgrades only.

Bounded per WebSocket: at most :data:`MAX_PAIRS` stream pairs at once (a
SYN_STREAM past it is reset), at most :data:`MAX_PENDING` bytes held for a
pair whose pod connection is not open yet (past it both streams are reset),
and a pair whose other stream does not come within :data:`PAIR_TIMEOUT`
seconds (the kubelet's ``streamCreationTimeout``) is told so on its error
stream and reset.
"""

from __future__ import annotations

import contextlib
import logging
import os

import anyio
import anyio.abc
from starlette.websockets import WebSocket, WebSocketDisconnect

from minik.api.streams import channels, spdy
from minik.k8s import Obj, meta

log = logging.getLogger("minik.api")
CONNECT_TIMEOUT = 10.0
CHUNK = 65536
MAX_PAIRS = 1024  # stream pairs (pod connections) one SPDY port-forward holds at once
MAX_PENDING = 1 << 20  # bytes held for a pair until its pod connection is open
PAIR_TIMEOUT = 30.0  # the kubelet's default streamCreationTimeout


def _dial_error(ip: str, port: int, exc: BaseException) -> str:
    """Go's words for a failed dial (``dial tcp4 IP:PORT: connect: connection refused``)."""
    if isinstance(exc, TimeoutError):
        return f"dial tcp4 {ip}:{port}: i/o timeout"
    cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
    if isinstance(cause, ExceptionGroup) and cause.exceptions:
        cause = cause.exceptions[0]
    errno = getattr(cause, "errno", None)
    why = os.strerror(errno) if isinstance(errno, int) else str(cause)
    return f"dial tcp4 {ip}:{port}: connect: {why.lower()}" if ip else str(exc)


async def serve(ws: WebSocket, pod: Obj, ports: list[int], ip: str) -> None:
    """v4 channels: one pod connection per port, to ``ip`` (the kubelet's address for the pod; ``""``: none)."""
    m = meta(pod)
    conns: dict[int, anyio.abc.SocketStream] = {}
    try:
        for i, port in enumerate(ports):
            await ws.send_bytes(channels.encode(2 * i, channels.port_prefix(port)))
            await ws.send_bytes(channels.encode(2 * i + 1, channels.port_prefix(port)))
        for i, port in enumerate(ports):
            try:
                if not ip:
                    raise OSError("the pod has no IP address")
                with anyio.fail_after(CONNECT_TIMEOUT):
                    conns[i] = await anyio.connect_tcp(ip, port)
            except (OSError, TimeoutError) as exc:
                why = _dial_error(ip, port, exc)
                text = f"error forwarding port {port} to pod {m.get('name')}, uid {m.get('uid')}: {why}"
                await ws.send_bytes(channels.encode(2 * i + 1, text.encode()))
        if conns:
            await _relay(ws, conns)
        with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError):
            await ws.close(1000)
    except (WebSocketDisconnect, OSError, RuntimeError) as exc:
        log.debug("port-forward ended: %s", exc)
    finally:
        for conn in conns.values():
            with anyio.CancelScope(shield=True):
                await conn.aclose()


async def _relay(ws: WebSocket, conns: dict[int, anyio.abc.SocketStream]) -> None:
    """Copy both ways until every pod connection has ended or the client has gone."""
    open_ports = set(conns)

    async def from_pod(i: int, tg: anyio.abc.TaskGroup) -> None:
        conn = conns[i]
        gone = (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)
        try:
            while True:
                data = await conn.receive(CHUNK)
                await ws.send_bytes(channels.encode(2 * i, data))
        except (WebSocketDisconnect, RuntimeError):
            tg.cancel_scope.cancel()  # the client has gone
        except gone:
            pass
        open_ports.discard(i)
        if not open_ports:
            tg.cancel_scope.cancel()

    async def from_client(tg: anyio.abc.TaskGroup) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                raw = message.get("bytes")
                if raw is None and message.get("text") is not None:
                    raw = str(message["text"]).encode()
                frame = channels.decode(raw or b"")
                if frame is None or frame[0] % 2 or frame[0] // 2 not in conns:
                    continue
                i, payload = frame[0] // 2, frame[1]
                if i in open_ports and payload:
                    with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                        await conns[i].send(payload)
        tg.cancel_scope.cancel()

    async with anyio.create_task_group() as tg:
        for i in conns:
            tg.start_soon(from_pod, i, tg)
        tg.start_soon(from_client, tg)


class _Pair:
    """One forwarded connection of kubectl: its error and data streams, and the pod connection."""

    def __init__(self, key: str, port: int) -> None:
        self.key = key
        self.port = port
        self.error = 0
        self.data = 0
        self.conn: anyio.abc.SocketStream | None = None
        self.early: list[bytes] = []  # what kubectl sent before the pod connection was open
        self.early_bytes = 0
        self.early_fin = False
        self.waiting = anyio.CancelScope()  # the wait for the pair's other stream


async def serve_spdy(ws: WebSocket, pod: Obj, ip: str) -> None:
    """kubectl's port-forward: SPDY/3.1 in the WebSocket; one pod connection per (error, data) pair, to ``ip``."""
    m = meta(pod)
    parser, writer = spdy.Parser(), spdy.Writer()
    pairs: dict[str, _Pair] = {}
    by_stream: dict[int, _Pair] = {}
    send_lock = anyio.Lock()

    async def send(data: bytes) -> None:
        async with send_lock:
            await ws.send_bytes(data)

    async def forward(pair: _Pair) -> None:
        try:
            if not ip:
                raise OSError("the pod has no IP address")
            with anyio.fail_after(CONNECT_TIMEOUT):
                pair.conn = await anyio.connect_tcp(ip, pair.port)
        except (OSError, TimeoutError) as exc:
            why = _dial_error(ip, pair.port, exc)
            text = f"error forwarding port {pair.port} to pod {m.get('name')}, uid {m.get('uid')}: {why}"
            await send(writer.data(pair.error, text.encode()))
        else:
            gone = (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)
            with contextlib.suppress(*gone):
                for early in pair.early:
                    await pair.conn.send(early)
                if pair.early_fin:
                    await pair.conn.send_eof()
                pair.early.clear()
                while True:
                    await send(writer.data(pair.data, await pair.conn.receive(CHUNK)))
        await send(writer.data(pair.data, b"", fin=True))
        await send(writer.data(pair.error, b"", fin=True))

    def drop(pair: _Pair) -> None:
        pair.waiting.cancel()
        if pairs.get(pair.key) is pair:
            del pairs[pair.key]
        for stream in (pair.error, pair.data):
            if by_stream.get(stream) is pair:
                del by_stream[stream]

    async def reset(pair: _Pair) -> None:
        drop(pair)
        for stream in (pair.error, pair.data):
            if stream:
                await send(writer.rst_stream(stream))
        if pair.conn is not None:
            await pair.conn.aclose()

    async def expire(pair: _Pair) -> None:
        with pair.waiting:
            await anyio.sleep(PAIR_TIMEOUT)
        if pair.waiting.cancel_called:  # the pair completed (or went) in time
            return
        if pair.error:
            await send(
                writer.data(pair.error, f"(request={pair.key}) timed out waiting for streams".encode())
            )
        await reset(pair)

    async def forwarded(pair: _Pair) -> None:
        try:
            await forward(pair)
        finally:
            drop(pair)

    async def handle(frame: spdy.Frame, tg: anyio.abc.TaskGroup) -> None:
        if frame.control and frame.kind == spdy.SYN_STREAM:
            h = frame.headers
            key, kind = h.get("requestid", str(frame.stream)), h.get("streamtype", "")
            try:
                port = int(h.get("port", ""))
            except ValueError:
                await send(writer.rst_stream(frame.stream))
                return
            pair = pairs.get(key)
            if pair is None:
                if len(pairs) >= MAX_PAIRS:
                    log.warning(
                        "port-forward to %s: %d stream pairs open; refusing more", m.get("name"), MAX_PAIRS
                    )
                    await send(writer.rst_stream(frame.stream))
                    return
                pair = pairs[key] = _Pair(key, port)
                tg.start_soon(expire, pair)
            await send(writer.syn_reply(frame.stream))
            by_stream[frame.stream] = pair
            if kind == "error":
                pair.error = frame.stream
            elif kind == "data":
                pair.data = frame.stream
            if pair.error and pair.data:
                pair.waiting.cancel()
                tg.start_soon(forwarded, pair)
        elif frame.control and frame.kind == spdy.PING:
            await send(writer.ping(int.from_bytes(frame.payload[:4], "big")))
        elif frame.control and frame.kind == spdy.RST_STREAM:
            closed = by_stream.get(frame.stream)
            if closed is not None and closed.conn is not None:
                await closed.conn.aclose()
        elif frame.control and frame.kind == spdy.GOAWAY:
            tg.cancel_scope.cancel()
        elif not frame.control:
            target = by_stream.get(frame.stream)
            if target is None or frame.stream != target.data:
                return
            if target.conn is None:
                target.early_bytes += len(frame.payload)
                if target.early_bytes > MAX_PENDING:
                    log.info(
                        "port-forward to %s: over %d bytes before the pod answered; reset",
                        m.get("name"),
                        MAX_PENDING,
                    )
                    await reset(target)
                    return
                target.early.append(frame.payload)
                target.early_fin = target.early_fin or frame.fin
                return
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                if frame.payload:
                    await target.conn.send(frame.payload)
                if frame.fin:
                    await target.conn.send_eof()

    try:
        async with anyio.create_task_group() as tg:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                for frame in parser.feed(message.get("bytes") or b""):
                    await handle(frame, tg)
            tg.cancel_scope.cancel()
    except (WebSocketDisconnect, RuntimeError, spdy.ProtocolError) as exc:
        log.debug("port-forward (SPDY) ended: %s", exc)
    finally:
        for pair in pairs.values():
            if pair.conn is not None:
                with anyio.CancelScope(shield=True):
                    await pair.conn.aclose()
