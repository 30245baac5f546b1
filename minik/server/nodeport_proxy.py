"""Node ports on 127.0.0.1: what kube-proxy does for NodePort and LoadBalancer Services.

minik's node is the host, so the server itself listens on
``127.0.0.1:<nodePort>`` for every TCP port of every ``NodePort`` or
``LoadBalancer`` Service and forwards each connection to one of the
Service's endpoints: a ready (or, with ``publishNotReadyAddresses``, any
running) pod its selector picks, at the port's ``targetPort`` (a number, or
a container port's name). Pod IPs are on the instance network, which the
host reaches (port-forward relies on the same); a hostNetwork pod's IP is
127.0.0.1. Endpoints are looked up at each connection, so they are never
stale; listeners follow the Services (:meth:`NodePortProxy.sync`, run by
the control plane's service loop): a deleted Service's port is closed at
once, and every port closes with the server (``minik server stop`` or
``delete``), leaving nothing behind in Docker or on the host.

Not done: UDP and SCTP node ports (a Warning at apply says so), the
LoadBalancer's own ``port`` on an external address (its
``status.loadBalancer`` stays empty, as on kind without a cloud provider).
:func:`wanted` and :func:`endpoints` are pure.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass

import anyio
import anyio.abc

from minik.errors import ApiError
from minik.k8s import Obj, meta, selector_matches
from minik.registry import Registry

log = logging.getLogger("minik.nodeports")
HOST = "127.0.0.1"
NODE_PORT_TYPES = ("NodePort", "LoadBalancer")
CONNECT_TIMEOUT = 5.0
UNAVAILABLE = "NodePortUnavailable"  # the Service's Warning event when its node port cannot be listened on


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
    if meta(pod).get("deletionTimestamp") or status.get("phase") != "Running" or not status.get("podIP"):
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


def endpoints(svc: Obj, port: int, pods: Iterable[Obj]) -> list[tuple[str, int]]:
    """``(pod IP, target port)`` of each endpoint of the Service's ``port``, as the endpoints controller picks them."""
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
        if tp:
            out.append((str(pod["status"]["podIP"]), tp))
    return out


class NodePortProxy:
    """The listeners on 127.0.0.1; :meth:`run` holds them, :meth:`sync` opens and closes them."""

    def __init__(self, store: Registry, *, host: str = HOST) -> None:
        self.store = store
        self.host = host
        self._tg: anyio.abc.TaskGroup | None = None
        self._open: dict[int, tuple[Target, anyio.CancelScope, anyio.Event]] = {}

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
                listener = await anyio.create_tcp_listener(local_host=self.host, local_port=port)
            except OSError as exc:
                why = f"cannot listen on {self.host}:{port}: {(exc.strerror or str(exc)).lower()}"
                log.warning("service %s/%s: %s", target.namespace, target.name, why)
                svc = by_key.get((target.namespace, target.name))
                if svc is not None:
                    # The event is best effort: a store fault is the store's to report.
                    with contextlib.suppress(Exception):
                        self.store.record_event(
                            svc, type="Warning", reason=UNAVAILABLE, message=why, component="minik"
                        )
                continue
            scope, closed = anyio.CancelScope(), anyio.Event()
            self._open[port] = (target, scope, closed)
            self._tg.start_soon(self._serve, listener, target, scope, closed)

    async def _serve(self, listener: anyio.abc.Listener[anyio.abc.SocketStream], target: Target,
                     scope: anyio.CancelScope, closed: anyio.Event) -> None:  # fmt: skip
        try:
            with scope:
                await listener.serve(lambda client: self._forward(client, target))
        finally:
            with anyio.CancelScope(shield=True):
                await listener.aclose()
            closed.set()

    async def _forward(self, client: anyio.abc.SocketStream, target: Target) -> None:
        async with client:
            try:
                svc = self.store.get("services", target.namespace, target.name)
            except ApiError:
                return
            pods, _ = self.store.list("pods", target.namespace, shared=True)
            found = endpoints(svc, target.port, pods)
            random.shuffle(found)  # kube-proxy's iptables mode picks an endpoint at random
            for ip, port in found:
                try:
                    with anyio.fail_after(CONNECT_TIMEOUT):
                        upstream = await anyio.connect_tcp(ip, port)
                except (OSError, TimeoutError) as exc:
                    log.debug("node port %s/%s: %s:%d: %s", target.namespace, target.name, ip, port, exc)
                    continue
                async with upstream:
                    await _relay(client, upstream)
                return


async def _relay(a: anyio.abc.SocketStream, b: anyio.abc.SocketStream) -> None:
    """Copy bytes both ways; an end of stream on one side half-closes the other."""

    async def pipe(src: anyio.abc.SocketStream, dst: anyio.abc.SocketStream) -> None:
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            async for chunk in src:
                await dst.send(chunk)
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            await dst.send_eof()

    async with anyio.create_task_group() as tg:
        tg.start_soon(pipe, a, b)
        tg.start_soon(pipe, b, a)
