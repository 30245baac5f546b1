"""A hijacked engine connection (exec, attach) as an async byte stream, and Docker's stream framing.

Docker answers ``exec start`` and ``attach`` by handing over the HTTP
connection: the client writes the process's stdin into it, and reads its
output — raw with a TTY, otherwise multiplexed as 8-byte headers (stream
1 stdout, 2 stderr, then a big-endian length) each followed by its payload.
:class:`Demuxer` undoes that framing (pure); :class:`HijackedStream` wraps
the blocking socket so that every read and write runs in a worker thread of
a pool of its own (:data:`STREAM_LIMIT` threads, never the engine calls' pool, so open sessions cannot stop
pods from starting), and closing it unblocks a reader left behind.

Knows nothing about docker-py or pods: :mod:`minik.kubelet.runtime.docker.api` hands it the socket.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from typing import Any

import anyio
import anyio.to_thread

STREAM_LIMIT = 512  # threads reading or writing open exec/attach sessions, all together
STDOUT, STDERR = 1, 2
_HEADER = struct.Struct(">BxxxI")


class Demuxer:
    """Splits Docker's multiplexed output into ``(stream, payload)`` pieces, fed in any chunking."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buf += data
        out: list[tuple[int, bytes]] = []
        while len(self._buf) >= _HEADER.size:
            kind, size = _HEADER.unpack_from(self._buf)
            if len(self._buf) < _HEADER.size + size:
                break
            payload = bytes(self._buf[_HEADER.size : _HEADER.size + size])
            del self._buf[: _HEADER.size + size]
            if payload:
                out.append((STDERR if kind == STDERR else STDOUT, payload))
        return out

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame still held."""
        return len(self._buf)


def frame(kind: int, payload: bytes) -> bytes:
    """One multiplexed frame (what the engine sends; used by tests and the fake)."""
    return _HEADER.pack(kind, len(payload)) + payload


def _raw(sock: Any) -> socket.socket | None:
    """The ``socket.socket`` under what docker-py returns (a ``SocketIO`` on a Unix socket)."""
    inner = getattr(sock, "_sock", sock)
    return inner if isinstance(inner, socket.socket) else None


class HijackedStream:
    """An engine connection carrying one process's stdin and output."""

    def __init__(self, sock: Any, *, tty: bool, limiter: anyio.CapacityLimiter) -> None:
        self._sock = sock
        self._pool = limiter
        self._raw = _raw(sock)
        self._demux = None if tty else Demuxer()
        self._closed = False

    def _recv(self, n: int) -> bytes:
        try:
            if self._raw is not None:
                return self._raw.recv(n)
            return bytes(self._sock.read(n) or b"")
        except OSError:
            return b""

    async def read(self) -> list[tuple[int, bytes]]:
        """The next output as ``(1|2, bytes)`` pieces (TTY output is all stream 1); ``[]`` at the end."""
        while not self._closed:
            data = await anyio.to_thread.run_sync(
                self._recv, 65536, limiter=self._pool, abandon_on_cancel=True
            )
            if not data:
                return []
            if self._demux is None:
                return [(STDOUT, data)]
            pieces = self._demux.feed(data)
            if pieces:
                return pieces
        return []

    def _send(self, data: bytes) -> None:
        if self._raw is not None:
            self._raw.sendall(data)
        else:
            self._sock.write(data)
            self._sock.flush()

    async def write(self, data: bytes) -> None:
        """Send ``data`` to the process's stdin (dropped once the process is gone)."""
        if data and not self._closed:
            with contextlib.suppress(OSError):
                await anyio.to_thread.run_sync(self._send, data, limiter=self._pool)

    async def close_write(self) -> None:
        """End the process's stdin (EOF), keeping its output open."""
        if self._raw is not None and not self._closed:
            with contextlib.suppress(OSError):
                self._raw.shutdown(socket.SHUT_WR)

    async def aclose(self) -> None:
        """Close the connection; a thread blocked reading it returns."""
        if self._closed:
            return
        self._closed = True
        if self._raw is not None:
            with contextlib.suppress(OSError):
                self._raw.shutdown(socket.SHUT_RDWR)
            self._raw.close()
        with contextlib.suppress(Exception):
            self._sock.close()
