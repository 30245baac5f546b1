"""Localhost seccomp profiles: read from minik's profile directory, never from outside it.

A kubelet reads ``localhostProfile`` below its ``seccomp`` directory
(``/var/lib/kubelet/seccomp``); minik's is ``$MINIK_HOME/seccomp``. The
path was checked at validation (relative, no ``..``); here it is resolved,
symbolic links included, and refused unless it stays inside that directory.
The file is read without following a final link, at most
:data:`MAX_PROFILE_BYTES`, and must be a JSON object (the engine takes the
profile's text, not a path). Every refusal is a :class:`ConfigError` the
worker reports as CreateContainerConfigError.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from minik.kubelet.errors import ConfigError

PROFILES_DIR = "seccomp"
MAX_PROFILE_BYTES = 1024 * 1024


def profiles_root(state_dir: Path) -> Path:
    return state_dir / PROFILES_DIR


def read_profile(state_dir: Path, relative: str) -> str:
    """The JSON text of the Localhost profile ``relative`` (below ``$MINIK_HOME/seccomp``)."""
    root = os.path.realpath(profiles_root(state_dir))
    shown = os.path.join(root, relative)
    if not relative or os.path.isabs(relative) or ".." in relative.split("/"):
        raise ConfigError(f'seccomp profile "{relative}" must be a relative path below {root}')
    real = os.path.realpath(shown)
    if os.path.commonpath([root, real]) != root or real == root:
        raise ConfigError(f'cannot load seccomp profile "{shown}": it leads out of {root}')
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        why = (exc.strerror or str(exc)).lower()
        raise ConfigError(f'cannot load seccomp profile "{shown}": open {shown}: {why}') from None
    try:
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        why = (exc.strerror or str(exc)).lower()
        raise ConfigError(f'cannot load seccomp profile "{shown}": read {shown}: {why}') from None
    if len(data) > MAX_PROFILE_BYTES:
        raise ConfigError(f'cannot load seccomp profile "{shown}": larger than {MAX_PROFILE_BYTES} bytes')
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f'cannot load seccomp profile "{shown}": not JSON: {exc}') from None
    if not isinstance(parsed, dict):
        raise ConfigError(f'cannot load seccomp profile "{shown}": not a JSON object')
    return data.decode()
