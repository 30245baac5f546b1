"""What keeps the server process within bounds: connections, open files, its log.

- :class:`HeaderTimeoutProtocol`: uvicorn's HTTP/1.1 protocol with a
  deadline for a request's headers. uvicorn only times out an idle
  connection *after* a response; a client that connects and sends half a
  request line would hold its connection (and file descriptor) for ever.
  Here a connection whose next request's headers are not complete within
  :data:`HEADER_TIMEOUT` seconds is closed, as Go's ``ReadHeaderTimeout``
  does for the API server. A request it cannot parse (a malformed request
  line) gets a ``Status`` (``400 BadRequest``), not uvicorn's plain text.
  It also turns on ``TCP_NODELAY`` for every connection: uvicorn writes a
  response's head and body separately, and with Nagle's algorithm on
  (asyncio leaves it on for the pre-bound socket uvicorn is handed) the
  body waited for the client's delayed ACK — 40 ms on every kept-alive
  request.
- :data:`MAX_CONNECTIONS` for uvicorn's ``limit_concurrency`` (over it,
  requests get a 503 at once instead of exhausting file descriptors), and
  :func:`raise_fd_limit` lifts the soft ``RLIMIT_NOFILE`` well above it.
- :func:`log_to_file`: ``server.log`` rotated at :data:`LOG_BYTES` with
  :data:`LOG_BACKUPS` old files kept, so the log never takes more than
  ``LOG_BYTES * (LOG_BACKUPS + 1)``. The process's stdout and stderr follow
  the current file, so stray output (a crash's traceback) is kept and
  counted too.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import logging.handlers
import os
import resource
import socket
from pathlib import Path

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from minik import paths

HEADER_TIMEOUT = 10.0
"""Seconds a connection may take to send a request's headers."""
MAX_CONNECTIONS = 4096
"""Open connections (and running requests) before new requests get a 503."""
FD_LIMIT = 65536
"""The soft ``RLIMIT_NOFILE`` the server asks for (capped by the hard limit)."""
LOG_BYTES = 5 * 1024 * 1024
LOG_BACKUPS = 2


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol; closes a connection whose request headers do not arrive in time."""

    header_timeout: float = HEADER_TIMEOUT
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        no_delay(transport)
        super().connection_made(transport)
        self._arm_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_deadline)

    def send_400_response(self, msg: str) -> None:
        """A request h11 cannot read (a malformed request line or header): a ``Status``, as every refusal is."""
        body = json.dumps(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": msg,
                "reason": "BadRequest",
                "code": 400,
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()

    def _header_deadline(self) -> None:
        self._header_timer = None
        # h11 leaves the client's state IDLE until a whole request head has arrived.
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def no_delay(transport: asyncio.BaseTransport) -> None:
    """``TCP_NODELAY`` on the transport's TCP socket (a response's last segment never waits for an ACK)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # a connection already reset: nothing to speed up


def raise_fd_limit(want: int = FD_LIMIT) -> int:
    """Lift the soft open-file limit to ``want`` (or the hard limit when lower); returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (OSError, ValueError):
            return soft
        return target
    return soft


class RotatingLog(logging.handlers.RotatingFileHandler):
    """A rotating handler that opens without following links and keeps ``std_fds`` on the current file."""

    std_fds: tuple[int, ...] = (1, 2)

    def _open(self) -> io.TextIOWrapper:
        fd = paths.open_nofollow(Path(self.baseFilename), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        stream = os.fdopen(fd, "a", encoding=self.encoding or "utf-8", errors=self.errors)
        for target in self.std_fds:
            try:
                os.dup2(stream.fileno(), target)
            except OSError:
                pass
        return stream


def log_to_file(level: str) -> logging.Handler:
    """Send the root logger (and stdout/stderr) to the rotating ``server.log``."""
    handler = RotatingLog(paths.log_file(), maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, delay=False)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler
