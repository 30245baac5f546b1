"""The Service proxy's agent: the program inside a ClusterIP Service's proxy container (kube-proxy's userspace mode).

Standard library only, and no import of minik: :mod:`minik.kubelet.svcproxy`
hands this file's source to the container's ``python3 -c``, so the container
runs minik's own code from any Python 3 image and needs no mount of the
package. Each ClusterIP Service has one such container on the instance
network whose address *is* the Service's virtual IP and whose DNS aliases
are the Service's names (Docker's DNS answers a name with the address of the
endpoint that carries it, so one endpoint per VIP is what makes
``name`` resolve to the VIP). The agent reads one JSON file (``CONFIG``, in
a directory the server bind-mounts read-only), which the server rewrites
whole (write and rename) whenever the Service or its endpoints change, and
converges on it, level-triggered: each ``VIP:port`` with at least one
endpoint is listened on (TCP, or UDP) and every connection (every UDP
client) is relayed to one endpoint, picked at random or, under
``sessionAffinity: ClientIP``, the one the client had within its timeout. A
port with no endpoint is not listened on: the kernel refuses the
connection, as kube-proxy's reject rule does. The file is re-read when its
modification time changes (checked every ``POLL`` seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import random
import sys
import time
from typing import Any

CONFIG = "/etc/minik-proxy/config.json"
POLL = 0.1
CONNECT_TIMEOUT = 5.0
UDP_IDLE = 60.0


class Agent:
    def __init__(self, path: str) -> None:
        self.path = path
        self.mtime = 0.0
        self.rules: dict[tuple[str, int, str], dict[str, Any]] = {}
        self.servers: dict[tuple[str, int, str], Any] = {}
        self.affinity: dict[tuple[str, int, str, str], tuple[tuple[str, int], float]] = {}

    # -- convergence ----------------------------------------------------------------
    def read(self) -> dict[str, Any] | None:
        try:
            mtime = os.stat(self.path).st_mtime
        except OSError:
            return None
        if mtime == self.mtime:
            return None
        try:
            with open(self.path) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return None  # a torn read cannot happen (the server renames), a bad file waits for the next
        self.mtime = mtime
        return data if isinstance(data, dict) else None

    async def apply(self, data: dict[str, Any]) -> None:
        rules: dict[tuple[str, int, str], dict[str, Any]] = {}
        for r in data.get("rules") or []:
            rules[(str(r["vip"]), int(r["port"]), str(r.get("protocol") or "TCP"))] = r
        self.rules = rules
        for key in list(self.servers):
            if not (rules.get(key) or {}).get("endpoints"):
                self.servers.pop(key).close()
        for key, rule in rules.items():
            if key in self.servers or not rule.get("endpoints"):
                continue
            vip, port, proto = key
            try:
                if proto == "UDP":
                    loop = asyncio.get_running_loop()
                    transport, _ = await loop.create_datagram_endpoint(
                        functools.partial(_UDPFront, self, key), local_addr=(vip, port)
                    )
                    self.servers[key] = transport
                else:
                    self.servers[key] = await asyncio.start_server(
                        functools.partial(self.tcp, key), vip, port, reuse_address=True, backlog=512
                    )
            except OSError as exc:
                print(
                    f"minik-proxy: cannot listen on {vip}:{port}/{proto}: {exc}", file=sys.stderr, flush=True
                )

    def pick(
        self, key: tuple[str, int, str], client: str, skip: set[tuple[str, int]]
    ) -> tuple[str, int] | None:
        rule = self.rules.get(key) or {}
        eps = [(str(ip), int(p)) for ip, p in rule.get("endpoints") or []]
        eps = [e for e in eps if e not in skip]
        if not eps:
            return None
        timeout = float(rule.get("affinity") or 0)
        now = time.monotonic()
        if timeout:
            held = self.affinity.get((*key, client))
            if held and held[1] > now and held[0] in eps:
                self.affinity[(*key, client)] = (held[0], now + timeout)
                return held[0]
        choice = random.choice(eps)
        if timeout:
            self.affinity[(*key, client)] = (choice, now + timeout)
        return choice

    # -- TCP ----------------------------------------------------------------------------
    async def tcp(
        self, key: tuple[str, int, str], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        client = str((writer.get_extra_info("peername") or ("",))[0])
        tried: set[tuple[str, int]] = set()
        try:
            while True:
                ep = self.pick(key, client, tried)
                if ep is None:
                    return
                tried.add(ep)
                try:
                    ur, uw = await asyncio.wait_for(asyncio.open_connection(*ep), CONNECT_TIMEOUT)
                except (TimeoutError, OSError):
                    continue
                await asyncio.gather(_pipe(reader, uw), _pipe(ur, writer))
                return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def run(self) -> None:
        while True:
            data = self.read()
            if data is not None:
                await self.apply(data)
            await asyncio.sleep(POLL)


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while True:
            chunk = await src.read(65536)
            if not chunk:
                break
            dst.write(chunk)
            await dst.drain()
        if dst.can_write_eof():
            dst.write_eof()
    except (OSError, RuntimeError):
        with contextlib.suppress(Exception):
            dst.close()


class _UDPFront(asyncio.DatagramProtocol):
    """One VIP:port over UDP: each client gets its own socket to its endpoint, so replies find their way back."""

    def __init__(self, agent: Agent, key: tuple[str, int, str]) -> None:
        self.agent = agent
        self.key = key
        self.transport: Any = None
        self.backs: dict[tuple[str, int], Any] = {}

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        back = self.backs.get(addr)
        if back is not None and not back.transport.is_closing():
            back.touch()
            back.transport.sendto(data)
            return
        ep = self.agent.pick(self.key, addr[0], set())
        if ep is None:
            return
        asyncio.get_running_loop().create_task(self._open(addr, ep, data))

    async def _open(self, addr: tuple[str, int], ep: tuple[str, int], first: bytes) -> None:
        loop = asyncio.get_running_loop()
        transport, back = await loop.create_datagram_endpoint(lambda: _UDPBack(self, addr), remote_addr=ep)
        self.backs[addr] = back
        transport.sendto(first)

    def connection_lost(self, exc: Exception | None) -> None:
        for back in list(self.backs.values()):
            back.transport.close()


class _UDPBack(asyncio.DatagramProtocol):
    def __init__(self, front: _UDPFront, client: tuple[str, int]) -> None:
        self.front = front
        self.client = client
        self.transport: Any = None
        self.seen = time.monotonic()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        asyncio.get_running_loop().create_task(self._expire())

    def touch(self) -> None:
        self.seen = time.monotonic()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.touch()
        if self.front.transport is not None and not self.front.transport.is_closing():
            self.front.transport.sendto(data, self.client)

    async def _expire(self) -> None:
        while not self.transport.is_closing():
            await asyncio.sleep(UDP_IDLE / 4)
            if time.monotonic() - self.seen > UDP_IDLE:
                self.transport.close()
        if self.front.backs.get(self.client) is self:
            del self.front.backs[self.client]


def main() -> None:
    asyncio.run(Agent(os.environ.get("MINIK_PROXY_CONFIG", CONFIG)).run())


if __name__ == "__main__":
    main()
