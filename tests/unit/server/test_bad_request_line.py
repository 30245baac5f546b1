"""A request the HTTP parser cannot read gets a ``Status`` like every other refusal (it was uvicorn's plain text)."""

from __future__ import annotations

import json
import socket
import threading
import time

import uvicorn

from minik.server.bounds import HeaderTimeoutProtocol


async def _app(scope: dict, receive: object, send: object) -> None:  # never reached
    raise AssertionError("a malformed request reached the app")


def test_a_malformed_request_line_is_a_400_status() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(_app, http=HeaderTimeoutProtocol, lifespan="off", log_level="critical")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
            c.sendall(b"GET / HTTP/1.1 garbage\x00\r\n\r\n")
            raw = b""
            while chunk := c.recv(4096):
                raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 "), raw
        assert b"content-type: application/json" in head.lower()
        status = json.loads(body)
        assert status["kind"] == "Status" and status["code"] == 400 and status["reason"] == "BadRequest"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
