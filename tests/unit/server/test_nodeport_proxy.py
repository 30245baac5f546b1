"""Node ports on 127.0.0.1: which ports are listened on, which pods a connection reaches, and the relay.

Upstream: kube-proxy (``pkg/proxy``) serves every NodePort/LoadBalancer
Service's node port; the endpoints controller
(``pkg/controller/endpointslice``) picks the ready pods the selector matches
and resolves ``targetPort`` (a number, or a container port's name).
"""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

import anyio
import pytest

from minik.errors import NotFound
from minik.server.nodeport_proxy import Limits, NodePortProxy, Target, endpoints, wanted


def svc(name: str, stype: str, *ports: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "ns", "uid": name},
        "spec": {"type": stype, "selector": {"app": "web"}, "ports": list(ports), **spec},
    }


KUBELET_IPS: dict[str, str] = {}
"""The kubelet's record of each pod's address, by pod uid: where a node port connects."""


def kubelet_ip(pod: dict[str, Any]) -> str:
    return KUBELET_IPS.get(pod["metadata"].get("uid", ""), "")


def pod(name: str, ip: str, *, ready: bool = True, phase: str = "Running", **extra: Any) -> dict[str, Any]:
    """A pod the kubelet gave ``ip``; its stored ``status.podIP`` is a documentation address nobody must use."""
    uid = f"uid-{name}-{ip}"
    KUBELET_IPS[uid] = ip
    return {
        "metadata": {"name": name, "namespace": "ns", "uid": uid, "labels": {"app": "web"}, **extra},
        "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]},
        "status": {
            "phase": phase,
            "podIP": "203.0.113.9",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def test_every_tcp_node_port_of_a_node_port_or_load_balancer_service_is_wanted() -> None:
    services = [
        svc("np", "NodePort", {"port": 80, "nodePort": 30001, "protocol": "TCP"}),
        svc("lb", "LoadBalancer", {"port": 81, "nodePort": 30002}),
        svc("udp", "NodePort", {"port": 53, "nodePort": 30003, "protocol": "UDP"}),
        svc("cip", "ClusterIP", {"port": 80}),
        {**svc("gone", "NodePort", {"port": 80, "nodePort": 30004}), "metadata": {"name": "gone",
                                                                                 "deletionTimestamp": "x"}},
    ]  # fmt: skip
    assert wanted(services) == {30001: Target("ns", "np", 80), 30002: Target("ns", "lb", 81)}


@pytest.mark.parametrize(
    ("scenario", "service", "pods", "want"),
    [
        ("a ready pod at a numbered targetPort", svc("s", "NodePort", {"port": 80, "targetPort": 9000}),
         [pod("a", "10.0.0.2")], [("10.0.0.2", 9000)]),
        ("a named targetPort is the container port of that name", svc("s", "NodePort", {"port": 80, "targetPort": "http"}),
         [pod("a", "10.0.0.2")], [("10.0.0.2", 8080)]),
        ("a not-ready pod is no endpoint", svc("s", "NodePort", {"port": 80, "targetPort": 80}),
         [pod("a", "10.0.0.2", ready=False)], []),
        ("unless the Service publishes not-ready addresses",
         svc("s", "NodePort", {"port": 80, "targetPort": 80}, publishNotReadyAddresses=True),
         [pod("a", "10.0.0.2", ready=False)], [("10.0.0.2", 80)]),
        ("a terminating or finished pod is no endpoint", svc("s", "NodePort", {"port": 80, "targetPort": 80}),
         [pod("a", "10.0.0.2", deletionTimestamp="x"), pod("b", "10.0.0.3", phase="Succeeded")], []),
        ("a pod the selector does not match is no endpoint", svc("s", "NodePort", {"port": 80, "targetPort": 80}),
         [{**pod("a", "10.0.0.2"), "metadata": {"name": "a", "labels": {"app": "other"}}}], []),
        ("a hostNetwork pod is reached at the node's address", svc("s", "NodePort", {"port": 80, "targetPort": 80}),
         [pod("a", "127.0.0.1")], [("127.0.0.1", 80)]),
        ("a Service without a selector has no endpoints",
         {**svc("s", "NodePort", {"port": 80}), "spec": {"type": "NodePort", "ports": [{"port": 80}]}},
         [pod("a", "10.0.0.2")], []),
    ],
)  # fmt: skip
def test_a_connection_reaches_the_endpoints_the_endpoints_controller_would_list(
    scenario: str, service: dict[str, Any], pods: list[dict[str, Any]], want: list[tuple[str, int]]
) -> None:
    assert endpoints(service, 80, pods, kubelet_ip) == want, scenario


class FakeStore:
    """The store calls the proxy makes: get, list, record_event."""

    def __init__(self) -> None:
        self.services: dict[str, dict[str, Any]] = {}
        self.pods: list[dict[str, Any]] = []
        self.events: list[tuple[str, str]] = []

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any]:
        if name not in self.services:
            raise NotFound({"code": 404, "reason": "NotFound"})
        return self.services[name]

    def list(self, resource: str, namespace: str, **_: Any) -> tuple[list[dict[str, Any]], str]:
        return self.pods, "1"

    def record_event(self, involved: dict[str, Any], **kw: Any) -> dict[str, Any]:
        self.events.append((kw["reason"], kw["message"]))
        return {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_node_port_relays_both_ways_and_closes_with_its_service() -> None:
    async def main() -> None:
        store = FakeStore()
        backend = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        backend_port = backend.extra(anyio.abc.SocketAttribute.local_port)

        async def echo(conn: anyio.abc.SocketStream) -> None:
            async with conn:
                data = b""
                async for chunk in conn:  # until the client half-closes
                    data += chunk
                await conn.send(data.upper())

        node_port, taken = free_port(), free_port()
        service = svc("web", "NodePort", {"port": 80, "targetPort": backend_port, "nodePort": node_port})
        store.services["web"] = service
        store.pods = [pod("a", "127.0.0.1")]
        proxy = NodePortProxy(store, address=kubelet_ip)  # type: ignore[arg-type]
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", taken))
            holder.listen()
            clash = svc("clash", "NodePort", {"port": 80, "nodePort": taken})
            async with anyio.create_task_group() as tg:
                tg.start_soon(backend.serve, echo)
                await tg.start(proxy.run)
                await proxy.sync([service, clash])
                assert proxy.ports() == {node_port: Target("ns", "web", 80)}
                assert store.events == [
                    ("NodePortUnavailable", f"cannot listen on 127.0.0.1:{taken}: address already in use")
                ]
                async with await anyio.connect_tcp("127.0.0.1", node_port) as client:
                    await client.send(b"hello")
                    await client.send_eof()
                    assert await client.receive() == b"HELLO"
                await proxy.sync([])
                assert proxy.ports() == {}
                with pytest.raises(OSError):
                    await anyio.connect_tcp("127.0.0.1", node_port)
                tg.cancel_scope.cancel()

    anyio.run(main)


class FlakyListener:
    """A real listener whose first accepts fail with ``errors``, as they do when descriptors run out."""

    def __init__(self, inner: anyio.abc.SocketListener, errors: list[BaseException]) -> None:
        self.inner = inner
        self.errors = errors

    def extra(self, attr: Any, *default: Any) -> Any:
        return self.inner.extra(attr, *default)

    async def accept(self) -> anyio.abc.SocketStream:
        if self.errors:
            await anyio.sleep(0.01)
            raise self.errors.pop(0)
        return await self.inner.accept()

    async def aclose(self) -> None:
        await self.inner.aclose()


def _first_accepts_fail(monkeypatch: pytest.MonkeyPatch, errors: list[BaseException]) -> None:
    """The listeners the proxy opens raise ``errors`` (one list, shared, in order) before accepting."""
    from minik.server import nodeport_proxy

    real_listen = nodeport_proxy._listen

    async def flaky_listen(host: str, port: int) -> Any:
        return FlakyListener(await real_listen(host, port), errors)

    monkeypatch.setattr(nodeport_proxy, "_listen", flaky_listen)


async def _echo_backend(tg: anyio.abc.TaskGroup) -> int:
    backend = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)

    async def echo(conn: anyio.abc.SocketStream) -> None:
        async with conn:
            async for chunk in conn:
                await conn.send(chunk)

    tg.start_soon(backend.serve, echo)
    return int(backend.extra(anyio.abc.SocketAttribute.local_port))


async def _serving_echo(
    tg: anyio.abc.TaskGroup, limits: Limits | None = None
) -> tuple[NodePortProxy, int, dict[str, Any]]:
    """A running proxy for NodePort Service web, whose one ready pod is an echo backend on 127.0.0.1."""
    store = FakeStore()
    backend_port = await _echo_backend(tg)
    node_port = free_port()
    service = svc("web", "NodePort", {"port": 80, "targetPort": backend_port, "nodePort": node_port})
    store.services["web"], store.pods = service, [pod("a", "127.0.0.1")]
    proxy = NodePortProxy(store, address=kubelet_ip, limits=limits)  # type: ignore[arg-type]
    await tg.start(proxy.run)
    await proxy.sync([service])
    return proxy, node_port, service


async def _roundtrip(port: int, data: bytes = b"ping") -> anyio.abc.SocketStream:
    client = await anyio.connect_tcp("127.0.0.1", port)
    await client.send(data)
    with anyio.fail_after(5):
        assert await client.receive() == data
    return client


async def _closed_by_proxy(client: anyio.abc.SocketStream, within: float = 5) -> bool:
    with anyio.fail_after(within):
        try:
            await client.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionError):
            return True
    return False


