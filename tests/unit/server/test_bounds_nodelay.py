"""The API server's connections have TCP_NODELAY: a response's body never waits for the client's delayed ACK."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from minik.server import bounds


class _Transport(asyncio.Transport):
    def __init__(self, sock: Any) -> None:
        super().__init__()
        self.sock = sock

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.sock if name == "socket" else default


def test_a_tcp_connection_gets_nodelay() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    try:
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        bounds.no_delay(_Transport(conn))
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        for s in (conn, client, server):
            s.close()


def test_a_transport_without_a_tcp_socket_is_left_alone() -> None:
    bounds.no_delay(_Transport(None))
    a, b = socket.socketpair()
    try:
        bounds.no_delay(_Transport(a))  # AF_UNIX: no TCP options
    finally:
        a.close()
        b.close()
