"""Probe actions (minik.kubelet.probes.actions) against real servers on 127.0.0.1, and exec over the fake.

Upstream: pkg/probe/http/http.go (DoHTTPProbe), pkg/probe/tcp/tcp.go, pkg/probe/grpc/grpc.go,
pkg/probe/exec/exec.go, pkg/probe/util.go (ResolveContainerPort).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from minik.kubelet.lifecycle.runner import run_handler
from minik.kubelet.probes.actions import ActionError, Actions, Outcome, resolve_port, static_command
from minik.kubelet.probes.rules import Result
from tests.unit.kubelet.fake_runtime import RUNS, FakeRuntime

LOCAL = "127.0.0.1"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes: dict[str, tuple[int, dict[str, str], bytes]] = {
            "/ok": (200, {}, b"fine"),
            "/bad": (503, {}, b"down"),
            "/moved": (302, {"Location": "/ok"}, b""),
            "/away": (302, {"Location": "http://elsewhere.invalid/"}, b"bye"),
            "/agent": (200 if self.headers.get("X-Probe") == "yes" else 400, {}, b""),
        }
        code, headers, body = routes.get(self.path, (404, {}, b"no"))
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    server = ThreadingHTTPServer((LOCAL, 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def probe(
    spec: dict[str, Any], c: dict[str, Any] | None = None, *, fake: FakeRuntime | None = None
) -> Outcome:
    async def main() -> Outcome:
        actions = Actions(fake or FakeRuntime(Path("/nonexistent")))
        return await actions.probe(spec, c or {"name": "c"}, cid="", ip=LOCAL)

    return anyio.run(main)


@pytest.mark.parametrize(
    ("scenario", "path", "headers", "outcome"),
    [
        ("a 200 is a success with the body", "/ok", [], Outcome(Result.SUCCESS, "fine")),
        ("a 503 fails", "/bad", [], Outcome(Result.FAILURE, "HTTP probe failed with statuscode: 503")),
        ("a 404 fails", "/nothing", [], Outcome(Result.FAILURE, "HTTP probe failed with statuscode: 404")),
        ("a redirect on the same host is followed", "/moved", [], Outcome(Result.SUCCESS, "fine")),
        (
            "a redirect to another host is not followed: a warning",
            "/away",
            [],
            Outcome(Result.SUCCESS, "Probe terminated redirects, Response body: bye", warning=True),
        ),
        (
            "the probe's headers are sent",
            "/agent",
            [{"name": "X-Probe", "value": "yes"}],
            Outcome(Result.SUCCESS, ""),
        ),
    ],
)
def test_an_http_probe(
    http_port: int, scenario: str, path: str, headers: list[dict[str, str]], outcome: Outcome
) -> None:
    spec = {"httpGet": {"path": path, "port": http_port, "scheme": "HTTP", "httpHeaders": headers}}
    assert probe(spec) == outcome, scenario


@pytest.fixture(scope="module")
def https_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The same routes over TLS, with a self-signed certificate no client would trust."""
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pod.invalid")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    d = tmp_path_factory.mktemp("tls")
    (d / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d / "c.pem", d / "k.pem")
    server = ThreadingHTTPServer((LOCAL, 0), _Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("scenario", "path", "outcome"),
    [
        ("a 200 over TLS is a success: the certificate is not verified, as upstream's prober", "/ok",
         Outcome(Result.SUCCESS, "fine")),
        ("a 503 over TLS fails", "/bad", Outcome(Result.FAILURE, "HTTP probe failed with statuscode: 503")),
    ],
)  # fmt: skip
def test_an_https_probe(https_port: int, scenario: str, path: str, outcome: Outcome) -> None:
    spec = {"httpGet": {"path": path, "port": https_port, "scheme": "HTTPS"}}
    assert probe(spec) == outcome, scenario


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind((LOCAL, 0))
        return int(s.getsockname()[1])


def test_an_http_probe_to_a_closed_port_fails_with_gos_words() -> None:
    port = _closed_port()
    out = probe({"httpGet": {"path": "/", "port": port}})
    assert out == Outcome(
        Result.FAILURE, f'Get "http://{LOCAL}:{port}/": dial tcp {LOCAL}:{port}: connect: connection refused'
    )


def test_a_tcp_probe_succeeds_on_a_listening_port_and_fails_on_a_closed_one(http_port: int) -> None:
    assert probe({"tcpSocket": {"port": http_port}}) == Outcome(Result.SUCCESS)
    port = _closed_port()
    assert probe({"tcpSocket": {"port": port}}) == Outcome(
        Result.FAILURE, f"dial tcp {LOCAL}:{port}: connect: connection refused"
    )


