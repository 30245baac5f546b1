"""Container exits from Docker's event stream: no exit lost to a race or an outage.

A fake at minik's own interface (``DockerAPI.open_container_events`` and
``inspect``) plays the engine: tests push events into the open stream, break
it, and set what an inspect answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel

from minik.errors import DockerUnavailable
from minik.kubelet.runtime.docker.api import ContainerEvent, ContainerInfo, NoSuchObject
from minik.kubelet.runtime.exits import GONE, ContainerExits


def info(cid: str, status: str, code: int = 0) -> ContainerInfo:
    return ContainerInfo(cid, cid, {}, status, code, False, "", "", "", "")


class FakeStream:
    def __init__(self) -> None:
        self.send, self.recv = anyio.create_memory_object_stream[ContainerEvent | None](100)
        self.closed = False

    def __aiter__(self) -> FakeStream:
        return self

    async def __anext__(self) -> ContainerEvent:
        ev = await self.recv.receive()
        if ev is None:
            raise DockerUnavailable("the Docker engine closed its event stream")
        return ev

    async def aclose(self) -> None:
        self.closed = True


class FakeDocker:
    """The engine as ContainerExits sees it."""

    def __init__(self) -> None:
        self.states: dict[str, ContainerInfo] = {}
        self.streams: list[FakeStream] = []
        self.up = True
        self.inspects = 0
        self.after_read: Callable[[], Awaitable[None]] | None = None  # runs between reading and answering

    async def open_container_events(self, labels: dict[str, str], actions: tuple[str, ...]) -> FakeStream:
        assert labels == {"minik.io/instance": "t"} and set(actions) == {"die", "destroy"}
        if not self.up:
            raise DockerUnavailable("engine down")
        s = FakeStream()
        self.streams.append(s)
        return s

    async def inspect(self, cid: str) -> ContainerInfo:
        self.inspects += 1
        await anyio.lowlevel.checkpoint()
        if not self.up:
            raise DockerUnavailable("engine down")
        if cid not in self.states:
            raise NoSuchObject(cid)
        answer = self.states[cid]
        if self.after_read is not None:
            hook, self.after_read = self.after_read, None
            await hook()
        return answer

    def emit(self, action: str, cid: str, code: int | None = None) -> None:
        self.streams[-1].send.send_nowait(ContainerEvent(action, cid, code))

    def break_stream(self) -> None:
        self.streams[-1].send.send_nowait(None)


async def settle() -> None:
    for _ in range(20):
        await anyio.lowlevel.checkpoint()


def run(body: Callable[[FakeDocker, ContainerExits], Awaitable[None]]) -> None:
    async def main() -> None:
        docker = FakeDocker()
        exits = ContainerExits(docker, {"minik.io/instance": "t"})  # type: ignore[arg-type]
        async with anyio.create_task_group() as tg:
            tg.start_soon(exits.run)
            with anyio.fail_after(5):
                await exits.opened()
                await body(docker, exits)
            tg.cancel_scope.cancel()

    anyio.run(main)


async def wait_in_background(
    tg: Any, exits: ContainerExits, cid: str, got: dict[str, int], **kw: Any
) -> None:
    async def one() -> None:
        got[cid] = await exits.wait(cid, **kw)

    tg.start_soon(one)
    await settle()


def test_a_die_event_gives_the_waiting_worker_its_exit_code() -> None:
    async def body(docker: FakeDocker, exits: ContainerExits) -> None:
        docker.states["c1"] = info("c1", "running")
        got: dict[str, int] = {}
        async with anyio.create_task_group() as tg:
            await wait_in_background(tg, exits, "c1", got, known=docker.states["c1"], mark=exits.mark())
            assert got == {}
            docker.emit("die", "c1", 3)
        assert got == {"c1": 3}
        assert docker.inspects == 0  # the caller's own inspect was trusted

    run(body)


def test_an_exit_seen_before_anyone_waits_is_remembered() -> None:
    async def body(docker: FakeDocker, exits: ContainerExits) -> None:
        docker.emit("die", "fast", 7)
        await settle()
        assert await exits.wait("fast", known=info("fast", "running"), mark=exits.mark()) == 7

    run(body)


def test_a_container_that_had_exited_when_inspected_returns_at_once() -> None:
    async def body(docker: FakeDocker, exits: ContainerExits) -> None:
        assert await exits.wait("c", known=info("c", "exited", 1), mark=exits.mark()) == 1

    run(body)


def test_a_container_removed_from_outside_is_gone() -> None:
    async def body(docker: FakeDocker, exits: ContainerExits) -> None:
        got: dict[str, int] = {}
        async with anyio.create_task_group() as tg:
            await wait_in_background(tg, exits, "c", got, known=info("c", "running"), mark=exits.mark())
            docker.emit("destroy", "c")
        assert got == {"c": GONE}
        assert await exits.wait("never-existed") == GONE

    run(body)


def test_destroy_after_die_keeps_the_exit_code() -> None:
    async def body(docker: FakeDocker, exits: ContainerExits) -> None:
        docker.emit("die", "c", 137)
        docker.emit("destroy", "c")
        await settle()
        assert await exits.wait("c") == 137

    run(body)


def test_an_exit_while_the_engine_was_away_is_found_when_the_stream_reopens() -> None:
    async def body(docker: FakeDocker, exits: ContainerExits) -> None:
        docker.states["c"] = info("c", "running")
        got: dict[str, int] = {}
        async with anyio.create_task_group() as tg:
            await wait_in_background(tg, exits, "c", got, known=docker.states["c"], mark=exits.mark())
            docker.up = False
            docker.break_stream()
            await settle()
            docker.states["c"] = info("c", "exited", 143)  # died in the outage: no event ever comes
            docker.up = True
            await exits.opened()  # reopened after back-off
            await settle()
        assert got == {"c": 143}
        assert exits.reconnects >= 1

    run(body)


def test_a_state_read_before_an_outage_is_not_trusted() -> None:
    async def body(docker: FakeDocker, exits: ContainerExits) -> None:
        mark = exits.mark()
        stale = info("c", "running")
        docker.break_stream()
        await exits.opened()
        await settle()
        docker.states["c"] = info("c", "exited", 2)
        assert await exits.wait("c", known=stale, mark=mark) == 2
        assert docker.inspects == 1

    run(body)


def test_a_stream_that_reopens_during_the_waiters_own_inspect_makes_it_look_again() -> None:
    async def body(docker: FakeDocker, exits: ContainerExits) -> None:
        docker.break_stream()
        docker.up = False
        await settle()
        assert exits.mark() is None  # closed
        docker.up = True  # … but the inspect below goes through
        docker.states["c"] = info("c", "running")

        async def reopen_and_exit() -> None:
            # After the inspect read "running": the stream reopens (its recheck finds
            # no waiter yet), and the container exits before its events are watched.
            docker.states["c"] = info("c", "exited", 5)
            await exits.opened()
            await settle()

        docker.after_read = reopen_and_exit
        assert await exits.wait("c") == 5
        assert docker.inspects == 2

    run(body)


def test_the_stream_is_closed_when_the_kubelet_stops() -> None:
    docker = FakeDocker()

    async def main() -> None:
        exits = ContainerExits(docker, {"minik.io/instance": "t"})  # type: ignore[arg-type]
        async with anyio.create_task_group() as tg:
            tg.start_soon(exits.run)
            await exits.opened()
            tg.cancel_scope.cancel()

    anyio.run(main)
    assert docker.streams[0].closed
