"""Finding, starting and stopping this instance's control plane.

The contract with ``python -m minik.server run`` (see :mod:`minik.paths`):
the server writes ``server.json`` (``url``, ``pid``, …) once its API answers,
the bearer token in ``token`` and its certificate in ``tls.crt``; ``GET
/readyz`` (with the token) answers 200 when it is ready. A command that needs
the API calls :func:`connect`, which starts the server when ``server.json`` is
missing, names a dead pid, or ``/readyz`` fails.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minik import paths
from minik.cli.client import Client
from minik.errors import ApiError, MinikError, ServerUnavailable

START_TIMEOUT = 10.0
POLL = 0.02
_URL = re.compile(r"https://127\.0\.0\.1:([0-9]{1,5})")


@dataclass(frozen=True)
class ServerInfo:
    url: str
    pid: int
    raw: dict[str, Any]


def read_info() -> ServerInfo | None:
    """``server.json`` if present and well formed.

    Its ``url`` must be ``https://127.0.0.1:PORT``, the only address a minik
    server listens on: the token is never sent anywhere else.
    """
    try:
        raw = json.loads(paths.read_text(paths.server_file()))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or not raw.get("url"):
        return None
    url = raw["url"]
    port = _URL.fullmatch(url) if isinstance(url, str) else None
    if port is None or not 0 < int(port.group(1)) < 65536:
        raise MinikError(
            f"{paths.server_file()} names the server {url!r}, not https://127.0.0.1:PORT; "
            "minik sends its token nowhere else (remove the file to start afresh)"
        )
    try:
        pid = int(raw.get("pid") or 0)
    except (TypeError, ValueError):
        pid = 0
    return ServerInfo(str(raw["url"]), pid, raw)


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _token() -> str:
    try:
        return paths.read_text(paths.token_file()).strip()
    except OSError:
        return ""


def make_client(info: ServerInfo, *, on_warning: Callable[[str], None] | None = None) -> Client:
    cert = paths.tls_cert_file()
    paths.refuse_link(cert)  # ssl reads it by name
    return Client(
        info.url,
        _token(),
        cafile=str(cert) if info.url.startswith("https") and cert.exists() else None,
        on_warning=on_warning,
    )


def ready(info: ServerInfo) -> bool:
    client = make_client(info)
    client.timeout = 2.0
    try:
        client.request("GET", "/readyz")
    except (ServerUnavailable, ApiError):
        return False
    finally:
        client.close()
    return True


def running() -> ServerInfo | None:
    """The live server's info, or ``None`` (no file, dead pid or not ready)."""
    info = read_info()
    if info is None or not pid_alive(info.pid) or not ready(info):
        return None
    return info


def _log_tail(lines: int = 5, *, since: int = 0) -> str:
    """The last ``lines`` non-blank lines of the server log, from byte ``since`` on (this start's)."""
    try:
        with os.fdopen(paths.open_nofollow(paths.log_file(), os.O_RDONLY), "rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace")
    except OSError:
        return ""
    tail = [line for line in text.splitlines() if line.strip()][-lines:]
    return "\n".join(tail)


def start(*, timeout: float = START_TIMEOUT) -> ServerInfo:
    """Spawn the server detached and wait until ``server.json`` is written and ``/readyz`` answers."""
    import subprocess

    home = paths.home()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths.check_home(home)
    log = os.fdopen(paths.open_nofollow(paths.log_file(), os.O_WRONLY | os.O_APPEND | os.O_CREAT), "ab")
    since = log.tell()  # what this start writes to the log begins here
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "minik.server", "run"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )
    finally:
        log.close()
    deadline = time.monotonic() + timeout
    exit_code: int | None = None
    while time.monotonic() < deadline:
        info = read_info()
        if info is not None and pid_alive(info.pid) and ready(info):
            return info
        if proc.poll() is not None:
            info = read_info()
            if info is not None and pid_alive(info.pid) and ready(info):
                return info  # another start won the race; that server is fine
            exit_code = proc.returncode
            break
        time.sleep(POLL)
    tail = _log_tail(since=since)
    where = paths.log_file()
    detail = f"; its log {where} ends with:\n{tail}" if tail else f"; see {where}"
    if exit_code is not None:
        raise ServerUnavailable(f"the minik server exited at start-up (exit code {exit_code}){detail}")
    raise ServerUnavailable(f"the minik server did not start within {timeout:g}s{detail}")


def ensure() -> ServerInfo:
    info = read_info()
    if info is not None and pid_alive(info.pid) and ready(info):
        return info
    return start()


def connect(*, on_warning: Callable[[str], None] | None = None) -> Client:
    """A client of the running server, starting it first if needed.

    Fast path: ``server.json`` names a live pid → no ``/readyz`` round trip; a
    refused connection later starts the server and is retried once.
    """
    info = read_info()
    if info is None or not pid_alive(info.pid):
        info = start()
    client = make_client(info, on_warning=on_warning)
    client.reconnect = lambda: make_client(ensure(), on_warning=on_warning)
    return client


def stop(*, timeout: float = 15.0) -> bool:
    """SIGTERM the server and wait for it to exit. ``False`` when none was running."""
    import signal

    info = read_info()
    if info is None or not pid_alive(info.pid):
        return False
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(info.pid) or _is_zombie(info.pid):
            return True
        time.sleep(0.05)
    raise MinikError(f"the minik server (pid {info.pid}) did not stop within {timeout:g}s")


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False
