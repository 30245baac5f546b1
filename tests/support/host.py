"""What tests share with the host itself: free ports, its addresses, host-wide locks.

:func:`host_lock` serialises what two test runs on one machine cannot do at
the same time (fixed host ports, a fixed subnet, the private dockerd's fixed
paths), whichever run and worker they are in.
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def host_lock(name: str) -> Iterator[None]:
    """Hold the machine-wide lock ``name`` (an flock on a file in the temp directory) while inside."""
    path = Path(tempfile.gettempdir()) / f"minik-tests-{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def non_loopback_addresses() -> list[str]:
    """The host's IPv4 addresses outside 127.0.0.0/8 (``ip -4 addr``)."""
    out = subprocess.run(
        ["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=False
    ).stdout
    addrs = [line.split()[3].split("/")[0] for line in out.splitlines() if len(line.split()) > 3]
    return [a for a in addrs if not a.startswith("127.")]


# A Python program that holds an exclusive lock on the SQLite file argv[1] until its stdin closes
# (prints "locked" once it holds it): another process's store, as minik's sees it.
HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""
