"""Volume paths a manifest cannot use to reach outside its volume.

- ``subPathExpr`` is checked after ``$(VAR)`` expansion as the kubelet's
  ``makeMounts`` checks it: not absolute, no ``..``.
- ``subPath`` is resolved inside its volume at every container creation,
  one component at a time without trusting symlinks: a symlink (planted by
  an earlier container, say) may point elsewhere inside the volume, never
  out of it (the CVE-2017-1002101 pattern); missing directories are made.
- configMap, secret, downwardAPI and projected volumes are written the way
  the kubelet's atomic writer does: into a fresh ``..<timestamp>`` directory,
  then one rename of the ``..data`` link; files are created with
  ``O_NOFOLLOW | O_EXCL``, so nothing written follows a link.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from collections.abc import Iterable
from pathlib import Path

from minik.kubelet.errors import ConfigError

DATA_LINK = "..data"


def check_expanded_subpath(raw: str, expanded: str) -> None:
    """The kubelet's checks of an expanded ``subPathExpr`` (CreateContainerConfigError when broken)."""
    if os.path.isabs(expanded):
        raise ConfigError(f"error SubPath `{expanded}` must not be an absolute path")
    if ".." in expanded.split("/"):
        raise ConfigError(f"unable to provision SubPath `{raw}`: must not contain '..'")


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def resolve_subpath(root: str, sub: str) -> str:
    """The host path of ``sub`` inside the volume at ``root``, made if missing; never outside ``root``."""
    real_root = os.path.realpath(root)
    parts = [p for p in sub.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ConfigError(f"unable to provision SubPath `{sub}`: must not contain '..'")
    cur = real_root
    for part in parts:
        nxt = os.path.join(cur, part)
        try:
            st = os.lstat(nxt)
        except FileNotFoundError:
            os.mkdir(nxt, 0o755)
            st = os.lstat(nxt)
        if stat.S_ISLNK(st.st_mode):
            target = os.path.realpath(nxt)
            if not _within(target, real_root):
                raise ConfigError(f'subpath "{nxt}" not within volume path "{root}"')
            nxt = target
        cur = nxt
    final = os.path.realpath(cur)
    if not _within(final, real_root):
        raise ConfigError(f'subpath "{cur}" not within volume path "{root}"')
    return final


def write_atomically(target: Path, files: Iterable[tuple[str, bytes, int]]) -> None:
    """Publish ``files`` (relative path, data, mode) in ``target`` as the atomic writer does."""
    target.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y_%m_%d_%H_%M_%S", time.gmtime())
    fresh = target / f"..{stamp}.{time.monotonic_ns() % 10**9}"
    fresh.mkdir(mode=0o755)
    tops: set[str] = set()
    for rel, data, mode in files:
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            continue  # validation refuses these; never written
        tops.add(parts[0])
        d = fresh
        for part in parts[:-1]:
            d = d / part
            d.mkdir(mode=0o755, exist_ok=True)
        fd = os.open(d / parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(d / parts[-1], mode)
    tmp = target / f"{DATA_LINK}_tmp"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(fresh.name, tmp)
    os.replace(tmp, target / DATA_LINK)
    for top in tops:
        link, want = target / top, f"{DATA_LINK}/{top}"
        if link.is_symlink() and os.readlink(link) == want:
            continue
        if link.is_symlink() or link.is_file():
            link.unlink()  # anything else there is replaced, never written through
        elif link.exists():
            shutil.rmtree(link)
        os.symlink(want, link)
    for old in target.iterdir():
        if old.name.startswith("..") and old.name not in (DATA_LINK, fresh.name) and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
