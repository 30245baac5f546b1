"""The CLI's HTTP client of the control plane's Kubernetes-shaped API.

Owns: the connection (``http.client``, TLS pinned to the instance's
``tls.crt`` when the URL is https), the bearer token, JSON bodies, turning a
``Status`` failure into :func:`minik.errors.api_error_from_status`, ``Warning``
headers, and streaming (watch events, log chunks). Knows nothing about which
commands use it; does not start the server (see :mod:`minik.cli.server_ctl`).
Kept cheap to import: only stdlib modules that ``minik get`` needs anyway.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from minik.errors import ApiError, ServerUnavailable, api_error_from_status

Query = Mapping[str, str | int | bool | None]


def _query(params: Query | None) -> str:
    if not params:
        return ""
    pairs = []
    for k, v in params.items():
        if v is None or v is False:
            continue
        pairs.append((k, "true" if v is True else str(v)))
    return "?" + urlencode(pairs) if pairs else ""


def parse_warning(value: str) -> str:
    """``299 - "text"`` → ``text`` (RFC 7234 warn-text, backslash escapes undone)."""
    parts = value.split(" ", 2)
    if len(parts) == 3 and parts[2].startswith('"') and parts[2].endswith('"'):
        text = parts[2][1:-1]
        out, i = [], 0
        while i < len(text):
            if text[i] == "\\" and i + 1 < len(text):
                i += 1
            out.append(text[i])
            i += 1
        return "".join(out)
    return value


@dataclass
class Response:
    status: int
    body: Any
    warnings: list[str] = field(default_factory=list)


class Client:
    """One API endpoint. ``on_warning`` receives every ``Warning`` header's text."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        cafile: str | None = None,
        timeout: float = 30.0,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        parts = urlsplit(url)
        self.url = url
        self.scheme = parts.scheme or "http"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        self.token = token
        self.cafile = cafile
        self.timeout = timeout
        self.on_warning = on_warning
        self._conn: http.client.HTTPConnection | None = None
        self.reconnect: Callable[[], Client] | None = None
        """Called once when the server refuses a connection (autostart); its answer replaces the endpoint."""

    # -- connection ------------------------------------------------------------------
    def _new_connection(self, timeout: float | None) -> http.client.HTTPConnection:
        if self.scheme == "https":
            import ssl

            ctx = (
                ssl.create_default_context(cafile=self.cafile)
                if self.cafile
                else ssl.create_default_context()
            )
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _headers(self, content_type: str | None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}", "Accept": "application/json", "User-Agent": "minik"}
        if content_type:
            h["Content-Type"] = content_type
        return h

    def _send(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        target: str,
        body: bytes | None,
        content_type: str | None,
    ) -> http.client.HTTPResponse:
        try:
            conn.request(method, target, body=body, headers=self._headers(content_type))
            return conn.getresponse()
        except ConnectionRefusedError as exc:
            raise ServerUnavailable(
                f"the minik server at {self.url} refused the connection (is it running? try `minik server start`)"
            ) from exc
        except TimeoutError as exc:
            raise ServerUnavailable(f"the minik server at {self.url} did not answer in time") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise ServerUnavailable(f"could not talk to the minik server at {self.url}: {exc}") from exc

    def _warnings(self, resp: http.client.HTTPResponse) -> list[str]:
        out = [parse_warning(v) for v in resp.headers.get_all("Warning") or []]
        if self.on_warning is not None:
            for w in out:
                self.on_warning(w)
        return out

    @staticmethod
    def _failure(status: int, raw: bytes) -> ApiError:
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and payload.get("kind") == "Status":
            return api_error_from_status(payload)
        text = raw.decode("utf-8", "replace").strip() or http.client.responses.get(status, "error")
        reasons = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 422: "Invalid"}
        return api_error_from_status(
            {
                "kind": "Status",
                "status": "Failure",
                "code": status,
                "reason": reasons.get(status, ""),
                "message": text,
            }
        )

    def _roundtrip(
        self, method: str, target: str, data: bytes | None, content_type: str
    ) -> tuple[http.client.HTTPResponse, bytes]:
        if self._conn is None:
            self._conn = self._new_connection(self.timeout)
        resp = self._send(self._conn, method, target, data, content_type if data is not None else None)
        try:
            return resp, resp.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise ServerUnavailable(
                f"could not read the answer of the minik server at {self.url}: {exc}"
            ) from exc

    # -- requests --------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Response:
        """One request; a JSON body in and out. Raises an :class:`ApiError` on a failure status."""
        data = None if body is None else json.dumps(body).encode()
        target = path + _query(query)
        reused = self._conn is not None
        try:
            resp, raw = self._roundtrip(method, target, data, content_type)
        except ServerUnavailable as exc:
            self.close()
            if isinstance(exc.__cause__, ConnectionRefusedError) and self.reconnect is not None:
                fresh, self.reconnect = self.reconnect(), None
                self.url, self.host, self.port = fresh.url, fresh.host, fresh.port
                self.scheme, self.token, self.cafile = fresh.scheme, fresh.token, fresh.cafile
            elif not reused:
                raise
            # A kept-alive connection the server had closed: once more on a fresh one.
            resp, raw = self._roundtrip(method, target, data, content_type)
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        warnings = self._warnings(resp)
        if resp.status >= 400:
            raise self._failure(resp.status, raw)
        ctype = resp.getheader("Content-Type", "")
        if "json" in ctype:
            try:
                payload: Any = json.loads(raw) if raw else None
            except ValueError as exc:
                raise ServerUnavailable(f"the minik server sent a body that is not JSON: {exc}") from exc
        else:
            payload = raw.decode("utf-8", "replace")
        return Response(resp.status, payload, warnings)

    def get(self, path: str, query: Query | None = None) -> Any:
        return self.request("GET", path, query=query).body

    def stream(self, path: str, query: Query | None = None) -> Iterator[bytes]:
        """GET ``path`` on its own connection and yield body chunks as they arrive."""
        conn = self._new_connection(None)
        try:
            resp = self._send(conn, "GET", path + _query(query), None, None)
            self._warnings(resp)
            if resp.status >= 400:
                raise self._failure(resp.status, resp.read())
            while True:
                try:
                    chunk = resp.read1(65536)
                except (OSError, http.client.HTTPException) as exc:
                    raise ServerUnavailable(f"the stream from the minik server broke: {exc}") from exc
                if not chunk:
                    return
                yield chunk
        finally:
            conn.close()

    def watch(self, path: str, query: Query | None = None) -> Iterator[dict[str, Any]]:
        """``?watch=true`` on a collection: yield ``{"type", "object"}`` events.

        An ``ERROR`` event becomes the matching :class:`ApiError`.
        """
        q: dict[str, str | int | bool | None] = dict(query or {})
        q["watch"] = "true"
        buf = b""
        for chunk in self.stream(path, q):
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if not line.strip():
                    continue
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    raise api_error_from_status(event.get("object") or {})
                yield event
