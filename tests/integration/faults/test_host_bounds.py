"""Attacks on the server's resources from this host, against a real minik server: all refused or harmless.

- 1,100 half-sent requests (TLS done, headers never finished) from one
  local process: ``minik get pods`` still answers at once, and the server
  closes them after its header deadline. The flood targets 127.0.0.1 only,
  is bounded in count and time, and closes every socket it opened.
- 20,000 idle connections to a NodePort (no token needed) from two local
  processes: the relay holds at most its cap and closes the rest, the API
  still answers ``get pods`` within 1 s and the server keeps running (it
  used to run out of descriptors at ~10,000 and exit on EMFILE).
- the doubling JSON patch of issue 17 sent by real ``kubectl patch
  --type=json``: refused as too large in seconds (it used to take the
  server to 5.4 GB), the object unchanged, the server still answering.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from minik.server.bounds import HEADER_TIMEOUT
from tests.support import Minik, Server, eventually

FLOOD = 1100
FLOOD_SECONDS = 120.0
HALF_REQUEST = b"GET /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bea"


def _port(minik: Minik) -> int:
    minik.run("get", "pods")  # the server runs
    url = json.loads((minik.home / "server.json").read_text())["url"]
    assert url.startswith("https://127.0.0.1:"), url
    return int(url.rsplit(":", 1)[1])


@contextmanager
def _fd_limit(at_least: int) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = at_least if hard == resource.RLIM_INFINITY else min(at_least, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _closed_by_peer(sock: ssl.SSLSocket, wait: float) -> bool:
    sock.settimeout(wait)
    try:
        return sock.recv(1) == b""
    except (ssl.SSLError, ConnectionError):
        return True
    except TimeoutError:
        return False


def test_half_sent_requests_cannot_lock_out_the_cli(minik: Minik) -> None:
    port = _port(minik)
    ctx = ssl.create_default_context(cafile=str(minik.home / "tls.crt"))
    socks: list[ssl.SSLSocket] = []
    deadline = time.monotonic() + FLOOD_SECONDS
    with _fd_limit(FLOOD + 512):
        try:
            while len(socks) < FLOOD and time.monotonic() < deadline:
                raw = socket.create_connection(("127.0.0.1", port), timeout=10)
                s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
                s.sendall(HALF_REQUEST)
                socks.append(s)
            flooded_at = time.monotonic()
            assert len(socks) == FLOOD, f"only {len(socks)} connections in {FLOOD_SECONDS:g}s"
            start = time.monotonic()
            res = minik.run("get", "pods", timeout=60)
            took = time.monotonic() - start
            assert res.returncode == 0, res.stderr
            assert took < 10, f"`minik get pods` took {took:.1f}s under the flood"
            # The server drops the half-sent requests once their header deadline has passed.
            remaining = HEADER_TIMEOUT + 20 - (time.monotonic() - flooded_at)
            for s in (socks[-1], socks[len(socks) // 2], socks[0]):
                assert _closed_by_peer(s, max(remaining, 1.0)), "a half-sent request was kept open"
        finally:
            for s in socks:
                s.close()
    assert minik.run("get", "pods").returncode == 0


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_a_doubling_json_patch_from_kubectl_is_refused_quickly(minik: Minik) -> None:
    env = dict(minik.env, KUBECONFIG=str(minik.home / "kubeconfig"))

    def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["kubectl", *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    name = f"doubling-{os.getpid()}"
    assert kubectl("create", "configmap", name, "--from-literal=k=v").returncode == 0
    try:
        ops = [{"op": "add", "path": "/data/d", "value": "x" * 100}]
        ops += [{"op": "add", "path": "/metadata/annotations", "value": {"a": "x" * 1000}}]
        ops += [
            {"op": "copy", "from": "/metadata/annotations", "path": f"/metadata/annotations/a{i}"}
            for i in range(49)
        ]
        start = time.monotonic()
        res = kubectl("patch", "configmap", name, "--type=json", "-p", json.dumps(ops))
        took = time.monotonic() - start
        assert res.returncode != 0, res.stdout
        assert "Request entity too large" in res.stderr, res.stderr
        assert took < 30, f"the refusal took {took:.1f}s"
        got = kubectl("get", "configmap", name, "-o", "json")
        assert got.returncode == 0, got.stderr
        assert json.loads(got.stdout)["data"] == {"k": "v"}
    finally:
        kubectl("delete", "configmap", name, "--ignore-not-found")


NODE_PORT_FLOOD = 20_000
NODE_PORT_FLOODERS = 2  # each process holds its share of the sockets (the open-file limit is per process)
NODE_PORT_FLOOD_SECONDS = 40.0
ECHO = (
    "import asyncio\n"
    "async def echo(r, w):\n"
    "    while data := await r.read(65536):\n"
    "        w.write(data)\n"
    "    w.close()\n"
    "async def main():\n"
    "    server = await asyncio.start_server(echo, '0.0.0.0', 8080, backlog=4096)\n"
    "    await server.serve_forever()\n"
    "asyncio.run(main())\n"
)
FLOODER = """
import resource, socket, sys, time
port, count, until = int(sys.argv[1]), int(sys.argv[2]), time.monotonic() + float(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = []
while len(socks) < count and time.monotonic() < until:
    try:
        socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    except OSError:
        time.sleep(0.01)
print(len(socks), flush=True)
sys.stdin.read()  # hold them until told to stop
for s in socks:
    s.close()
"""
FLOOD_TARGET = """\
apiVersion: v1
kind: Pod
metadata: {name: flood-echo, labels: {app: flood-echo}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: echo
    image: python:3.11-slim
    command: [python3, -c, ECHO_PROGRAM]
    ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: flood-echo}
spec:
  type: NodePort
  selector: {app: flood-echo}
  ports: [{port: 80, targetPort: 8080}]
""".replace("ECHO_PROGRAM", json.dumps(ECHO))


def _get_pods_seconds(minik: Minik, port: int) -> float:
    """One authenticated ``GET pods`` on a fresh connection, timed."""
    ctx = ssl.create_default_context(cafile=str(minik.home / "tls.crt"))
    token = (minik.home / "token").read_text().strip()
    start = time.monotonic()
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s,
    ):
        s.sendall(
            b"GET /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode()
        )
        head = s.recv(64)
    took = time.monotonic() - start
    assert head.startswith(b"HTTP/1.1 200"), head
    return took


def test_a_node_port_flood_leaves_the_api_answering_and_the_server_running(
    minik: Minik, minik_server: tuple[Minik, Server]
) -> None:
    api_port = _port(minik)
    _, server = minik_server
    minik.run("apply", "-f", "-", input=FLOOD_TARGET)
    floods: list[subprocess.Popen[str]] = []
    try:
        eventually(
            "the echo pod to be Ready",
            lambda: any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in minik.json("get", "pod", "flood-echo").get("status", {}).get("conditions", [])
            ),
            timeout=90,
            every=0.5,
        )
        node_port = minik.json("get", "service", "flood-echo")["spec"]["ports"][0]["nodePort"]
        with socket.create_connection(("127.0.0.1", node_port), timeout=5) as probe:
            probe.sendall(b"hello")
            assert probe.recv(5) == b"hello", "the node port does not relay"
        share = NODE_PORT_FLOOD // NODE_PORT_FLOODERS
        for _ in range(NODE_PORT_FLOODERS):
            floods.append(
                subprocess.Popen(
                    [sys.executable, "-c", FLOODER, str(node_port), str(share), str(NODE_PORT_FLOOD_SECONDS)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        opened = sum(
            int(f.stdout.readline() or 0) for f in floods if f.stdout
        )  # each reports once it is done
        # The flood is held open now: the API answers at once and the server runs.
        took = min(_get_pods_seconds(minik, api_port) for _ in range(3))
        print(f"\nnode-port flood: {opened} connections held, GET pods in {took:.3f}s")
        assert took < 1.0, f"GET pods took {took:.2f}s under a node-port flood of {opened}"
        assert server.proc is not None and server.proc.poll() is None, minik.server_log()[-3000:]
        assert opened >= NODE_PORT_FLOOD // 2, f"only {opened} connections were made"
        assert minik.run("get", "pods", timeout=60).returncode == 0
    finally:
        for f in floods:
            with contextlib.suppress(OSError):
                f.communicate(timeout=60)
        minik.run(
            "delete",
            "pod",
            "flood-echo",
            "service",
            "flood-echo",
            "--ignore-not-found",
            "--wait=false",
            check=False,
        )
    assert server.proc.poll() is None, minik.server_log()[-3000:]
    assert "Too many open files" not in minik.server_log()
