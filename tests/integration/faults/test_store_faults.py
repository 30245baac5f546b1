"""Store faults under a real server, seen through the real CLI.

- the SQLite file locked by another process (``BEGIN EXCLUSIVE``), at start
  and while a Job runs;
- the disk full (a small tmpfs mounted as ``MINIK_HOME``; root only);
- a truncated or garbage database file.

Each must give one clear sentence (no traceback) from the CLI and the
server, keep what was stored before, and work again on the next start once
the fault is gone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.integration.faults.conftest import no_traceback
from tests.support import Minik, Server, eventually, job_yaml, private_minik
from tests.support.host import HOLD_LOCK

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
data:
  payload: "{payload}"
"""

JOB = job_yaml("under-lock", "sleep 2", completions=4, parallelism=2)


class Lock:
    """Another process holding an exclusive SQLite lock on a file until :meth:`release`."""

    def __init__(self, path: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.communicate("", timeout=10)


def configmap_names(minik: Minik) -> list[str]:
    return sorted(i["metadata"]["name"] for i in minik.json("get", "configmaps")["items"])


@pytest.fixture
def instance(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[tuple[Minik, Server]]:
    with private_minik(tmp_path / "home", docker_client) as minik:
        yield minik, minik.server


def test_a_store_locked_at_start_is_one_sentence_and_the_next_start_works(
    instance: tuple[Minik, Server],
) -> None:
    minik, server = instance
    minik.run("apply", "-f", "-", input=CONFIGMAP.format(name="before", payload="x"))
    server.stop()
    lock = Lock(minik.home / "minik.db")
    try:
        res = minik.run("get", "configmaps", check=False, timeout=60)
    finally:
        lock.release()
    print(f"\nlocked at start: {res.stderr.strip()}")
    assert res.returncode != 0
    assert "locked by another process" in res.stderr, res.stderr
    no_traceback(res.stdout, res.stderr, minik.server_log())
    assert "before" in configmap_names(minik)  # the next start (autostart) has everything


def test_a_lock_taken_while_a_job_runs_fails_writes_cleanly_and_the_job_still_completes(
    instance: tuple[Minik, Server],
) -> None:
    minik, server = instance
    minik.run("apply", "-f", "-", input=CONFIGMAP.format(name="before", payload="x"))
    minik.run("apply", "-f", "-", input=JOB)
    time.sleep(1)
    lock = Lock(minik.home / "minik.db")
    try:
        started = time.monotonic()
        res = minik.run("apply", "-f", "-", input=CONFIGMAP.format(name="during", payload="y"), check=False)
        took = time.monotonic() - started
        started = time.monotonic()
        reads = minik.run("get", "configmaps", check=False)
        read_took = time.monotonic() - started
    finally:
        lock.release()
    released = time.monotonic()
    print(f"\nlocked write failed after {took:.1f}s: {res.stderr.strip()}")
    assert res.returncode != 0 and "locked by another process" in res.stderr, res.stderr
    assert took < 30, f"the locked write took {took:.1f}s to fail"
    assert reads.returncode == 0, reads.stderr  # readers are not blocked in WAL mode
    assert server.alive(), f"the server died:\n{minik.server_log()[-3000:]}"
    minik.run("wait", "--for=condition=complete", "job/under-lock", "--timeout=90s")
    print(
        f"read under the lock took {read_took:.1f}s; Job complete {time.monotonic() - released:.1f}s after release"
    )
    minik.run("apply", "-f", "-", input=CONFIGMAP.format(name="after", payload="z"))
    names = configmap_names(minik)
    assert "before" in names and "after" in names and "during" not in names
    no_traceback(res.stderr, minik.server_log())
    minik.run("delete", "job/under-lock")


@pytest.fixture
def tiny_home(tmp_path: Path) -> Iterator[Path]:
    """A 24 MiB tmpfs to use as ``MINIK_HOME`` (root only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        for _ in range(50):
            if subprocess.run(["umount", str(mount)], check=False).returncode == 0:
                break
            time.sleep(0.2)
        else:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory: Path) -> Path:
    """Fill the filesystem of ``directory`` to the last byte; returns the filler file."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_fails_writes_in_one_sentence_keeps_the_store_and_recovers(
    tiny_home: Path, docker_client: docker.DockerClient
) -> None:
    with private_minik(tiny_home, docker_client) as minik:
        server = minik.server
        for i in range(3):
            minik.run("apply", "-f", "-", input=CONFIGMAP.format(name=f"keep-{i}", payload="k" * 1000))
        filler = fill(tiny_home)
        big = CONFIGMAP.format(name="big", payload="b" * 100_000)
        res = minik.run("apply", "-f", "-", input=big, check=False)
        print(f"\nfull disk: {res.stderr.strip()}")
        assert res.returncode != 0 and "is full" in res.stderr, res.stderr
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr
        no_traceback(res.stdout, res.stderr)
        assert [n for n in configmap_names(minik) if n.startswith("keep-")] == ["keep-0", "keep-1", "keep-2"]
        assert server.alive()
        filler.unlink()
        minik.run("apply", "-f", "-", input=big)
        server.stop()
        server.start()
        names = configmap_names(minik)
        assert {"keep-0", "keep-1", "keep-2", "big"} <= set(names), names
        check = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("
                "'PRAGMA integrity_check').fetchone()[0])",
                str(tiny_home / "minik.db"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert check.stdout.strip() == "ok"


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_store_is_refused_in_one_sentence_and_a_fresh_one_starts(
    instance: tuple[Minik, Server], damage: str
) -> None:
    minik, server = instance
    docs = "---\n".join(CONFIGMAP.format(name=f"c{i}", payload="p" * 4000) for i in range(50))
    minik.run("apply", "-f", "-", input=docs)
    server.stop()
    db = minik.home / "minik.db"
    if damage == "truncated":
        with db.open("r+b") as f:
            f.truncate(db.stat().st_size // 2)
    else:
        db.write_bytes(os.urandom(64 * 1024))
    damaged = db.read_bytes()
    res = minik.run("get", "configmaps", check=False, timeout=60)
    print(f"\n{damage}: {res.stderr.strip()}")
    assert res.returncode != 0
    assert "not a usable minik store" in res.stderr and str(db) in res.stderr, res.stderr
    assert "exited at start-up" in res.stderr and "did not start within" not in res.stderr, res.stderr
    no_traceback(res.stdout, res.stderr, minik.server_log())
    assert db.read_bytes() == damaged, "the damaged file was changed"
    shutil.move(db, minik.home / "minik.db.damaged")
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    eventually(
        "a fresh store", lambda: minik.run("get", "configmaps", check=False).returncode == 0, timeout=30
    )
