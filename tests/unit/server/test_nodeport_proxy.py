"""Node ports on 127.0.0.1: which ports are listened on, which pods a connection reaches, and the relay.

Upstream: kube-proxy (``pkg/proxy``) serves every NodePort/LoadBalancer
Service's node port; the endpoints controller
(``pkg/controller/endpointslice``) picks the ready pods the selector matches
and resolves ``targetPort`` (a number, or a container port's name).
"""

from __future__ import annotations

import socket
from typing import Any

import anyio
import pytest

from minik.errors import NotFound
from minik.server.nodeport_proxy import NodePortProxy, Target, endpoints, wanted


def svc(name: str, stype: str, *ports: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "ns", "uid": name},
        "spec": {"type": stype, "selector": {"app": "web"}, "ports": list(ports), **spec},
    }


def pod(name: str, ip: str, *, ready: bool = True, phase: str = "Running", **extra: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "ns", "labels": {"app": "web"}, **extra},
        "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]},
        "status": {
            "phase": phase,
            "podIP": ip,
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
    assert endpoints(service, 80, pods) == want, scenario


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
        proxy = NodePortProxy(store)  # type: ignore[arg-type]
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
