"""A tiny in-process HTTP server that answers like minik's API, with canned objects.

Fakes at minik's own interface (the REST API the CLI talks to): handlers are
registered per (method, path) and every request is recorded so tests can check
exactly what the CLI sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

from minik.cli.client import Client
from minik.cli.common import Ctx
from minik.cli.main import main

from .objects import T0

TOKEN = "secret-token"


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    stream: list[bytes] | Callable[[], Iterator[bytes]] | None = None


Handler = Callable[[Req], Reply]


def status(code: int, reason: str, message: str, **details: Any) -> Reply:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
    }
    if details:
        body["details"] = details
    return Reply(code, body)


def not_found(plural: str, name: str) -> Reply:
    return status(404, "NotFound", f'{plural} "{name}" not found')


def items(*objs: Any, rv: str = "10") -> Reply:
    return Reply(
        200, {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": rv}, "items": list(objs)}
    )


def watch_lines(*events: tuple[str, Any]) -> Reply:
    return Reply(200, stream=[json.dumps({"type": t, "object": o}).encode() + b"\n" for t, o in events])


class FakeApi:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler | list[Handler]] = {}
        self.requests: list[Req] = []
        self.now = T0
        fake = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                req = Req(
                    self.command,
                    parts.path,
                    {k: v[0] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw) if raw else None,
                )
                fake.requests.append(req)
                reply = fake.dispatch(req)
                if reply.stream is not None:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Connection", "close")
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    chunks = reply.stream() if callable(reply.stream) else reply.stream
                    for chunk in chunks:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                    self.close_connection = True
                    return
                data = json.dumps(reply.body).encode() if reply.body is not None else b""
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def on(self, method: str, path: str, *replies: Reply | Handler) -> None:
        """Answer ``method path`` with the replies in turn (the last one repeats)."""
        handlers = [r if callable(r) else (lambda _req, r=r: r) for r in replies]
        self.routes[(method, path)] = handlers

    def dispatch(self, req: Req) -> Reply:
        if req.headers.get("authorization") != f"Bearer {TOKEN}":
            return status(401, "Unauthorized", "Unauthorized")
        handlers = self.routes.get((req.method, req.path))
        if not handlers:
            return status(404, "NotFound", "the server could not find the requested resource")
        assert isinstance(handlers, list)
        handler = handlers.pop(0) if len(handlers) > 1 else handlers[0]
        return handler(req)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def seen(self, method: str | None = None) -> list[tuple[str, str, dict[str, str]]]:
        return [(r.method, r.path, r.query) for r in self.requests if method is None or r.method == method]

    def run(self, *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        out, err = StringIO(), StringIO()
        ctx = Ctx(out=out, err=err, clock=lambda: self.now, connect=lambda: Client(self.url, TOKEN))
        if stdin is not None:
            import sys

            old = sys.stdin
            sys.stdin = StringIO(stdin)
            try:
                code = main(list(argv), ctx=ctx)
            finally:
                sys.stdin = old
        else:
            code = main(list(argv), ctx=ctx)
        return code, out.getvalue(), err.getvalue()
