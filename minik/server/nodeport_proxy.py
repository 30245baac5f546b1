"""Node ports on 127.0.0.1: what kube-proxy does for NodePort and LoadBalancer Services.

minik's node is the host, so the server itself listens on
``127.0.0.1:<nodePort>`` for every TCP port of every ``NodePort`` or
``LoadBalancer`` Service and forwards each connection to one of the
Service's endpoints: a ready (or, with ``publishNotReadyAddresses``, any
running) pod its selector picks, at the port's ``targetPort`` (a number, or
a container port's name). Each endpoint is reached at the address the
kubelet gave its pod (``address``: its IPAM record on the instance network,
which the host reaches, or 127.0.0.1 for a hostNetwork pod), never at
``status.podIP``, which a client holding the token can write. Endpoints
are looked up at each connection, so they are never stale; listeners follow the Services (:meth:`NodePortProxy.sync`, run by
the control plane's service loop): a deleted Service's port is closed at
once, and every port closes with the server (``minik server stop`` or
``delete``), leaving nothing behind in Docker or on the host.

Bounded, because anyone on the host can connect (no token guards a node
port): at most :attr:`Limits.per_port` connections per node port and
:attr:`Limits.total` in all (an eighth of the process's open-file limit at
most, each connection holding two descriptors), a connection over either cap
is closed at once; a connection that moves no byte either way for
:attr:`Limits.idle` seconds is closed. An accept that fails because the
process or the system is out of descriptors (or buffers) is retried after a
back-off and logged once, and no error in one listener reaches the others or
the server: that listener is closed and the next Service sync opens it again.

Not done: UDP and SCTP node ports (a Warning at apply says so), the
LoadBalancer's own ``port`` on an external address (its
``status.loadBalancer`` stays empty, as on kind without a cloud provider).
:func:`wanted` and :func:`endpoints` are pure.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import random
import resource
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import cast

import anyio
import anyio.abc

from minik.errors import ApiError
from minik.k8s import Obj, meta, selector_matches
from minik.registry import Registry
from minik.server.bounds import FD_LIMIT

log = logging.getLogger("minik.nodeports")
HOST = "127.0.0.1"
NODE_PORT_TYPES = ("NodePort", "LoadBalancer")
CONNECT_TIMEOUT = 5.0
UNAVAILABLE = "NodePortUnavailable"  # the Service's Warning event when its node port cannot be listened on
MAX_PER_PORT = 1024
MAX_TOTAL = 4096
IDLE_TIMEOUT = 600.0  # seconds without a byte either way
ACCEPT_BACKOFF = (0.05, 1.0)  # first and longest pause after an accept that failed for want of resources
_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


@dataclass(frozen=True)
class Limits:
    """How many relayed connections the node ports may hold, and for how long idle."""

    per_port: int = MAX_PER_PORT
    total: int = MAX_TOTAL
    idle: float = IDLE_TIMEOUT

    @classmethod
    def for_fd_limit(cls, fd_limit: int) -> Limits:
        """Caps that keep the relay (two descriptors a connection) within a quarter of ``fd_limit``."""
        total = max(16, min(MAX_TOTAL, fd_limit // 8))
        return cls(per_port=min(MAX_PER_PORT, total), total=total)


def _fd_soft_limit() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return FD_LIMIT if soft == resource.RLIM_INFINITY else int(soft)


@dataclass(frozen=True)
class Target:
    """One Service port a node port forwards to."""

    namespace: str
    name: str
    port: int  # spec.ports[].port: which of the Service's ports


def wanted(services: Iterable[Obj]) -> dict[int, Target]:
    """Every TCP node port the Services hold, and the Service port behind it."""
    out: dict[int, Target] = {}
    for svc in services:
        spec = svc.get("spec") or {}
        m = meta(svc)
        if spec.get("type") not in NODE_PORT_TYPES or m.get("deletionTimestamp"):
            continue
        for port in spec.get("ports") or []:
            node_port = port.get("nodePort")
            if isinstance(node_port, int) and node_port and (port.get("protocol") or "TCP") == "TCP":
                ns = str(m.get("namespace") or "default")
                out[node_port] = Target(ns, str(m.get("name")), int(port.get("port") or 0))
    return out


def _ready(pod: Obj, *, any_running: bool) -> bool:
    status = pod.get("status") or {}
    if meta(pod).get("deletionTimestamp") or status.get("phase") != "Running":
        return False
    if any_running:
        return True
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])


def _target_port(pod: Obj, target: object) -> int | None:
    if isinstance(target, int):
        return target
    for group in ("containers", "initContainers"):
        for c in (pod.get("spec") or {}).get(group) or []:
            for p in c.get("ports") or []:
                if p.get("name") == target and (p.get("protocol") or "TCP") == "TCP":
                    return int(p["containerPort"])
    return None


def endpoints(
    svc: Obj, port: int, pods: Iterable[Obj], address: Callable[[Obj], str]
) -> list[tuple[str, int]]:
    """``(pod address, target port)`` of each endpoint of the Service's ``port``, as the endpoints controller
    picks them; ``address`` is the kubelet's record of a pod's IP (a pod without one is no endpoint)."""
    spec = svc.get("spec") or {}
    selector = spec.get("selector")
    sp = next((p for p in spec.get("ports") or [] if p.get("port") == port), None)
    if not selector or sp is None:
        return []
    target = sp.get("targetPort", port)
    if isinstance(target, str) and target.isdigit():
        target = int(target)
    any_running = bool(spec.get("publishNotReadyAddresses"))
    out = []
    for pod in pods:
        if not selector_matches({"matchLabels": selector}, meta(pod).get("labels")):
            continue
        if not _ready(pod, any_running=any_running):
            continue
        tp = _target_port(pod, target)
        ip = address(pod)
        if tp and ip:
            out.append((ip, tp))
    return out


class NodePortProxy:
    """The listeners on 127.0.0.1; :meth:`run` holds them, :meth:`sync` opens and closes them."""

    def __init__(
        self,
        registry: Registry,
        *,
        address: Callable[[Obj], str],
        host: str = HOST,
        limits: Limits | None = None,
    ) -> None:
        self.registry = registry
        self.address = address
        self.host = host
        self.limits = limits or Limits.for_fd_limit(_fd_soft_limit())
        self._tg: anyio.abc.TaskGroup | None = None
        self._open: dict[int, tuple[Target, anyio.CancelScope, anyio.Event]] = {}
        self._active: dict[int, int] = {}  # node port -> connections relayed now
        self._total = 0

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            async with anyio.create_task_group() as tg:
                self._tg = tg
                task_status.started()
                await anyio.sleep_forever()
        finally:
            self._tg = None
            self._open.clear()

    def ports(self) -> dict[int, Target]:
        """The node ports listened on now."""
        return {p: t for p, (t, _, _) in self._open.items()}

    async def sync(self, services: list[Obj]) -> None:
        """Listen on exactly the node ports the Services hold (a port that could not be had is retried)."""
        if self._tg is None:
            return
        want = wanted(services)
        for port, (target, scope, closed) in list(self._open.items()):
            if want.get(port) != target:
                scope.cancel()
                del self._open[port]
                await closed.wait()  # the port is free again before this returns
        by_key = {(str(meta(s).get("namespace") or "default"), str(meta(s).get("name"))): s for s in services}
        for port, target in want.items():
            if port in self._open:
                continue
            try:
                listener = await _listen(self.host, port)
            except OSError as exc:
                why = f"cannot listen on {self.host}:{port}: {(exc.strerror or str(exc)).lower()}"
                log.warning("service %s/%s: %s", target.namespace, target.name, why)
                svc = by_key.get((target.namespace, target.name))
                if svc is not None:
                    # The event is best effort: a store fault is the store's to report.
                    with contextlib.suppress(Exception):
                        self.registry.record_event(
                            svc, type="Warning", reason=UNAVAILABLE, message=why, component="minik"
                        )
                continue
            scope, closed = anyio.CancelScope(), anyio.Event()
            self._open[port] = (target, scope, closed)
            self._tg.start_soon(self._serve, listener, target, scope, closed)

    def connections(self) -> dict[int, int]:
        """Connections held now, per node port."""
        return {p: n for p, n in self._active.items() if n}

    async def _serve(self, listener: anyio.abc.SocketListener, target: Target,
                     scope: anyio.CancelScope, closed: anyio.Event) -> None:  # fmt: skip
        port = int(listener.extra(anyio.abc.SocketAttribute.local_port))
        try:
            with scope:
                async with anyio.create_task_group() as tg:
                    await self._accept_loop(listener, port, target, tg)
        except Exception:  # one listener's fault must not end the server
            log.exception("node port %d (%s/%s) stopped; it is opened again at the next sync",
                          port, target.namespace, target.name)  # fmt: skip
            entry = self._open.get(port)
            if entry is not None and entry[1] is scope:
                del self._open[port]
        finally:
            with anyio.CancelScope(shield=True):
                await listener.aclose()
            closed.set()

    async def _accept_loop(self, listener: anyio.abc.SocketListener, port: int, target: Target,
                           tg: anyio.abc.TaskGroup) -> None:  # fmt: skip
        backoff = 0.0
        capped = False
        while True:
            try:
                client = await listener.accept()
            except OSError as exc:
                if exc.errno not in _OUT_OF_RESOURCES:
                    raise
                if not backoff:
                    log.warning("node port %d: cannot accept a connection: %s; retrying", port,
                                (exc.strerror or str(exc)).lower())  # fmt: skip
                backoff = min(max(backoff * 2, ACCEPT_BACKOFF[0]), ACCEPT_BACKOFF[1])
                await anyio.sleep(backoff)
                continue
            backoff = 0.0
            if self._active.get(port, 0) >= self.limits.per_port or self._total >= self.limits.total:
                if not capped:
                    log.warning("node port %d: %d connections here, %d in all: closing new ones until some end",
                                port, self._active.get(port, 0), self._total)  # fmt: skip
                    capped = True
                with anyio.CancelScope(shield=True):
                    await client.aclose()
                continue
            capped = False
            self._active[port] = self._active.get(port, 0) + 1
            self._total += 1
            tg.start_soon(self._held, client, port, target)

    async def _held(self, client: anyio.abc.SocketStream, port: int, target: Target) -> None:
        try:
            await self._forward(client, target)
        except Exception as exc:  # noqa: BLE001 - a connection's fault is that connection's alone
            log.debug("node port %d: connection ended: %r", port, exc)
        finally:
            self._active[port] -= 1
            self._total -= 1

    async def _forward(self, client: anyio.abc.SocketStream, target: Target) -> None:
        async with client:
            try:
                svc = self.registry.get("services", target.namespace, target.name)
            except ApiError:
                return
            pods, _ = self.registry.list("pods", target.namespace, shared=True)
            found = endpoints(svc, target.port, pods, self.address)
            random.shuffle(found)  # kube-proxy's iptables mode picks an endpoint at random
            for ip, port in found:
                try:
                    with anyio.fail_after(CONNECT_TIMEOUT):
                        upstream = await anyio.connect_tcp(ip, port)
                except (OSError, TimeoutError) as exc:
                    log.debug("node port %s/%s: %s:%d: %s", target.namespace, target.name, ip, port, exc)
                    continue
                async with upstream:
                    await _relay(client, upstream, idle=self.limits.idle)
                return


async def _listen(host: str, port: int) -> anyio.abc.SocketListener:
    multi = await anyio.create_tcp_listener(local_host=host, local_port=port)
    # One address (an IPv4 literal) gives one listener, a socket listener: its accept() is ours to loop on.
    return cast(anyio.abc.SocketListener, multi.listeners[0])


async def _relay(a: anyio.abc.SocketStream, b: anyio.abc.SocketStream, *, idle: float) -> None:
    """Copy bytes both ways; an end of stream on one side half-closes the other; ``idle`` seconds without a byte end both."""
    quiet = anyio.CancelScope(deadline=anyio.current_time() + idle)

    async def pipe(src: anyio.abc.SocketStream, dst: anyio.abc.SocketStream) -> None:
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            async for chunk in src:
                quiet.deadline = anyio.current_time() + idle
                await dst.send(chunk)
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            await dst.send_eof()

    with quiet:
        async with anyio.create_task_group() as tg:
            tg.start_soon(pipe, a, b)
            tg.start_soon(pipe, b, a)