def test_a_named_port_is_the_containers_port_of_that_name(http_port: int) -> None:
    c = {"name": "c", "ports": [{"name": "web", "containerPort": http_port}]}
    assert probe({"tcpSocket": {"port": "web"}}, c) == Outcome(Result.SUCCESS)
    assert resolve_port("8080", {"name": "c"}) == 8080
    with pytest.raises(ActionError, match="port db not found"):
        resolve_port("db", {"name": "c"})


def test_an_unknown_port_name_is_a_probe_error_not_a_failure() -> None:
    out = probe({"tcpSocket": {"port": "db"}})
    assert out.result == Result.UNKNOWN and out.error == "port db not found"


@contextlib.contextmanager
def grpc_server(*, with_health: bool) -> Iterator[int]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    if with_health:
        servicer = health.HealthServicer()
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        servicer.set("db", health_pb2.HealthCheckResponse.NOT_SERVING)
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port(f"{LOCAL}:0")
    server.start()
    try:
        yield port
    finally:
        server.stop(None)


def test_a_grpc_probe_asks_the_standard_health_service() -> None:
    with grpc_server(with_health=True) as port:
        assert probe({"grpc": {"port": port}, "timeoutSeconds": 5}) == Outcome(
            Result.SUCCESS, "service healthy"
        )
        assert probe({"grpc": {"port": port, "service": "db"}, "timeoutSeconds": 5}) == Outcome(
            Result.FAILURE, 'service unhealthy (responded with "NOT_SERVING")'
        )


def test_a_grpc_probe_of_a_server_without_the_health_service_fails() -> None:
    with grpc_server(with_health=False) as port:
        out = probe({"grpc": {"port": port}, "timeoutSeconds": 5})
    assert out.result == Result.FAILURE
    assert out.output.startswith(
        "error: this server does not implement the grpc health protocol (grpc.health.v1.Health)"
    )


def _running_container(tmp_path: Path) -> tuple[FakeRuntime, str]:
    fake = FakeRuntime(tmp_path, exit_codes={"c": [RUNS]})

    async def start() -> str:
        cid = await fake.create_container(
            image="busybox:latest", name="x", labels={"minik.io/container": "c"}
        )
        await fake.start(cid)
        return cid

    return fake, anyio.run(start)


def test_an_exec_probe_succeeds_on_exit_0_and_fails_otherwise_with_its_output(tmp_path: Path) -> None:
    fake, cid = _running_container(tmp_path)

    def run(command: list[str]) -> Outcome:
        async def main() -> Outcome:
            return await Actions(fake).probe({"exec": {"command": command}}, {"name": "c"}, cid=cid, ip="")

        return anyio.run(main)

    assert run(["echo", "ok"]) == Outcome(Result.SUCCESS, "ok\n")
    assert run(["warn", "cannot open /tmp/healthy"]) == Outcome(Result.SUCCESS, "cannot open /tmp/healthy\n")
    assert run(["exit", "1"]) == Outcome(Result.FAILURE, "")
    # `cat` waits for stdin that never comes: past the timeout, upstream's words.
    assert run(["cat"]) == Outcome(Result.FAILURE, 'command "cat" timed out')


def test_an_exec_probes_command_expands_only_the_containers_literal_env() -> None:
    c = {
        "name": "c",
        "env": [{"name": "PORT", "value": "8080"}, {"name": "TOKEN", "valueFrom": {"secretKeyRef": {}}}],
    }
    command = {"command": ["check", "$(PORT)", "$(TOKEN)", "$$(PORT)"]}
    assert static_command(command, c) == ["check", "8080", "$(TOKEN)", "$(PORT)"]


def hook(handler: dict[str, Any], c: dict[str, Any] | None = None) -> str:
    async def main() -> str:
        actions = Actions(FakeRuntime(Path("/nonexistent")))
        return await run_handler(
            actions, handler, c or {"name": "c"}, cid="", ip=LOCAL, pod_ref="p_default(u1)"
        )

    return anyio.run(main)


def test_an_http_hook_fails_only_when_the_request_cannot_be_made(http_port: int) -> None:
    # handlers.go looks at no status code: a 503 is a hook that ran.
    assert hook({"httpGet": {"path": "/bad", "port": http_port, "scheme": "HTTP"}}) == ""
    port = _closed_port()
    assert hook({"httpGet": {"path": "/stop", "port": port, "scheme": "HTTP"}}) == (
        'HTTP lifecycle hook (/stop) for Container "c" in Pod "p_default(u1)" failed - error: '
        f'Get "http://{LOCAL}:{port}/stop": dial tcp {LOCAL}:{port}: connect: connection refused'
    )


def test_a_sleep_hook_sleeps_and_a_tcp_socket_hook_cannot_be_run() -> None:
    assert hook({"sleep": {"seconds": 0}}) == ""
    assert hook({"tcpSocket": {"port": 80}}).startswith("Cannot run handler: invalid handler")
