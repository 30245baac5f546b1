"""The kubelet's exec and attach: which container run they reach, and what they refuse."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from minik.kubelet import labels
from minik.kubelet.exec import PodStreams, StreamRefused
from tests.unit.kubelet.fake_runtime import RUNS, FakeRuntime

POD = {
    "metadata": {"name": "p", "namespace": "default", "uid": "u1"},
    "spec": {"containers": [{"name": "c"}]},
}


async def run(rt: FakeRuntime, attempt: int, *, running: bool) -> str:
    rt.exit_codes["c"] = [RUNS if running else 1]
    lab = {**labels.for_container("i", POD, "c"), labels.ATTEMPT: str(attempt)}
    cid = await rt.create_container(image="busybox", name=f"c-{attempt}", labels=lab)
    await rt.start(cid)
    return cid


def test_exec_reaches_the_latest_run_of_the_container(tmp_path: Path) -> None:
    async def main() -> None:
        rt = FakeRuntime(root=tmp_path)
        await run(rt, 0, running=False)
        await run(rt, 1, running=True)
        session = await PodStreams(rt, instance="i").exec(
            POD, "c", ["echo", "hi"], stdin=False, stdout=True, stderr=True, tty=False
        )
        assert await session.read() == [(1, b"hi\n")]
        assert await session.read() == []
        assert await session.exit_code() == 0

    anyio.run(main)


@pytest.mark.parametrize("state", ["exited", "never created"])
def test_a_container_that_is_not_running_is_not_found_as_the_kubelet_says(tmp_path: Path, state: str) -> None:
    async def main() -> None:
        rt = FakeRuntime(root=tmp_path)
        if state == "exited":
            await run(rt, 0, running=False)
        with pytest.raises(StreamRefused, match=r'^container not found \("c"\)$'):
            await PodStreams(rt, instance="i").exec(
                POD, "c", ["ls"], stdin=False, stdout=True, stderr=False, tty=False
            )

    anyio.run(main)


def test_the_exit_code_of_a_failed_command_is_reported(tmp_path: Path) -> None:
    async def main() -> None:
        rt = FakeRuntime(root=tmp_path)
        await run(rt, 0, running=True)
        session = await PodStreams(rt, instance="i").exec(
            POD, "c", ["exit", "3"], stdin=False, stdout=True, stderr=False, tty=False
        )
        assert await session.read() == []
        assert await session.exit_code() == 3

    anyio.run(main)


def test_resizes_reach_the_engine_and_attach_reports_no_exit_code(tmp_path: Path) -> None:
    async def main() -> None:
        rt = FakeRuntime(root=tmp_path)
        cid = await run(rt, 0, running=True)
        session = await PodStreams(rt, instance="i").attach(
            POD, "c", stdin=True, stdout=True, stderr=False, tty=True
        )
        await session.resize(120, 40)
        await session.write(b"typed")
        await session.close_write()
        assert await session.read() == [(1, b"typed")]
        assert await session.read() == []
        assert await session.exit_code() is None
        assert rt.processes[cid].sizes == [(120, 40)]

    anyio.run(main)


def test_stdin_ending_on_a_tty_attach_is_the_terminals_end_of_file_not_a_closed_stream(
    tmp_path: Path,
) -> None:
    """Docker cuts a tty attach's output off when its stdin closes; ^D lets the process end by itself."""

    async def main() -> None:
        rt = FakeRuntime(root=tmp_path)
        await run(rt, 0, running=True)
        tty_pod = {**POD, "spec": {"containers": [{"name": "c", "tty": True, "stdin": True}]}}
        session = await PodStreams(rt, instance="i").attach(
            tty_pod, "c", stdin=True, stdout=True, stderr=False, tty=False
        )
        await session.write(b"exit\n")
        await session.close_write()
        assert await session.read() == [(1, b"exit\n")]
        assert await session.read() == [(1, b"\x04")]  # the stream stays open for what follows

    anyio.run(main)


def test_stdin_ending_on_an_attach_to_a_container_without_stdin_once_keeps_its_stdin_open(
    tmp_path: Path,
) -> None:
    """kubectl debug -i: Docker would cut the output off with the client's stdin; the container's
    stdin stays open (only ``stdinOnce`` closes it), so the process's output runs on."""

    async def main() -> None:
        rt = FakeRuntime(root=tmp_path)
        await run(rt, 0, running=True)
        debug_pod = {**POD, "spec": {"containers": [{"name": "c", "stdin": True}]}}
        session = await PodStreams(rt, instance="i").attach(
            debug_pod, "c", stdin=True, stdout=True, stderr=False, tty=False
        )
        await session.write(b"typed")
        await session.close_write()
        assert await session.read() == [(1, b"typed")]
        with anyio.move_on_after(0.3) as waited:
            await session.read()
        assert waited.cancelled_caught, "the stream ended with the client's stdin"
        await session.aclose()

    anyio.run(main)
