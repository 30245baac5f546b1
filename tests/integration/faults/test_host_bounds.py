"""Attacks on the server's resources from this host, against a real minik server: all refused or harmless.

- 1,100 half-sent requests (TLS done, headers never finished) from one
  local process: ``minik get pods`` still answers at once, and the server
  closes them after its header deadline. The flood targets 127.0.0.1 only,
  is bounded in count and time, and closes every socket it opened.
- the doubling JSON patch of issue 17 sent by real ``kubectl patch
  --type=json``: refused as too large in seconds (it used to take the
  server to 5.4 GB), the object unchanged, the server still answering.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from minik.server.bounds import HEADER_TIMEOUT
from tests.support import Minik

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
