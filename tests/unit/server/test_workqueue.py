"""The control plane's keyed work queue: de-duplication, no concurrent key, timers."""

from __future__ import annotations

import anyio

from minik.server.workqueue import WorkQueue


def test_a_key_added_twice_before_processing_is_processed_once() -> None:
    seen: list[str] = []

    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()
        q.add("a")
        q.add("a")
        q.add("b")

        async def handle(key: str) -> None:
            seen.append(key)

        async with anyio.create_task_group() as tg:
            tg.start_soon(q.run_worker, handle, lambda k, e: None)
            await anyio.sleep(0.05)
            tg.cancel_scope.cancel()

    anyio.run(scenario)
    assert seen == ["a", "b"]


def test_a_key_added_while_processing_is_processed_again_afterwards_not_concurrently() -> None:
    running: set[str] = set()
    overlaps: list[str] = []
    count = {"a": 0}

    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()

        async def handle(key: str) -> None:
            if key in running:
                overlaps.append(key)
            running.add(key)
            count[key] += 1
            if count[key] == 1:
                q.add(key)  # a change arrives while the key is being handled
            await anyio.sleep(0.01)
            running.discard(key)

        q.add("a")
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(q.run_worker, handle, lambda k, e: None)
            await anyio.sleep(0.1)
            tg.cancel_scope.cancel()

    anyio.run(scenario)
    assert count["a"] == 2
    assert overlaps == []


def test_add_after_wakes_the_key_once_the_delay_has_passed() -> None:
    times: list[float] = []

    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()
        start = anyio.current_time()

        async def handle(key: str) -> None:
            times.append(anyio.current_time() - start)

        async with anyio.create_task_group() as tg:
            tg.start_soon(q.run_timers)
            tg.start_soon(q.run_worker, handle, lambda k, e: None)
            q.add_after("a", 0.1)
            await anyio.sleep(0.3)
            tg.cancel_scope.cancel()

    anyio.run(scenario)
    assert len(times) == 1
    assert 0.09 <= times[0] < 0.25


def test_a_failing_key_does_not_stop_the_worker() -> None:
    errors: list[str] = []
    done: list[str] = []

    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()

        async def handle(key: str) -> None:
            if key == "bad":
                raise ValueError("boom")
            done.append(key)

        q.add("bad")
        q.add("good")
        async with anyio.create_task_group() as tg:
            tg.start_soon(q.run_worker, handle, lambda k, e: errors.append(f"{k}: {e}"))
            await anyio.sleep(0.05)
            tg.cancel_scope.cancel()

    anyio.run(scenario)
    assert errors == ["bad: boom"]
    assert done == ["good"]
