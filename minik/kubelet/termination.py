"""Termination messages, as the kubelet reads them when a container exits.

The container's ``terminationMessagePath`` is a file the kubelet makes per
container run and bind-mounts; at exit its last 4,096 bytes become
``state.terminated.message``. With ``terminationMessagePolicy:
FallbackToLogsOnError`` a container that failed (non-zero exit) without
writing one gets the tail of its log instead: the last 80 lines, at most
2,048 bytes. A pod's messages share 12 KiB: each container gets at most its
share. (``kuberuntime_container.go``, ``pkg/kubelet/container/runtime.go``.)
"""

from __future__ import annotations

import os
from pathlib import Path

from minik.k8s import Obj

MAX_MESSAGE = 4 * 1024
MAX_POD_MESSAGES = 12 * 1024
LOG_LINES = 80
MAX_LOG_MESSAGE = 2 * 1024


def per_container_cap(pod_spec: Obj) -> int:
    """Bytes of message each container may keep (4 KiB, or its share of the pod's 12 KiB)."""
    n = len(pod_spec.get("containers") or []) + len(pod_spec.get("initContainers") or [])
    return min(MAX_MESSAGE, MAX_POD_MESSAGES // max(n, 1))


def read_file(path: Path, cap: int) -> str:
    """The last ``cap`` bytes of the message file, never following a symlink planted in its place."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        f.seek(max(0, size - cap))
        return f.read(cap).decode(errors="replace")


def falls_back_to_logs(c: Obj, exit_code: int) -> bool:
    return c.get("terminationMessagePolicy") == "FallbackToLogsOnError" and exit_code != 0


def from_logs(log: bytes, cap: int) -> str:
    """The log's last :data:`LOG_LINES` lines, at most 2 KiB (and ``cap``)."""
    lines = log.splitlines(keepends=True)[-LOG_LINES:]
    data = b"".join(lines)
    return data[-min(MAX_LOG_MESSAGE, cap) :].decode(errors="replace")
