"""pods/portforward over WebSocket (v4 channels, and kubectl's SPDY tunnel): data both ways, errors per port.

The "pod" is a server on 127.0.0.1.
"""

from __future__ import annotations

import socket
import threading
import zlib
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse

from minik.api import channels, spdy
from minik.registry import Registry
from tests.unit.api.conftest import PODS, a_pod
from tests.unit.api.test_spdy_framing import Client

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


def pod_at(client: TestClient, store: Registry, ip: str) -> None:
    client.post(PODS, json=a_pod("web"))
    pod = store.get("pods", "default", "web")
    pod["status"] = {"phase": "Running", "podIP": ip}
    store.update("pods", pod, status_only=True)


def test_a_port_gets_its_prefixed_channels_and_carries_data_both_ways(
    client: TestClient, store: Registry, echo_port: int
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
    client: TestClient, store: Registry
) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    pod_at(client, store, "127.0.0.1")
    with client.websocket_connect(f"{PODS}/web/portforward?ports={port}", subprotocols=[V4]) as ws:
        ws.receive_bytes(), ws.receive_bytes()
        error = ws.receive_bytes()
    assert error[0] == 1 and error[1:].startswith(f"error forwarding port {port} to pod web".encode())


def test_bad_ports_are_refused_before_the_upgrade(client: TestClient, store: Registry) -> None:
    pod_at(client, store, "127.0.0.1")
    bad = f"{PODS}/web/portforward?ports=http"
    with pytest.raises(WebSocketDenialResponse) as exc, client.websocket_connect(bad, subprotocols=[V4]):
        pass
    assert exc.value.status_code == 400


def test_kubectls_spdy_tunnel_forwards_one_connection_per_stream_pair(
    client: TestClient, store: Registry, echo_port: int
) -> None:
    pod_at(client, store, "127.0.0.1")
    c, parser = Client(), spdy.Parser()
    parser._inflate = zlib.decompressobj()  # the server's header blocks use no dictionary
    headers = {"port": str(echo_port), "requestid": "0"}
    with client.websocket_connect(f"{PODS}/web/portforward", subprotocols=[channels.SPDY_TUNNEL]) as ws:
        assert ws.accepted_subprotocol == channels.SPDY_TUNNEL
        ws.send_bytes(c.syn_stream(1, {**headers, "streamtype": "error"}) + c.data(1, b"", fin=True))
        ws.send_bytes(c.syn_stream(3, {**headers, "streamtype": "data"}))
        ws.send_bytes(c.data(3, b"ping"))
        frames: list[spdy.Frame] = []
        while not any(f.stream == 1 and f.fin for f in frames):
            frames += parser.feed(ws.receive_bytes())
    assert [(f.kind, f.stream) for f in frames if f.control] == [(spdy.SYN_REPLY, 1), (spdy.SYN_REPLY, 3)]
    assert b"".join(f.payload for f in frames if not f.control and f.stream == 3) == b"echo:ping"
    assert any(f.stream == 3 and f.fin for f in frames if not f.control)
    assert not [f for f in frames if not f.control and f.stream == 1 and f.payload]  # no error


def test_kubectls_spdy_tunnel_reports_a_refused_port_on_the_error_stream(
    client: TestClient, store: Registry
) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    pod_at(client, store, "127.0.0.1")
    c, parser = Client(), spdy.Parser()
    parser._inflate = zlib.decompressobj()
    headers = {"port": str(port), "requestid": "7"}
    with client.websocket_connect(f"{PODS}/web/portforward", subprotocols=[channels.SPDY_TUNNEL]) as ws:
        ws.send_bytes(c.syn_stream(1, {**headers, "streamtype": "error"}))
        ws.send_bytes(c.syn_stream(3, {**headers, "streamtype": "data"}))
        frames: list[spdy.Frame] = []
        while not any(f.stream == 1 and f.fin for f in frames if not f.control):
            frames += parser.feed(ws.receive_bytes())
    error = b"".join(f.payload for f in frames if not f.control and f.stream == 1).decode()
    assert error == (
        f"error forwarding port {port} to pod web, uid {store.get('pods', 'default', 'web')['metadata']['uid']}: "
        f"dial tcp4 127.0.0.1:{port}: connect: connection refused"
    )


def test_more_ports_than_one_websocket_has_channels_for_is_a_400_before_the_upgrade(
    client: TestClient, store: Registry
) -> None:
    pod_at(client, store, "127.0.0.1")
    many = ",".join(str(p) for p in range(10000, 10129))  # 129 ports: 258 channels
    url = f"{PODS}/web/portforward?ports={many}"
    with pytest.raises(WebSocketDenialResponse) as exc, client.websocket_connect(url, subprotocols=[V4]):
        pass
    assert exc.value.status_code == 400
    assert "at most 128" in exc.value.json()["message"]
