"""Real ``kubectl`` against an instance, and small readers of the objects tests look at."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Protocol

Obj = dict[str, Any]


class _Instance(Protocol):
    home: Path

    def run(
        self, *args: str, check: bool = ..., timeout: float = ...
    ) -> subprocess.CompletedProcess[str]: ...

    def server_log(self) -> str: ...


def _server_running(home: Path) -> bool:
    try:
        os.kill(int(json.loads((home / "server.json").read_text())["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return False
    return True


def kubeconfig(minik: _Instance) -> str:
    """The instance's kubeconfig path: ``minik kubeconfig`` (which starts the server if need be).

    While the server runs, its file is read directly (what the command would
    print) to spare a CLI start per kubectl call.
    """
    path = minik.home / "kubeconfig"
    if path.exists() and _server_running(minik.home):
        return str(path)
    return minik.run("kubeconfig").stdout.strip()


def kubectl(
    minik: _Instance, *args: str, input: str | None = None, check: bool = True, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """The ``kubectl`` on PATH with the instance's kubeconfig; fails with its output and the server log's tail."""
    res = subprocess.run(
        ["kubectl", "--kubeconfig", kubeconfig(minik), *args],
        capture_output=True,
        text=True,
        input=input,
        timeout=timeout,
        check=False,
    )
    if check and res.returncode != 0:
        raise AssertionError(
            f"kubectl {' '.join(args)} exited {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}\n"
            f"server log:\n{minik.server_log()[-3000:]}"
        )
    return res


def container_status(pod: Obj, name: str) -> Obj | None:
    """The (init or app) container status called ``name`` in ``pod``'s status."""
    status = pod.get("status") or {}
    for s in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        if s.get("name") == name:
            return dict(s)
    return None


def condition(obj: Obj, type_: str) -> Obj | None:
    """The condition of ``type_`` in ``obj``'s status (a pod's or a Job's)."""
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return dict(c)
    return None


def pod_yaml(name: str, body: str, **meta: str) -> str:
    """A bare Pod manifest: ``body`` is the indented text under ``spec:``."""
    extra = "".join(f"  {k}: {v}\n" for k, v in meta.items())
    return f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n{extra}spec:\n{body}"
