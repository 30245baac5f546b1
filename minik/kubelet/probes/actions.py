"""The actions probes and lifecycle hooks take: exec, httpGet, tcpSocket, grpc, sleep.

As upstream's ``pkg/probe/{exec,http,tcp,grpc}`` and
``pkg/kubelet/lifecycle/handlers.go`` do them, with their words:

- **exec** runs in the container itself through the engine's exec
  (:class:`~minik.kubelet.runtime.Runtime`); exit 0 is success, any other
  code failure, with the combined output (at most 10 KiB); past the
  timeout, ``command "…" timed out``.
- **httpGet**, **tcpSocket** and **grpc** connect from the host to the
  pod's address on the instance network (what the pod's network target
  says, as port-forward does); never to another host (``host`` is refused
  by validation). HTTP: 200–399 is success, a redirect to another host a
  warning; HTTPS does not verify the certificate (as upstream). grpc:
  ``grpc.health.v1.Health/Check`` through gRPC's own client.

Blocking clients (HTTP, gRPC) run in a thread pool of their own
(:data:`PROBE_THREADS`), never the engine calls' pool.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import ssl
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from minik.errors import MinikError
from minik.k8s import Obj
from minik.kubelet.env import expand
from minik.kubelet.probes.rules import Result
from minik.kubelet.runtime import Runtime

MAX_OUTPUT = 10 * 1024  # bytes of output a probe keeps (upstream's maxReadLength)
PROBE_THREADS = 16  # HTTP and gRPC probes running at once, in their own threads
MAX_REDIRECTS = 10
USER_AGENT = "kube-probe/1.33"
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    """One probe run: its result and output; ``error`` (throw the result away) or ``warning``."""

    result: Result
    output: str = ""
    error: str = ""
    warning: bool = False


class ActionError(MinikError):
    """A hook or probe action could not be carried out (the port is unknown, the exec failed)."""


def resolve_port(port: Any, c: Obj) -> int:
    """probe.ResolveContainerPort: a number, or the name of one of the container's ports."""
    if isinstance(port, str):
        named = next((p for p in c.get("ports") or [] if p.get("name") == port), None)
        if named is not None:
            port = named.get("containerPort")
        elif port.isdigit():
            port = int(port)
        else:
            raise ActionError(f"port {port} not found")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ActionError(f"invalid port number: {port}")
    return port


# -- exec ------------------------------------------------------------------------
def static_command(action: Obj, c: Obj) -> list[str]:
    """An exec probe's command with ``$(VAR)`` expanded from the container's literal ``env`` values
    only (ExpandContainerCommandOnlyStatic: a probe has no downward API or secrets)."""
    static = {str(e["name"]): str(e.get("value") or "") for e in c.get("env") or [] if "valueFrom" not in e}
    return [expand(str(a), static) for a in action.get("command") or []]


@dataclass(frozen=True)
class ExecResult:
    code: int | None  # None: timed out
    output: str


async def run_exec(runtime: Runtime, cid: str, command: list[str], limit: float | None) -> ExecResult:
    """Run ``command`` in the container; its exit code and combined output (``code`` None: timed out)."""
    exec_id = await runtime.exec_create(cid, command, stdin=False, stdout=True, stderr=True, tty=False)
    stream = await runtime.exec_start(exec_id, tty=False)
    out = bytearray()
    finished = False
    try:
        with anyio.move_on_after(limit) if limit else contextlib.nullcontext():
            while pieces := await stream.read():
                for _, data in pieces:
                    out += data[: max(0, MAX_OUTPUT - len(out))]
            finished = True
    finally:
        await stream.aclose()
    text = out.decode(errors="replace")
    if not finished:
        return ExecResult(None, text)
    code: int | None = None
    with anyio.move_on_after(5):
        while (code := await runtime.exec_exit_code(exec_id)) is None:  # noqa: ASYNC110 - no event for it
            await anyio.sleep(0.02)
    return ExecResult(code if code is not None else -1, text)


async def exec_probe(runtime: Runtime, cid: str, command: list[str], limit: float) -> Outcome:
    try:
        done = await run_exec(runtime, cid, command, limit)
    except MinikError as exc:
        return Outcome(Result.UNKNOWN, error=str(exc))
    if done.code is None:
        return Outcome(Result.FAILURE, f'command "{" ".join(command)}" timed out')
    return Outcome(Result.SUCCESS if done.code == 0 else Result.FAILURE, done.output)


# -- tcp ---------------------------------------------------------------------------
def dial_error(ip: str, port: int, exc: BaseException) -> str:
    """Go's words for a failed dial (``dial tcp IP:PORT: connect: connection refused``)."""
    if isinstance(exc, TimeoutError):
        return f"dial tcp {ip}:{port}: i/o timeout"
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
    errno = getattr(cause, "errno", None)
    why = os.strerror(errno) if isinstance(errno, int) else str(cause)
    return f"dial tcp {ip}:{port}: connect: {why.lower()}"


async def tcp_probe(ip: str, port: int, limit: float) -> Outcome:
    try:
        with anyio.fail_after(limit):
            stream = await anyio.connect_tcp(ip, port)
        await stream.aclose()
    except (OSError, TimeoutError) as exc:
        return Outcome(Result.FAILURE, dial_error(ip, port, exc))
    return Outcome(Result.SUCCESS)


# -- http --------------------------------------------------------------------------
def http_url(action: Obj, c: Obj, ip: str) -> str:
    """The URL an httpGet action asks for, on the pod's address."""
    port = resolve_port(action.get("port"), c)
    scheme = str(action.get("scheme") or "HTTP").lower()
    path = str(action.get("path") or "/")
    if not path.startswith("/"):
        path = "/" + path
    return f"{scheme}://{ip}:{port}{path}"


