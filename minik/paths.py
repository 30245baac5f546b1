"""Where a minik instance keeps its state.

``MINIK_HOME`` overrides; otherwise ``$XDG_STATE_HOME/minik`` (default
``~/.local/state/minik``). One directory is one instance: its own server, its
own SQLite store, its own token, and its own Docker objects (labelled with
``minik.io/instance``), so two instances never adopt each other's containers.

Files (all written by the server; secrets mode 0600):
- ``minik.db``      the SQLite store
- ``tls.crt``/``tls.key`` the API's self-signed certificate (key 0600)
- ``server.json``   ``{"url": "https://127.0.0.1:PORT", "pid": N, "instance": ID}`` while running
- ``token``         the bearer token (0600)
- ``kubeconfig``    for minik and real kubectl (0600)
- ``server.log``    the server's log
- ``instance``      the instance id (Docker label value)
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    explicit = os.environ.get("MINIK_HOME")
    if explicit:
        return Path(explicit).expanduser().resolve()
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "minik"


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
