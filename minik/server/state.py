"""The control plane's files in the state directory (see :mod:`minik.paths`).

Owns: creating the directory (0700), the instance id, the bearer token and the
kubeconfig (both 0600), the single-server lock, and ``server.json``. Knows
nothing about HTTP or Docker.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
from pathlib import Path
from typing import IO, Any

from minik import paths
from minik.errors import ServerUnavailable


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically to ``path`` with mode 0600 (never through a link)."""
    paths.write_private(path, text.encode())


def ensure_home() -> Path:
    """The state directory, made 0700 when missing; refused when unsafe (see :func:`minik.paths.check_home`)."""
    home = paths.home()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths.check_home(home)  # it may have appeared, made by someone else, since the first check
    os.chmod(home, 0o700)
    return home


def instance_id() -> str:
    """This state directory's id (the ``minik.io/instance`` Docker label value)."""
    f = paths.instance_file()
    try:
        value = paths.read_text(f).strip()
        if value:
            return value
    except FileNotFoundError:
        pass
    value = secrets.token_hex(4)
    _write_private(f, value + "\n")
    return value


def token() -> str:
    """The bearer token; created once per state directory."""
    f = paths.token_file()
    try:
        value = paths.read_text(f).strip()
        if value:
            os.chmod(f, 0o600)
            return value
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(32)
    _write_private(f, value + "\n")
    return value


def write_kubeconfig(url: str, bearer: str, ca_pem: bytes) -> Path:
    """A kubeconfig for real kubectl and the official client (mode 0600)."""
    cluster = {"server": url, "certificate-authority-data": base64.b64encode(ca_pem).decode()}
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "minik", "cluster": cluster}],
        "users": [{"name": "minik", "user": {"token": bearer}}],
        "contexts": [
            {"name": "minik", "context": {"cluster": "minik", "user": "minik", "namespace": "default"}}
        ],
        "current-context": "minik",
        "preferences": {},
    }
    path = paths.kubeconfig_file()
    _write_private(path, json.dumps(doc, indent=2) + "\n")
    return path


def previous_port() -> int | None:
    """The port the instance's last server listened on (its kubeconfig's), so a restart can take it again."""
    try:
        doc = json.loads(paths.read_text(paths.kubeconfig_file()))
        url = str(doc["clusters"][0]["cluster"]["server"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None
    prefix = "https://127.0.0.1:"
    raw = url[len(prefix) :] if url.startswith(prefix) else ""
    if not raw.isascii() or not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        return None
    return int(raw)


def write_server_file(info: dict[str, Any]) -> None:
    _write_private(paths.server_file(), json.dumps(info) + "\n")


def remove_server_file(pid: int) -> None:
    """Remove ``server.json`` if it still describes this process."""
    f = paths.server_file()
    try:
        if json.loads(paths.read_text(f)).get("pid") == pid:
            f.unlink()
    except (FileNotFoundError, ValueError):
        pass


class ServerLock:
    """An exclusive lock so only one server runs per state directory."""

    def __init__(self) -> None:
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        fd = paths.open_nofollow(paths.home() / "server.lock", os.O_RDWR | os.O_CREAT)
        f = os.fdopen(fd, "a+")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            f.close()
            raise ServerUnavailable(
                f"another minik server already runs for {paths.home()} (see `minik server status`)"
            ) from exc
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
