"""The proxy agent on loopback: it relays to an endpoint, refuses a port without one, follows its file."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

from minik.kubelet import proxy_agent


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def echo_server(tag: bytes) -> tuple[asyncio.AbstractServer, int]:
    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(tag + await r.read(100))
        await w.drain()
        w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def ask(port: int) -> bytes:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"hi")
    await w.drain()
    data = await r.read(100)
    w.close()
    return data


def write(path: Path, rules: list[dict[str, object]]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"rules": rules}))
    tmp.replace(path)


def test_relays_refuses_and_follows_its_rules(tmp_path: Path) -> None:
    async def scenario() -> None:
        a, port_a = await echo_server(b"a:")
        b, port_b = await echo_server(b"b:")
        front, udp_front = free_port(), free_port(socket.SOCK_DGRAM)
        udp_back = await asyncio.get_running_loop().create_datagram_endpoint(
            _UDPEcho, local_addr=("127.0.0.1", 0)
        )
        udp_port = udp_back[0].get_extra_info("sockname")[1]
        path = tmp_path / "rules.json"
        rule = {"vip": "127.0.0.1", "port": front, "protocol": "TCP", "endpoints": [["127.0.0.1", port_a]]}
        udp = {
            "vip": "127.0.0.1",
            "port": udp_front,
            "protocol": "UDP",
            "endpoints": [["127.0.0.1", udp_port]],
        }
        write(path, [rule, udp])
        agent = proxy_agent.Agent(str(path))
        task = asyncio.create_task(agent.run())
        try:
            await asyncio.sleep(0.3)
            assert await ask(front) == b"a:hi"
            got = await _udp_ask(udp_front)
            assert got == b"echo:ping"
            # Affinity: the client keeps its endpoint while two are listed.
            write(
                path, [{**rule, "endpoints": [["127.0.0.1", port_a], ["127.0.0.1", port_b]], "affinity": 60}]
            )
            await asyncio.sleep(0.3)
            first = await ask(front)
            assert all([await ask(front) == first for _ in range(5)])
            # No endpoint: nothing listens, the connection is refused.
            write(path, [{**rule, "endpoints": []}])
            await asyncio.sleep(0.3)
            try:
                await ask(front)
            except ConnectionRefusedError:
                pass
            else:
                raise AssertionError("a port without endpoints must refuse")
            # An endpoint that does not answer is skipped for one that does.
            dead = free_port()
            write(path, [{**rule, "endpoints": [["127.0.0.1", dead], ["127.0.0.1", port_b]]}])
            await asyncio.sleep(0.3)
            assert all([await ask(front) == b"b:hi" for _ in range(4)])
        finally:
            task.cancel()
            for s in agent.servers.values():
                s.close()
            a.close()
            b.close()
            udp_back[0].close()

    asyncio.run(scenario())


class _UDPEcho(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.transport.sendto(b"echo:" + data, addr)  # type: ignore[attr-defined]


async def _udp_ask(port: int) -> bytes:
    loop = asyncio.get_running_loop()
    got: asyncio.Future[bytes] = loop.create_future()

    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            if not got.done():
                got.set_result(data)

    transport, _ = await loop.create_datagram_endpoint(Client, remote_addr=("127.0.0.1", port))
    try:
        transport.sendto(b"ping")
        return await asyncio.wait_for(got, 3)
    finally:
        transport.close()