def test_an_accept_that_runs_out_of_descriptors_is_retried_and_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    emfile: list[BaseException] = [OSError(errno.EMFILE, "Too many open files") for _ in range(5)] + [
        OSError(errno.ENFILE, "x")
    ]
    _first_accepts_fail(monkeypatch, emfile)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            proxy, node_port, _ = await _serving_echo(tg)
            async with await _roundtrip(node_port):  # served once the descriptors are back
                pass
            assert proxy.ports() == {node_port: Target("ns", "web", 80)}
            assert not emfile
            tg.cancel_scope.cancel()

    with caplog.at_level(logging.WARNING, logger="minik.nodeports"):
        anyio.run(main)
    warned = [r.getMessage() for r in caplog.records if "cannot accept" in r.getMessage()]
    assert len(warned) == 1, warned
    assert warned[0].endswith(": cannot accept a connection: too many open files; retrying")


def test_any_other_error_in_a_listener_closes_that_listener_only_and_the_next_sync_reopens_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _first_accepts_fail(monkeypatch, [RuntimeError("listener broke")])

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            proxy, node_port, service = await _serving_echo(tg)
            with anyio.fail_after(5):
                while proxy.ports():  # noqa: ASYNC110 - the proxy has no event for this
                    await anyio.sleep(0.01)
            await proxy.sync([service])
            async with await _roundtrip(node_port):
                pass
            tg.cancel_scope.cancel()

    anyio.run(main)


