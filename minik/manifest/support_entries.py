"""The shape of a support entry (:class:`Entry`, its levels) and what host access gives.

:mod:`minik.manifest.support` lists the entries; the host-access rules here
name, for a ``hostPath`` volume or added capabilities, what the pod gets of
the host (the ``Host access`` warnings, as Pod Security's ``baseline`` level
would refuse them). Pure.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ERROR, WARN, HOST = "unsupported", "ignored", "host"


@dataclass(frozen=True)
class Entry:
    """``pattern`` is relative to the pod spec (``pod.``), a container (``container.``) or the object."""

    pattern: str
    level: str
    what: str
    harmless: tuple[Any, ...] = ()
    detail: Callable[[Any], str | None] | None = None
    """What this value gives (``None``: this value is harmless); ``what`` is then the docs' summary."""


PLACEMENT = "placement and cluster identity mean nothing on one machine"
LOAD_BALANCER = (
    "there is no load balancer on one machine: status.loadBalancer stays empty (EXTERNAL-IP <pending>, "
    "as on kind without a cloud provider); the Service answers on 127.0.0.1 at its nodePort"
)
HOST_NETWORK = (
    "the pod shares the host's network namespace: its containers listen on the host's interfaces; "
    "its IP is the node's (127.0.0.1); Service names do not resolve in it (the host's resolver is used "
    "whatever the dnsPolicy, ClusterFirstWithHostNet too) and resolve to no hostNetwork pod "
    "(a NodePort Service does forward to it)"
)
HOST_PID = (
    "the pod shares the host's process namespace: its containers see every process on the host "
    "(and, as root, can signal them)"
)
HOST_IPC = "the pod shares the host's IPC namespace (the shared memory and semaphores of host processes)"
HOST_PORT = (
    "the port is reachable on the host: published on 127.0.0.1 unless hostIP names another address "
    "(0.0.0.0: every network the host is on); with hostNetwork, wherever the container listens"
)
DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
HOST_PATH = (
    "the host path is bind-mounted with the Docker daemon's rights (as root); / is the whole host file "
    "system, and a path holding the Docker socket is root on the host (Pod Security's baseline refuses "
    "every hostPath volume)"
)
PRIVILEGED = (
    "a privileged container has every capability and every host device, without seccomp or AppArmor "
    "confinement: root on the host (Pod Security's baseline refuses it)"
)
CAPABILITIES = "capabilities beyond Pod Security's baseline set (which refuses them)"
SECCOMP_UNCONFINED = "Unconfined lifts the engine's system-call filter (Pod Security's baseline refuses it)"
BASELINE_CAPABILITIES = frozenset(
    {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
     "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
)  # fmt: skip
"""``capabilities_allowed_1_0`` of pod-security-admission's ``capabilities_baseline`` check."""
_CAPABILITY_POWER = {
    "ALL": "every capability: root on the host",
    "SYS_ADMIN": "mounts, namespaces and most of root",
    "SYS_MODULE": "loading kernel modules",
    "SYS_PTRACE": "tracing other processes",
    "SYS_RAWIO": "raw device and I/O port access",
    "SYS_TIME": "setting the host's clock",
    "NET_ADMIN": "configuring the network",
    "NET_RAW": "raw sockets: forged packets",
    "DAC_READ_SEARCH": "reading any file by handle",
    "BPF": "loading BPF programs",
    "SYS_BOOT": "rebooting the host",
}


def _holds(outer: str, inner: str) -> bool:
    return inner == outer or inner.startswith(outer.rstrip("/") + "/")


def host_path_gives(source: Any) -> str | None:
    """What a ``hostPath`` (or ``local``) source's path gives the pod, in one clause."""
    raw = source.get("path") if isinstance(source, dict) else None
    if not isinstance(raw, str) or not raw:
        return None
    path = posixpath.normpath(raw)
    if path == "/":
        return (
            "the whole host file system, writable as root (the Docker socket and minik's token included): "
            "root on the host"
        )
    if path in DOCKER_SOCKETS:
        return f"{raw} is the Docker socket: control of the engine, which is root on the host"
    if any(_holds(path, sock) for sock in DOCKER_SOCKETS):
        return f"{raw} holds the Docker socket: control of the engine, which is root on the host"
    return f"the host's {raw}, bind-mounted with the Docker daemon's rights (as root)"


def capabilities_give(add: Any) -> str | None:
    """The capabilities of ``securityContext.capabilities.add`` beyond the baseline set, and what they give."""
    extra = sorted({str(c) for c in add or [] if str(c) not in BASELINE_CAPABILITIES})
    if not extra:
        return None
    powers = [f"{c} ({_CAPABILITY_POWER[c.removeprefix('CAP_')]})" if c.removeprefix("CAP_") in _CAPABILITY_POWER
              else c for c in extra]  # fmt: skip
    return f"capabilities beyond Pod Security's baseline set: {', '.join(powers)}"
