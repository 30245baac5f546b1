"""Finding, starting and stopping this instance's control plane.

The contract with ``python -m minik.server run`` (see :mod:`minik.paths`):
the server writes ``server.json`` (``url``, ``pid``, …) once its API answers,
the bearer token in ``token`` and its certificate in ``tls.crt``; ``GET
/readyz`` (with the token) answers 200 when it is ready. A command that needs
the API calls :func:`connect`, which starts the server when ``server.json`` is
missing, names a dead pid, or ``/readyz`` fails.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from minik import paths, process
from minik.cli.client import Client
from minik.errors import ApiError, MinikError, ServerUnavailable
from minik.process import ServerInfo

START_TIMEOUT = 10.0
POLL = 0.02


def read_info() -> ServerInfo | None:
    """``server.json`` if present and well formed (its url checked: see :func:`minik.process.read_info`)."""
    return process.read_info(paths.home())


def pid_alive(pid: int) -> bool:
    return process.pid_alive(pid)


def _live() -> ServerInfo | None:
    """``server.json`` of a server that runs now (its lock is held, its pid alive)."""
    return process.live_info(paths.home())


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
    """The live server's info, or ``None`` (no file, lock not held, dead pid or not ready)."""
    info = _live()
    if info is None or not ready(info):
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


def server_command(*args: str) -> tuple[list[str], dict[str, str]]:
    """``python -P -m minik.server ARGS`` and its environment.

    Nothing from the caller's directory can be imported: ``-P`` keeps the
    working directory off ``sys.path`` (a ``yaml.py`` or ``docker.py`` there
    would otherwise run inside a server that drives a root Docker engine),
    the child runs in the state directory, and the caller's ``PYTHONPATH``
    is dropped. The one entry it gets is the directory that holds this very
    ``minik`` package when that is not an installed ``site-packages`` (a
    source checkout found through ``PYTHONPATH`` or the working directory),
    so the server runs the code the CLI runs.
    """
    env = dict(os.environ)
    env.pop("PYTHONSAFEPATH", None)
    env.pop("PYTHONPATH", None)
    here = Path(__file__).resolve().parents[2]  # the directory that holds the minik package
    if here.name not in ("site-packages", "dist-packages"):
        env["PYTHONPATH"] = str(here)
    return [sys.executable, "-P", "-m", "minik.server", *args], env


def start(*, timeout: float = START_TIMEOUT) -> ServerInfo:
    """Spawn the server detached and wait until ``server.json`` is written and ``/readyz`` answers."""
    import subprocess

    home = paths.home()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths.check_home(home)
    log = os.fdopen(paths.open_nofollow(paths.log_file(), os.O_WRONLY | os.O_APPEND | os.O_CREAT), "ab")
    since = log.tell()  # what this start writes to the log begins here
    argv, env = server_command("run")
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
            cwd=home,
            env=env,
        )
    finally:
        log.close()
    deadline = time.monotonic() + timeout
    exit_code: int | None = None
    while time.monotonic() < deadline:
        info = _live()
        if info is not None and ready(info):
            return info
        if proc.poll() is not None:
            info = _live()
            if info is not None and ready(info):
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
    info = _live()
    if info is not None and ready(info):
        return info
    return start()


def connect(*, on_warning: Callable[[str], None] | None = None) -> Client:
    """A client of the running server, starting it first if needed.

    Fast path: ``server.json`` names a live pid → no ``/readyz`` round trip; a
    refused connection later starts the server and is retried once.
    """
    info = _live()
    if info is None:
        info = start()
    client = make_client(info, on_warning=on_warning)
    client.reconnect = lambda: make_client(ensure(), on_warning=on_warning)
    return client


def stop(*, timeout: float = 30.0, say: Callable[[str], None] | None = None) -> bool:
    """Stop the server once the deletions already asked for are done. ``False`` when none ran.

    The server finishes deleting pods and Jobs being deleted (within their
    grace periods) before it exits, and writes into ``server.json`` how many
    and until when; ``say`` is told so once. Containers of pods that are not
    being deleted keep running.
    """
    info = _live()
    if info is None:
        return False
    process.signal_server(info, drain=True)
    deadline = time.monotonic() + timeout
    told = False
    while time.monotonic() < deadline:
        if not process.pid_alive(info.pid):
            return True
        stopping = (read_info() or info).raw.get("stopping")
        if isinstance(stopping, dict) and not told:
            told = True
            n = int(stopping.get("deletions") or 0)
            left = max(0.0, float(stopping.get("until") or 0) - time.time())
            deadline = max(deadline, time.monotonic() + left + 5)
            if say is not None and n:
                say(f"minik server: finishing {n} deletion{'s' if n != 1 else ''} (up to {left:.0f}s) …")
        time.sleep(0.05)
    raise MinikError(f"the minik server (pid {info.pid}) did not stop within {timeout:g}s")
