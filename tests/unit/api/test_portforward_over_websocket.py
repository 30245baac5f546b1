"""pods/portforward over WebSocket (v4 channels, and kubectl's SPDY tunnel): data both ways, errors per port.

The "pod" is a server on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse

from minik.api.app import create_app
from minik.api.streams import channels, portforward, spdy
from minik.registry import Registry
from tests.unit.api.conftest import PODS, TOKEN, FakeHooks, a_pod
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


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    closed = socket.create_server(("127.0.0.1", 0))
    port: int = closed.getsockname()[1]
    closed.close()
    return port


KUBELET_ADDRESSES: dict[str, str] = {}
"""The kubelet's record of each pod's address (pod uid -> IP): what port-forward must use."""


@pytest.fixture
def client(store: Registry, hooks: FakeHooks) -> Iterator[TestClient]:
    KUBELET_ADDRESSES.clear()
    app = create_app(
        registry=store,
        token=TOKEN,
        hooks=hooks,
        pod_address=lambda pod: KUBELET_ADDRESSES.get(pod["metadata"]["uid"], ""),
    )
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


def pod_at(client: TestClient, store: Registry, ip: str, *, status_ip: str | None = None) -> None:
    """A running pod the kubelet gave ``ip``; its stored ``status.podIP`` is ``status_ip`` (default: the same)."""
    client.post(PODS, json=a_pod("web"))
    pod = store.get("pods", "default", "web")
    KUBELET_ADDRESSES[pod["metadata"]["uid"]] = ip
    pod["status"] = {"phase": "Running", "podIP": ip if status_ip is None else status_ip}
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
    client: TestClient, store: Registry, closed_port: int
) -> None:
    port = closed_port
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


@contextlib.contextmanager
def spdy_tunnel(client: TestClient, store: Registry) -> Iterator[tuple[Any, Client, spdy.Parser]]:
    """kubectl's SPDY tunnel to pod web (on 127.0.0.1): the websocket, a frame writer and a frame reader."""
    pod_at(client, store, "127.0.0.1")
    parser = spdy.Parser()
    parser._inflate = zlib.decompressobj()  # the server's header blocks use no dictionary
    with client.websocket_connect(f"{PODS}/web/portforward", subprotocols=[channels.SPDY_TUNNEL]) as ws:
        yield ws, Client(), parser


def _spdy_frames(ws: Any, parser: spdy.Parser, until: Callable[[list[spdy.Frame]], bool]) -> list[spdy.Frame]:
    frames: list[spdy.Frame] = []
    while not until(frames):
        frames += parser.feed(ws.receive_bytes())
    return frames


def _resets(frames: list[spdy.Frame]) -> list[int]:
    return [f.stream for f in frames if f.control and f.kind == spdy.RST_STREAM]


def test_kubectls_spdy_tunnel_forwards_one_connection_per_stream_pair(
    client: TestClient, store: Registry, echo_port: int
) -> None:
    headers = {"port": str(echo_port), "requestid": "0"}
    with spdy_tunnel(client, store) as (ws, c, parser):
        assert ws.accepted_subprotocol == channels.SPDY_TUNNEL
        ws.send_bytes(c.syn_stream(1, {**headers, "streamtype": "error"}) + c.data(1, b"", fin=True))
        ws.send_bytes(c.syn_stream(3, {**headers, "streamtype": "data"}))
        ws.send_bytes(c.data(3, b"ping"))
        frames = _spdy_frames(ws, parser, lambda fs: any(f.stream == 1 and f.fin for f in fs))
    assert [(f.kind, f.stream) for f in frames if f.control] == [(spdy.SYN_REPLY, 1), (spdy.SYN_REPLY, 3)]
    assert b"".join(f.payload for f in frames if not f.control and f.stream == 3) == b"echo:ping"
    assert any(f.stream == 3 and f.fin for f in frames if not f.control)
    assert not [f for f in frames if not f.control and f.stream == 1 and f.payload]  # no error


