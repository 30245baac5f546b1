"""An instance's server process, seen from outside: is it running, and stopping it.

Used by the CLI (``minik server status|stop|delete``) and by ``python -m
minik.server delete --all``, which stops other instances' servers. A
``server.json`` is believed only while the instance's ``server.lock`` is held:
a stale file left by a killed server may name a pid the system has since
given to an unrelated process, which must never be signalled.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minik.errors import MinikError

_URL = re.compile(r"https://127\.0\.0\.1:([0-9]{1,5})")
LOCK_NAME = "server.lock"
INFO_NAME = "server.json"


@dataclass(frozen=True)
class ServerInfo:
    url: str
    pid: int
    raw: dict[str, Any]


def read_info(home: Path) -> ServerInfo | None:
    """``server.json`` if present and well formed (not yet checked against the lock).

    Read without following a symbolic link. Its ``url`` must be
    ``https://127.0.0.1:PORT``, the only address a minik server listens on:
    the token is never sent anywhere else (:class:`MinikError` otherwise).
    """
    path = home / INFO_NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            raw = json.loads(f.read(1024 * 1024))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or not raw.get("url"):
        return None
    url = raw["url"]
    port = _URL.fullmatch(url) if isinstance(url, str) else None
    if port is None or not 0 < int(port.group(1)) < 65536:
        raise MinikError(
            f"{path} names the server {url!r}, not https://127.0.0.1:PORT; "
            "minik sends its token nowhere else (remove the file to start afresh)"
        )
    try:
        pid = int(raw.get("pid") or 0)
    except (TypeError, ValueError):
        pid = 0
    return ServerInfo(str(url), pid, raw)


def lock_held(home: Path) -> bool:
    """Whether a server holds this instance's lock (it takes it before anything else)."""
    try:
        fd = os.open(home / LOCK_NAME, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def live_info(home: Path) -> ServerInfo | None:
    """``server.json`` of a server that runs now: its lock is held and its pid alive."""
    info = read_info(home)
    if info is None or not pid_alive(info.pid) or not lock_held(home):
        return None
    return info


def signal_server(info: ServerInfo, *, drain: bool) -> None:
    """SIGTERM (finish the deletions asked for, then stop) or SIGINT (stop now)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(info.pid, signal.SIGTERM if drain else signal.SIGINT)


def wait_exit(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` has exited; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return not pid_alive(pid)


def stop_now(home: Path, *, timeout: float = 10.0) -> bool:
    """Stop the instance's server without draining (SIGINT, then SIGKILL). True if one ran."""
    info = live_info(home)
    if info is None:
        return False
    signal_server(info, drain=False)
    if not wait_exit(info.pid, timeout):
        with contextlib.suppress(ProcessLookupError):
            os.kill(info.pid, signal.SIGKILL)
        wait_exit(info.pid, 5.0)
    return True


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False
