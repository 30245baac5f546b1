"""Where a minik instance keeps its state.

``MINIK_HOME`` overrides; otherwise ``$XDG_STATE_HOME/minik`` (default
``~/.local/state/minik``). One directory is one instance: its own server, its
own SQLite store, its own token, and its own Docker objects (labelled with
``minik.io/instance``), so two instances never adopt each other's containers.

The directory must be a real directory, owned by the user and writable by
nobody else (:func:`check_home`, on every :func:`home` call); files in it
are read and written without following symbolic links (:func:`read_bytes`,
:func:`write_private`, :func:`open_nofollow`).

Files (all written by the server; secrets mode 0600):
- ``minik.db``      the SQLite store
- ``tls.crt``/``tls.key`` the API's self-signed certificate (both 0600)
- ``server.json``   ``{"url": "https://127.0.0.1:PORT", "pid": N, "instance": ID}`` while running
- ``token``         the bearer token (0600)
- ``kubeconfig``    for minik and real kubectl (0600)
- ``server.log``    the server's log (rotated: ``server.log.1``, ``.2``)
- ``instance``      the instance id (Docker label value)
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from minik.errors import MinikError

_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC


def _configured() -> Path:
    explicit = os.environ.get("MINIK_HOME")
    if explicit:
        return Path(os.path.abspath(os.path.expanduser(explicit)))  # never resolved: a link is refused
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(os.path.abspath(xdg)) / "minik"


def check_home(path: Path) -> None:
    """Refuse a state directory another user could tamper with (nothing to check when it does not exist yet).

    It must be a real directory (not a symbolic link), owned by this user,
    and writable by nobody else: it holds the token, the key and the store.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise MinikError(f"the state directory {path} is a symbolic link; set MINIK_HOME to a real directory")
    if not stat.S_ISDIR(st.st_mode):
        raise MinikError(f"the state directory {path} is not a directory")
    if st.st_uid != os.geteuid():
        raise MinikError(
            f"the state directory {path} belongs to uid {st.st_uid}, not to you (uid {os.geteuid()})"
        )
    if st.st_mode & 0o022:
        raise MinikError(
            f"the state directory {path} is writable by other users (mode {stat.S_IMODE(st.st_mode):04o}); "
            f"run `chmod 700 {path}`"
        )


def home() -> Path:
    """The state directory, checked by :func:`check_home` on every call (one ``lstat``)."""
    path = _configured()
    check_home(path)
    return path


def _refused_link(path: Path) -> MinikError:
    return MinikError(f"{path} is a symbolic link; minik does not follow links in its state directory")


def open_nofollow(path: Path, flags: int, mode: int = 0o600) -> int:
    """``os.open`` that refuses a symbolic link as the last component (``MinikError``)."""
    try:
        return os.open(path, flags | _NOFOLLOW, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refused_link(path) from None
        raise


def read_bytes(path: Path, *, limit: int = 16 * 1024 * 1024) -> bytes:
    """A state file's bytes, without following a symbolic link (``FileNotFoundError`` passes through)."""
    with os.fdopen(open_nofollow(path, os.O_RDONLY), "rb") as f:
        return f.read(limit)


def read_text(path: Path) -> str:
    return read_bytes(path).decode("utf-8", errors="replace")


def write_private(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` atomically: a fresh temporary file of ``mode`` (never a link), then a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    fd = open_nofollow(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fchmod(f.fileno(), mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def refuse_link(path: Path) -> None:
    """``MinikError`` when ``path`` exists as a symbolic link (for files opened by libraries, e.g. SQLite)."""
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISLNK(os.lstat(path).st_mode):
            raise _refused_link(path)


def db_path() -> Path:
    return home() / "minik.db"


def server_file() -> Path:
    return home() / "server.json"


def token_file() -> Path:
    return home() / "token"


def kubeconfig_file() -> Path:
    return home() / "kubeconfig"


def log_file() -> Path:
    return home() / "server.log"


def instance_file() -> Path:
    return home() / "instance"


def tls_cert_file() -> Path:
    """The API's self-signed certificate (public; the CLI pins it)."""
    return home() / "tls.crt"


def tls_key_file() -> Path:
    """The certificate's private key (0600)."""
    return home() / "tls.key"


def sa_key_file() -> Path:
    """The key that signs service-account tokens (made with the instance, gone with it)."""
    return home() / "sa.key"