def test_kubectls_spdy_tunnel_reports_a_refused_port_on_the_error_stream(
    client: TestClient, store: Registry, closed_port: int
) -> None:
    port = closed_port
    headers = {"port": str(port), "requestid": "7"}
    with spdy_tunnel(client, store) as (ws, c, parser):
        ws.send_bytes(c.syn_stream(1, {**headers, "streamtype": "error"}))
        ws.send_bytes(c.syn_stream(3, {**headers, "streamtype": "data"}))
        frames = _spdy_frames(
            ws, parser, lambda fs: any(f.stream == 1 and f.fin for f in fs if not f.control)
        )
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


def test_port_forward_connects_to_the_kubelets_address_not_a_client_written_pod_ip(
    client: TestClient, store: Registry
) -> None:
    """``kubectl patch pod --subresource=status -p '{"status":{"podIP":"127.0.0.1"}}'`` must not aim port-forward
    at the host: the connection goes to the address the kubelet gave the pod."""
    pod_host = socket.create_server(("127.0.0.2", 0))  # "the pod", at the address the kubelet gave it
    port = pod_host.getsockname()[1]
    try:
        host_service = socket.create_server(("127.0.0.1", port))  # a host service on the same port
    except OSError:
        pod_host.close()
        pytest.skip("the port is taken on 127.0.0.1")
    reached: list[str] = []

    def serve(server: socket.socket, who: bytes) -> None:
        with contextlib.suppress(OSError):
            conn, _ = server.accept()
            with conn:
                reached.append(who.decode())
                conn.sendall(who)

    threads = [
        threading.Thread(target=serve, args=(s, w), daemon=True)
        for s, w in ((pod_host, b"pod"), (host_service, b"host"))
    ]
    for t in threads:
        t.start()
    try:
        pod_at(client, store, "127.0.0.2", status_ip="127.0.0.1")
        with client.websocket_connect(f"{PODS}/web/portforward?ports={port}", subprotocols=[V4]) as ws:
            assert ws.receive_bytes() == channels.encode(0, channels.port_prefix(port))
            assert ws.receive_bytes() == channels.encode(1, channels.port_prefix(port))
            assert ws.receive_bytes() == channels.encode(0, b"pod")
        assert reached == ["pod"]
    finally:
        with contextlib.suppress(OSError):  # wake the host service's accept, had nothing reached it
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        for t in threads:
            t.join(5)
        pod_host.close()
        host_service.close()


def _frames_until_a_reset(ws: Any, parser: spdy.Parser) -> list[spdy.Frame]:
    return _spdy_frames(ws, parser, lambda fs: bool(_resets(fs)))


def test_a_spdy_port_forward_holds_a_bounded_number_of_stream_pairs(
    client: TestClient, store: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(portforward, "MAX_PAIRS", 3)
    with spdy_tunnel(client, store) as (ws, c, parser):
        for i in range(4):  # four half-open pairs: error streams whose data stream never comes
            ws.send_bytes(c.syn_stream(2 * i + 1, {"port": "80", "requestid": str(i), "streamtype": "error"}))
        frames = _frames_until_a_reset(ws, parser)
    assert [(f.kind, f.stream) for f in frames if f.control] == [
        (spdy.SYN_REPLY, 1),
        (spdy.SYN_REPLY, 3),
        (spdy.SYN_REPLY, 5),
        (spdy.RST_STREAM, 7),
    ]


def test_data_for_a_pair_that_never_opens_is_bounded(
    client: TestClient, store: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(portforward, "MAX_PENDING", 1000)
    with spdy_tunnel(client, store) as (ws, c, parser):
        ws.send_bytes(c.syn_stream(1, {"port": "80", "requestid": "0", "streamtype": "data"}))
        for _ in range(3):
            ws.send_bytes(c.data(1, b"x" * 400))  # 1,200 bytes for a pair without its error stream
        frames = _frames_until_a_reset(ws, parser)
    assert _resets(frames) == [1]


def test_a_pair_whose_other_stream_never_comes_is_told_and_reset(
    client: TestClient, store: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(portforward, "PAIR_TIMEOUT", 0.2)
    with spdy_tunnel(client, store) as (ws, c, parser):
        ws.send_bytes(c.syn_stream(1, {"port": "80", "requestid": "9", "streamtype": "error"}))
        frames = _frames_until_a_reset(ws, parser)
    error = b"".join(f.payload for f in frames if not f.control and f.stream == 1)
    assert error == b"(request=9) timed out waiting for streams"
    assert _resets(frames) == [1]