def http_get(url: str, headers: dict[str, str], timeout: float) -> tuple[int, str, str]:
    """One GET (blocking): status, Location header, body (at most 10 KiB)."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "", parts.port
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # upstream's prober: InsecureSkipVerify
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target or "/", headers=headers)
        res = conn.getresponse()
        body = res.read(MAX_OUTPUT).decode(errors="replace")
        return res.status, res.getheader("Location") or "", body
    finally:
        conn.close()


def http_get_sync(url: str, action: Obj, timeout: float) -> Outcome:
    """DoHTTPProbe: follow redirects on the same host; 200–399 success, a redirect elsewhere a warning."""
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Connection": "close"}
    for h in action.get("httpHeaders") or []:
        headers[str(h.get("name"))] = str(h.get("value") or "")
    host = urllib.parse.urlsplit(url).hostname
    try:
        for _ in range(MAX_REDIRECTS + 1):
            status, location, body = http_get(url, headers, timeout)
            if 300 <= status < 400 and location:
                nxt = urllib.parse.urljoin(url, location)
                if urllib.parse.urlsplit(nxt).hostname == host:
                    url = nxt
                    continue
                return Outcome(
                    Result.SUCCESS, f"Probe terminated redirects, Response body: {body}", warning=True
                )
            if 200 <= status < 400:
                return Outcome(Result.SUCCESS, body)
            return Outcome(Result.FAILURE, f"HTTP probe failed with statuscode: {status}")
        return Outcome(Result.FAILURE, f'Get "{url}": stopped after {MAX_REDIRECTS} redirects')
    except TimeoutError:
        why = "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        return Outcome(Result.FAILURE, f'Get "{url}": {why}')
    except OSError as exc:
        parts = urllib.parse.urlsplit(url)
        return Outcome(
            Result.FAILURE, f'Get "{url}": {dial_error(parts.hostname or "", parts.port or 0, exc)}'
        )
    except http.client.HTTPException as exc:
        return Outcome(Result.FAILURE, f'Get "{url}": {type(exc).__name__}: {exc}')
    except ValueError as exc:  # a request http.client refuses to send (a header with a line break)
        return Outcome(Result.UNKNOWN, error=f'Get "{url}": {exc}')


# -- grpc --------------------------------------------------------------------------
def grpc_check_sync(ip: str, port: int, service: str, timeout: float) -> Outcome:
    """pkg/probe/grpc: grpc.health.v1.Health/Check, SERVING is success."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    addr = f"{ip}:{port}"
    channel = grpc.insecure_channel(addr, options=[("grpc.primary_user_agent", USER_AGENT)])
    try:
        try:
            grpc.channel_ready_future(channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            why = f"timeout: failed to connect service {addr!r} within {timeout:g}s"
            return Outcome(Result.FAILURE, why)
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            resp = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as exc:
            code = exc.code() if callable(getattr(exc, "code", None)) else None
            if code == grpc.StatusCode.UNIMPLEMENTED:
                msg = "error: this server does not implement the grpc health protocol (grpc.health.v1.Health)"
                return Outcome(Result.FAILURE, f"{msg}: {exc.details()}")
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                return Outcome(Result.FAILURE, f"timeout: health rpc did not complete within {timeout:g}s")
            return Outcome(Result.FAILURE, f"error: health rpc probe failed: {exc}")
        if resp.status != health_pb2.HealthCheckResponse.SERVING:
            name = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
            return Outcome(Result.FAILURE, f'service unhealthy (responded with "{name}")')
        return Outcome(Result.SUCCESS, "service healthy")
    finally:
        channel.close()


class Actions:
    """Runs probe and hook actions for one kubelet: the engine for exec, a thread pool of its own
    (:data:`PROBE_THREADS`) for the blocking HTTP and gRPC clients."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._limiter: anyio.CapacityLimiter | None = None

    def _threads(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(PROBE_THREADS)
        return self._limiter

    async def in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """A blocking client call in the probes' own threads (abandoned when cancelled)."""
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._threads(), abandon_on_cancel=True)

    async def probe(self, spec: Obj, c: Obj, *, cid: str, ip: str) -> Outcome:
        """Run a probe's action once (within its ``timeoutSeconds``); tried again on an error, three
        times in all, as runProbeWithRetries does."""
        limit = float(spec.get("timeoutSeconds") or 1)
        outcome = Outcome(Result.UNKNOWN, error="missing probe handler")
        for _ in range(3):
            outcome = await self._probe_once(spec, c, cid=cid, ip=ip, limit=limit)
            if not outcome.error:
                return outcome
        return outcome

    async def _probe_once(self, spec: Obj, c: Obj, *, cid: str, ip: str, limit: float) -> Outcome:
        try:
            if spec.get("exec") is not None:
                return await exec_probe(self.runtime, cid, static_command(spec["exec"], c), limit)
            if not ip:
                return Outcome(Result.UNKNOWN, error="the pod has no IP address yet")
            if spec.get("httpGet") is not None:
                action = spec["httpGet"]
                return await self.in_thread(http_get_sync, http_url(action, c, ip), action, limit)
            if spec.get("tcpSocket") is not None:
                return await tcp_probe(ip, resolve_port(spec["tcpSocket"].get("port"), c), limit)
            if spec.get("grpc") is not None:
                g = spec["grpc"]
                port, service = int(g.get("port") or 0), str(g.get("service") or "")
                return await self.in_thread(grpc_check_sync, ip, port, service, limit)
        except ActionError as exc:
            return Outcome(Result.UNKNOWN, error=str(exc))
        return Outcome(Result.UNKNOWN, error=f"missing probe handler for {c.get('name')}")