def test_connections_over_the_per_port_or_total_cap_are_closed_at_once() -> None:
    async def main() -> None:
        store = FakeStore()
        async with anyio.create_task_group() as tg:
            backend_port = await _echo_backend(tg)
            a, b = free_port(), free_port()
            sa = svc("a", "NodePort", {"port": 80, "targetPort": backend_port, "nodePort": a})
            sb = svc("b", "NodePort", {"port": 80, "targetPort": backend_port, "nodePort": b})
            store.services.update(a=sa, b=sb)
            store.pods = [pod("p", "127.0.0.1")]
            proxy = NodePortProxy(store, address=kubelet_ip, limits=Limits(per_port=2, total=3))  # type: ignore[arg-type]
            await tg.start(proxy.run)
            await proxy.sync([sa, sb])
            held = [await _roundtrip(a), await _roundtrip(a)]
            over = await anyio.connect_tcp("127.0.0.1", a)
            assert await _closed_by_proxy(over), "a third connection to a port capped at 2 was kept"
            held.append(await _roundtrip(b))
            over_total = await anyio.connect_tcp("127.0.0.1", b)
            assert await _closed_by_proxy(over_total), "a fourth connection in all was kept"
            assert proxy.connections() == {a: 2, b: 1}
            await held.pop(0).aclose()
            with anyio.fail_after(5):
                while proxy.connections().get(a) != 1:  # noqa: ASYNC110 - the proxy has no event for this
                    await anyio.sleep(0.01)
            held.append(await _roundtrip(a))  # room again
            for c in (*held, over, over_total):
                await c.aclose()
            tg.cancel_scope.cancel()

    anyio.run(main)


