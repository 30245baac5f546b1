"""A container's engine configuration from its spec, as the kubelet's
``generateContainerConfig`` makes one: pure, so every rule is a unit test.

Inputs are explicit: the container spec, the pod spec (for pod-level
securityContext), the resolved environment (for ``$(VAR)`` in command and
args), the network namespace to join, the container's binds and tmpfs
mounts, and the termination-message file when there is one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minik.k8s import Obj
from minik.kubelet.env import expand
from minik.kubelet.quantity import cores, size_bytes
from minik.kubelet.security import effective, security_opts


def container_config(
    c: Obj,
    pod_spec: Obj,
    env: dict[str, str],
    *,
    network_mode: str,
    binds: list[str],
    tmpfs: dict[str, str] | None,
    message_file: Path | None = None,
) -> dict[str, Any]:
    """Keyword arguments for :meth:`minik.kubelet.runtime.Runtime.create_container` (less image, name, labels)."""
    host_config: dict[str, Any] = {"network_mode": network_mode, "binds": list(binds), "tmpfs": tmpfs or None}
    if message_file is not None:
        host_config["binds"].append(f"{message_file}:{c['terminationMessagePath']}")
    limits = (c.get("resources") or {}).get("limits") or {}
    if "memory" in limits:
        host_config["mem_limit"] = size_bytes(str(limits["memory"]))
    if "cpu" in limits:
        host_config["nano_cpus"] = int(cores(str(limits["cpu"])) * 1e9)
    sc = c.get("securityContext") or {}
    if sc.get("privileged"):
        host_config["privileged"] = True
    if sc.get("readOnlyRootFilesystem"):
        host_config["read_only"] = True
    if security_opts(c):
        host_config["security_opt"] = security_opts(c)
    caps = sc.get("capabilities") or {}
    if caps.get("add"):
        host_config["cap_add"] = caps["add"]
    if caps.get("drop"):
        host_config["cap_drop"] = caps["drop"]
    config: dict[str, Any] = {
        "environment": [f"{k}={v}" for k, v in env.items()],
        "host_config": host_config,
    }
    if c.get("workingDir"):
        config["working_dir"] = c["workingDir"]
    user, group = effective(c, pod_spec, "runAsUser"), effective(c, pod_spec, "runAsGroup")
    if user is not None:
        config["user"] = f"{user}:{group}" if group is not None else str(user)
    cmd = [expand(x, env) for x in c.get("command") or []]
    if cmd:
        config["entrypoint"] = cmd
    args = [expand(x, env) for x in c.get("args") or []]
    config["command"] = args or None
    return config
