"""Store faults while a store is open: a lock held by another process, a full disk, a damaged file.

Each fault must surface as one :class:`StoreError` sentence, leave what was
already committed intact (same objects, same resourceVersion, no watch
event for the failed write), and the store must work again once the fault
is gone. The disk-full case uses SQLite's ``max_page_count`` so it runs
anywhere; tests/integration/faults does the same with a real full tmpfs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from minik.errors import StoreError
from minik.registry import Registry
from minik.store import WatchEvent
from tests.support.host import HOLD_LOCK


def configmap(name: str, size: int = 10) -> dict[str, object]:
    return {"metadata": {"name": name}, "data": {"k": "v" * size}}


def rows(store: Registry) -> list[tuple[str, str]]:
    items, _ = store.list("configmaps", None)
    return [(i["metadata"]["name"], i["metadata"]["resourceVersion"]) for i in items]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Registry]:
    s = Registry.open(tmp_path / "minik.db", busy_timeout=0.2)
    s.create("configmaps", configmap("before"))
    yield s
    s.close()


@pytest.fixture
def locker(store: Registry) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``BEGIN EXCLUSIVE`` on the store's file until the test ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(store.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    yield proc
    if proc.poll() is None:
        proc.communicate("", timeout=10)


def release(proc: subprocess.Popen[str]) -> None:
    """Let the other process go, and wait out the store's fail-fast window (its busy timeout, 0.2 s)."""
    proc.communicate("", timeout=10)
    assert proc.returncode == 0
    time.sleep(0.25)


def pending_events(store: Registry, since: int) -> list[WatchEvent]:
    """The changes committed after ``since`` (replayed from the log, so none can be missed)."""
    out: list[WatchEvent] = []

    async def collect() -> None:
        sub = store.subscribe("configmaps", since)
        with anyio.move_on_after(0.05):
            async for ev in sub:
                out.append(ev)
        sub.close()

    anyio.run(collect)
    return out


def test_a_write_while_another_process_holds_the_lock_fails_cleanly_and_works_after(
    store: Registry, locker: subprocess.Popen[str]
) -> None:
    before, rv = rows(store), store.resource_version
    with pytest.raises(StoreError) as info:
        store.create("configmaps", configmap("during"))
    assert "locked by another process" in info.value.message and "\n" not in info.value.message
    assert rows(store) == before  # reads still work (WAL readers are not blocked)
    started = time.monotonic()
    with pytest.raises(StoreError, match="locked by another process"):
        store.create("configmaps", configmap("again"))
    assert time.monotonic() - started < 0.1, "a second write waited out the lock again (blocking the loop)"
    assert store.resource_version == rv
    release(locker)
    created = store.create("configmaps", configmap("after"))
    assert created["metadata"]["resourceVersion"] == str(rv + 1)
    assert [n for n, _ in rows(store)] == ["after", "before"]
    assert [e.obj["metadata"]["name"] for e in pending_events(store, rv)] == ["after"]


def test_a_grouped_write_that_hits_the_lock_stores_none_of_its_parts(
    store: Registry, locker: subprocess.Popen[str]
) -> None:
    before, rv = rows(store), store.resource_version
    with pytest.raises(StoreError), store.transaction():
        store.create("configmaps", configmap("one"))
        store.create("configmaps", configmap("two"))
    release(locker)
    assert rows(store) == before and store.resource_version == rv
    with store.transaction():
        store.create("configmaps", configmap("one"))
    assert pending_events(store, rv)[0].rv == rv + 1


def test_a_full_disk_fails_the_write_in_one_sentence_and_keeps_what_was_stored(store: Registry) -> None:
    for i in range(5):
        store.create("configmaps", configmap(f"keep-{i}", 500))
    before, rv = rows(store), store.resource_version
    conn = store.store._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError) as info:
        store.create("configmaps", configmap("big", 200_000))
    assert "is full" in info.value.message and "\n" not in info.value.message
    with pytest.raises(StoreError), store.transaction():
        store.create("configmaps", configmap("small"))
        store.create("configmaps", configmap("big", 200_000))
    assert rows(store) == before and store.resource_version == rv
    assert pending_events(store, rv) == []
    conn.execute("PRAGMA max_page_count = 1073741823")  # space freed
    store.create("configmaps", configmap("big", 200_000))
    assert store.resource_version == rv + 1
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_truncated_store_is_refused_in_one_sentence_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "minik.db"
    s = Registry.open(path)
    for i in range(200):
        s.create("configmaps", configmap(f"c{i}", 2000))
    s.close()
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size // 2)
    damaged = path.read_bytes()
    with pytest.raises(StoreError) as info:
        Registry.open(path)
    assert "not a usable minik store" in info.value.message and "move it away" in info.value.message
    assert "\n" not in info.value.message
    assert path.read_bytes() == damaged  # nothing "repaired" behind the user's back
    os.replace(path, tmp_path / "minik.db.damaged")
    fresh = Registry.open(path)  # the next start, after moving it away
    assert fresh.list("configmaps", None)[0] == []
    fresh.close()


def test_a_store_reopened_after_the_lock_is_released_has_everything(tmp_path: Path) -> None:
    path = tmp_path / "minik.db"
    s = Registry.open(path)
    s.create("configmaps", configmap("kept"))
    rv = s.resource_version
    s.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    with pytest.raises(StoreError):
        Registry.open(path, busy_timeout=0.1)
    release(proc)
    again = Registry.open(path)
    assert again.get("configmaps", "default", "kept")["metadata"]["resourceVersion"] == str(rv)
    again.close()