def test_a_connection_idle_for_the_timeout_is_closed() -> None:
    async def main() -> None:
        async with anyio.create_task_group() as tg:
            proxy, node_port, _ = await _serving_echo(tg, Limits(idle=0.3))
            busy = await _roundtrip(node_port)
            for _ in range(4):  # traffic keeps a connection open past the timeout
                await anyio.sleep(0.15)
                await busy.send(b"x")
                assert await busy.receive() == b"x"
            start = anyio.current_time()
            assert await _closed_by_proxy(busy, within=3)
            assert anyio.current_time() - start < 2
            assert proxy.connections() == {}
            await busy.aclose()
            tg.cancel_scope.cancel()

    anyio.run(main)


def test_caps_follow_the_open_file_limit() -> None:
    assert Limits.for_fd_limit(65536) == Limits(per_port=1024, total=4096)
    assert Limits.for_fd_limit(4096) == Limits(per_port=512, total=512)
    assert Limits.for_fd_limit(20) == Limits(per_port=16, total=16)


def test_a_pod_the_kubelet_gave_no_address_is_no_endpoint_whatever_its_status_says() -> None:
    service = svc("s", "NodePort", {"port": 80, "targetPort": 80})
    stranger = pod("stranger", "")  # status.podIP is set, the kubelet has no record
    assert endpoints(service, 80, [stranger], kubelet_ip) == []


def test_a_node_port_reaches_the_kubelets_address_not_a_client_written_pod_ip() -> None:
    """A client patching ``status.podIP`` to 127.0.0.1 must not turn a node port into a relay to the host."""

    async def main() -> None:
        store = FakeStore()
        pod_side = await anyio.create_tcp_listener(local_host="127.0.0.2", local_port=0)
        port = int(pod_side.extra(anyio.abc.SocketAttribute.local_port))
        try:
            host_side = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=port)
        except OSError:
            await pod_side.aclose()
            pytest.skip("the port is taken on 127.0.0.1")

        def answer(who: bytes) -> Any:
            async def handle(conn: anyio.abc.SocketStream) -> None:
                async with conn:
                    await conn.send(who)

            return handle

        async with anyio.create_task_group() as tg:
            tg.start_soon(pod_side.serve, answer(b"pod"))
            tg.start_soon(host_side.serve, answer(b"host"))
            node_port = free_port()
            service = svc("web", "NodePort", {"port": 80, "targetPort": port, "nodePort": node_port})
            patched = pod("a", "127.0.0.2")
            patched["status"]["podIP"] = "127.0.0.1"  # what the client wrote
            store.services["web"], store.pods = service, [patched]
            proxy = NodePortProxy(store, address=kubelet_ip)  # type: ignore[arg-type]
            await tg.start(proxy.run)
            await proxy.sync([service])
            async with await anyio.connect_tcp("127.0.0.1", node_port) as client:
                with anyio.fail_after(5):
                    assert await client.receive() == b"pod"
            tg.cancel_scope.cancel()

    anyio.run(main)
