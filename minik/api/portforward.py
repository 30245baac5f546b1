"""``pods/portforward`` over WebSocket (``v4.channel.k8s.io``), as the kubelet serves it.

Each requested port gets a data channel (``2i``) and an error channel
(``2i+1``); the first message on each is the port number. The server opens
one TCP connection per port to the pod's IP (``status.podIP``, the
sandbox's address on the instance network, which the host reaches) and
copies bytes both ways; a failed connection is reported as text on the
port's error channel. When every port's connection has ended, the
WebSocket is closed.

SPDY (what ``kubectl port-forward`` speaks, tunnelled or not) is not served.
"""

from __future__ import annotations

import contextlib
import logging

import anyio
import anyio.abc
from starlette.websockets import WebSocket, WebSocketDisconnect

from minik.api import channels
from minik.k8s import Obj, meta

log = logging.getLogger("minik.api")
CONNECT_TIMEOUT = 10.0
CHUNK = 65536


async def serve(ws: WebSocket, pod: Obj, ports: list[int]) -> None:
    ip = str((pod.get("status") or {}).get("podIP") or "")
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
                text = f"error forwarding port {port} to pod {m.get('name')}, uid {m.get('uid')}: {exc}"
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
