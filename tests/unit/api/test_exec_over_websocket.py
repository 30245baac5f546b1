"""pods/exec and pods/attach over WebSocket: the API's checks, the channels, the status, over a fake engine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse

from minik.api import create_app
from minik.api.streams import Streams
from minik.kubelet import labels
from minik.kubelet.exec import PodStreams
from minik.registry import Registry
from tests.unit.api.conftest import PODS, TOKEN, FakeHooks, a_pod
from tests.unit.kubelet.fake_runtime import RUNS, FakeRuntime

V5, V4 = "v5.channel.k8s.io", "v4.channel.k8s.io"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def runtime(tmp_path: Path) -> FakeRuntime:
    return FakeRuntime(root=tmp_path)


@pytest.fixture
def client(store: Registry, runtime: FakeRuntime) -> Iterator[TestClient]:
    app = create_app(
        registry=store, token=TOKEN, hooks=FakeHooks(), streamer=PodStreams(runtime, instance="i")
    )
    with TestClient(app, headers=AUTH) as c:
        yield c


def run_container(client: TestClient, runtime: FakeRuntime, name: str = "p", *, running: bool = True) -> None:
    pod = client.post(PODS, json=a_pod(name)).json()
    runtime.exit_codes["c"] = [RUNS if running else 0]

    async def make() -> None:
        cid = await runtime.create_container(
            image="busybox", name=f"{name}-c", labels=labels.for_container("i", pod, "c")
        )
        await runtime.start(cid)

    asyncio.run(make())


def url(name: str = "p", sub: str = "exec", query: str = "command=echo&command=hi&stdout=true") -> str:
    return f"{PODS}/{name}/{sub}?{query}"


def receive_all(ws: object) -> list[tuple[int, bytes]]:
    frames = []
    while True:
        message = ws.receive()  # type: ignore[attr-defined]
        if message["type"] == "websocket.close":
            return frames
        frames.append((message["bytes"][0], message["bytes"][1:]))


def status_of(frames: list[tuple[int, bytes]]) -> dict:
    (status,) = [json.loads(data) for channel, data in frames if channel == 3]
    return status


def test_exec_sends_output_on_stdout_then_success_and_closes(
    client: TestClient, runtime: FakeRuntime
) -> None:
    run_container(client, runtime)
    with client.websocket_connect(url(), subprotocols=[V5, V4]) as ws:
        assert ws.accepted_subprotocol == V5
        frames = receive_all(ws)
    assert frames[0] == (1, b"hi\n")
    assert status_of(frames) == {"metadata": {}, "status": "Success"}


def test_stderr_goes_out_on_channel_2(client: TestClient, runtime: FakeRuntime) -> None:
    run_container(client, runtime)
    with client.websocket_connect(url(query="command=warn&command=oops&stderr=1"), subprotocols=[V4]) as ws:
        assert ws.accepted_subprotocol == V4
        frames = receive_all(ws)
    assert (2, b"oops\n") in frames


def test_a_non_zero_exit_is_a_failure_status_carrying_the_code(
    client: TestClient, runtime: FakeRuntime
) -> None:
    run_container(client, runtime)
    with client.websocket_connect(url(query="command=exit&command=3&stdout=1"), subprotocols=[V5]) as ws:
        status = status_of(receive_all(ws))
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"] == {"causes": [{"reason": "ExitCode", "message": "3"}]}


def test_stdin_reaches_the_process_and_the_v5_close_ends_it(client: TestClient, runtime: FakeRuntime) -> None:
    run_container(client, runtime)
    with client.websocket_connect(url(query="command=cat&stdin=true&stdout=true"), subprotocols=[V5]) as ws:
        ws.send_bytes(b"\x00hello ")
        ws.send_bytes(b"\x04" + b'{"Width":80,"Height":24}')
        ws.send_bytes(b"\x00world")
        ws.send_bytes(b"\xff\x00")
        frames = receive_all(ws)
    assert b"".join(data for channel, data in frames if channel == 1) == b"hello world"
    assert status_of(frames)["status"] == "Success"
    assert runtime.processes["e1"].sizes == [(80, 24)]


def test_a_container_that_is_not_running_is_refused_on_the_error_channel(
    client: TestClient, runtime: FakeRuntime
) -> None:
    run_container(client, runtime, running=False)
    with client.websocket_connect(url(), subprotocols=[V5]) as ws:
        status = status_of(receive_all(ws))
    assert status["code"] == 500 and status["reason"] == "InternalError"
    assert (
        status["message"]
        == 'Internal error occurred: unable to upgrade connection: container not found ("c")'
    )


def denial(client: TestClient, path: str, **kw: object) -> tuple[int, dict]:
    with pytest.raises(WebSocketDenialResponse) as exc, client.websocket_connect(path, **kw):  # type: ignore[arg-type]
        pass
    return exc.value.status_code, exc.value.json()


def test_a_missing_pod_is_refused_before_the_upgrade(client: TestClient) -> None:
    code, status = denial(client, url("ghost"), subprotocols=[V5])
    assert code == 404 and status["message"] == 'pods "ghost" not found'


def test_an_unknown_container_is_refused_before_the_upgrade(client: TestClient, runtime: FakeRuntime) -> None:
    run_container(client, runtime)
    code, status = denial(client, url(query="command=ls&stdout=1&container=nope"), subprotocols=[V5])
    assert code == 400 and status["message"] == "container nope is not valid for pod p"


def test_a_pod_of_two_containers_needs_a_container_name(client: TestClient) -> None:
    client.post(PODS, json=a_pod("two", [{"name": "a", "image": "x"}, {"name": "b", "image": "x"}]))
    code, status = denial(client, url("two"), subprotocols=[V5])
    assert code == 400
    assert status["message"] == "a container name must be specified for pod two, choose one of: [a b]"


def test_an_unspoken_protocol_is_refused(client: TestClient, runtime: FakeRuntime) -> None:
    run_container(client, runtime)
    code, status = denial(client, url(), subprotocols=["SPDY/3.1+portforward.k8s.io"])
    assert code == 400 and "unable to negotiate protocol" in status["message"]


def test_a_websocket_without_the_token_is_unauthorized(client: TestClient) -> None:
    code, _ = denial(client, url(), subprotocols=[V5], headers={"Authorization": "Bearer wrong"})
    assert code == 401


def test_exec_without_an_upgrade_is_checked_then_refused(client: TestClient, runtime: FakeRuntime) -> None:
    assert client.post(url("ghost")).status_code == 404
    run_container(client, runtime)
    resp = client.post(url())
    assert resp.status_code == 400 and resp.json()["message"] == "Upgrade request required"


def test_attach_copies_stdin_to_the_main_process_and_reports_success(
    client: TestClient, runtime: FakeRuntime
) -> None:
    run_container(client, runtime)
    with client.websocket_connect(url(sub="attach", query="stdin=1&stdout=1"), subprotocols=[V5]) as ws:
        ws.send_bytes(b"\x00typed")
        ws.send_bytes(b"\xff\x00")
        frames = receive_all(ws)
    assert (1, b"typed") in frames and status_of(frames)["status"] == "Success"


def test_an_unexpected_error_before_the_upgrade_is_a_500_status(
    client: TestClient, runtime: FakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def boom(*_: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(Streams, "websocket", boom)
    code, status = denial(client, url(), subprotocols=[V5])
    assert code == 500 and status["message"] == "Internal error occurred: unexpected server error"
