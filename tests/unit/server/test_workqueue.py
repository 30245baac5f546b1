"""The control plane's keyed work queue: de-duplication, no concurrent key, timers."""

from __future__ import annotations

import anyio
import pytest

from minik.server.workqueue import Pacer, WorkQueue


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


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_pacer_lets_a_key_run_at_once_the_first_time() -> None:
    pace: Pacer[str] = Pacer(4.0, clock=FakeClock())
    assert pace.delay("job") == 0


def test_pacer_spaces_runs_by_a_multiple_of_what_the_last_run_cost() -> None:
    clock = FakeClock()
    pace: Pacer[str] = Pacer(4.0, clock=clock)
    with pace.timed("big"):
        clock.now += 0.05  # a 50 ms sync
    assert pace.delay("big") == pytest.approx(0.2)
    clock.now += 0.15
    assert pace.delay("big") == pytest.approx(0.05)
    clock.now += 0.05
    assert pace.delay("big") == 0
    assert pace.delay("other") == 0


def test_pacer_barely_delays_a_cheap_run_and_forgets_deleted_keys() -> None:
    clock = FakeClock()
    pace: Pacer[str] = Pacer(4.0, clock=clock)
    with pace.timed("small"):
        clock.now += 0.001
    assert pace.delay("small") == pytest.approx(0.004)
    pace.forget("small")
    assert pace.delay("small") == 0


def test_pacer_times_a_run_that_raises() -> None:
    clock = FakeClock()
    pace: Pacer[str] = Pacer(2.0, clock=clock)
    with pytest.raises(RuntimeError), pace.timed("k"):
        clock.now += 0.1
        raise RuntimeError
    assert pace.delay("k") == pytest.approx(0.2)


async def _run_for(q: WorkQueue[str], seconds: float, seen: list[tuple[str, float]]) -> None:
    async def handle(key: str) -> None:
        seen.append((key, anyio.current_time()))

    async with anyio.create_task_group() as tg:
        tg.start_soon(q.run_timers)
        tg.start_soon(q.run_worker, handle, lambda k, e: None)
        await anyio.sleep(seconds)
        tg.cancel_scope.cancel()


def test_batched_changes_of_one_key_fold_into_one_run_after_the_batch_period() -> None:
    seen: list[tuple[str, float]] = []

    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()
        start = anyio.current_time()
        for _ in range(5):
            q.add_batched("job", 0.1)
        await _run_for(q, 0.3, seen)
        assert [k for k, _ in seen] == ["job"]
        assert seen[0][1] - start >= 0.09

    anyio.run(scenario)


def test_an_immediate_run_takes_the_pending_batch_with_it() -> None:
    seen: list[tuple[str, float]] = []

    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()
        q.add_batched("job", 0.1)
        q.add("job")  # a pod ended: synced now, and that sync sees the batched change too
        await _run_for(q, 0.3, seen)

    anyio.run(scenario)
    assert [k for k, _ in seen] == ["job"]


def test_a_batch_after_a_run_started_is_run_again() -> None:
    seen: list[tuple[str, float]] = []

    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()

        async def handle(key: str) -> None:
            seen.append((key, anyio.current_time()))
            if len(seen) == 1:
                q.add_batched(key, 0.05)  # a change the running sync may not have seen

        q.add("job")
        async with anyio.create_task_group() as tg:
            tg.start_soon(q.run_timers)
            tg.start_soon(q.run_worker, handle, lambda k, e: None)
            await anyio.sleep(0.2)
            tg.cancel_scope.cancel()

    anyio.run(scenario)
    assert [k for k, _ in seen] == ["job", "job"]


def test_add_after_timers_are_not_swallowed_by_batches() -> None:
    seen: list[tuple[str, float]] = []

    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()
        q.add_after("job", 0.15)  # e.g. a deadline
        q.add_batched("job", 0.05)
        await _run_for(q, 0.3, seen)

    anyio.run(scenario)
    assert [k for k, _ in seen] == ["job", "job"]


def test_failures_in_a_row_are_counted_per_key_and_forgotten_after_a_success() -> None:
    outcomes = {"a": [RuntimeError("x"), RuntimeError("y"), None], "b": [None]}
    seen: list[tuple[str, int]] = []

    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()

        async def handle(key: str) -> None:
            fault = outcomes[key].pop(0)
            if fault is not None:
                raise fault

        def on_error(key: str, exc: Exception) -> None:
            seen.append((key, q.failures(key)))
            q.add(key)

        q.add("a")
        q.add("b")
        async with anyio.create_task_group() as tg:
            tg.start_soon(q.run_worker, handle, on_error)
            await anyio.sleep(0.05)
            assert (q.failures("a"), q.failures("b")) == (0, 0)
            tg.cancel_scope.cancel()

    anyio.run(scenario)
    assert seen == [("a", 1), ("a", 2)]
