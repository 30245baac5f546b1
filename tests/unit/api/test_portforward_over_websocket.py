"""pods/portforward over WebSocket: port prefixes, data both ways, errors per port (a loopback "pod")."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse

from minik.store import Store
from tests.unit.api.conftest import PODS, a_pod

V4 = "v4.channel.k8s.io"


@pytest.fixture
def echo_port() -> Iterator[int]:
    """A one-connection server on 127.0.0.1 that answers ``echo:<what it got>`` and closes."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"echo:" + conn.recv(1024))

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield port
    server.close()
    t.join(5)


def pod_at(client: TestClient, store: Store, ip: str) -> None:
    client.post(PODS, json=a_pod("web"))
    pod = store.get("pods", "default", "web")
    pod["status"] = {"phase": "Running", "podIP": ip}
    store.update("pods", pod, status_only=True)


def test_a_port_gets_its_prefixed_channels_and_carries_data_both_ways(
    client: TestClient, store: Store, echo_port: int
) -> None:
    pod_at(client, store, "127.0.0.1")
    prefix = echo_port.to_bytes(2, "little")
    with client.websocket_connect(f"{PODS}/web/portforward?ports={echo_port}", subprotocols=[V4]) as ws:
        assert ws.accepted_subprotocol == V4
        assert ws.receive_bytes() == b"\x00" + prefix
        assert ws.receive_bytes() == b"\x01" + prefix
        ws.send_bytes(b"\x00ping")
        got = b""
        while True:
            message = ws.receive()
            if message["type"] == "websocket.close":
                break
            assert message["bytes"][0] == 0
            got += message["bytes"][1:]
    assert got == b"echo:ping"


def test_a_refused_connection_is_reported_on_the_ports_error_channel(
    client: TestClient, store: Store
) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    pod_at(client, store, "127.0.0.1")
    with client.websocket_connect(f"{PODS}/web/portforward?ports={port}", subprotocols=[V4]) as ws:
        ws.receive_bytes(), ws.receive_bytes()
        error = ws.receive_bytes()
    assert error[0] == 1 and error[1:].startswith(f"error forwarding port {port} to pod web".encode())


def test_bad_ports_are_refused_before_the_upgrade(client: TestClient, store: Store) -> None:
    pod_at(client, store, "127.0.0.1")
    bad = f"{PODS}/web/portforward?ports=http"
    with pytest.raises(WebSocketDenialResponse) as exc, client.websocket_connect(bad, subprotocols=[V4]):
        pass
    assert exc.value.status_code == 400
