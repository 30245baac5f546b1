"""A container's engine configuration from its spec, as the kubelet's
``generateContainerConfig`` makes one: pure, so every rule is a unit test.

Inputs are explicit: the container spec, the pod spec (for pod-level
securityContext and host namespaces), the resolved environment (for
``$(VAR)`` in command and args), the network namespace to join, the
container's binds and tmpfs mounts, the termination-message file when there
is one, and the text of a Localhost seccomp profile (read by the worker).

The pod-level parts are here too: :func:`sandbox_config` (the network
namespace's owner: the instance network, or the host's under hostNetwork)
and :func:`published_ports` (hostPorts, published where the pod's network
namespace is made).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minik import quantity
from minik.k8s import Obj
from minik.kubelet.env import expand
from minik.kubelet.errors import ConfigError
from minik.kubelet.network import podnet
from minik.kubelet.security import effective, seccomp_opts, security_opts

CPU_PERIOD = 100_000
"""The CFS period in microseconds (the kubelet's ``QuotaPeriod``); a cpu limit is a quota within it."""
MIN_CPU_QUOTA = 1_000
"""The kubelet's ``MinQuotaPeriod``: no cpu limit gives less than 1 ms of each period."""
DOCKER_MIN_MEMORY = 6 * 1024 * 1024
"""The least memory limit Docker accepts (``linuxMinMemory``)."""

HOST_IP = "127.0.0.1"
"""The node's address as minik reports it (``status.hostIP``): a hostNetwork pod's IP too."""


def container_config(
    c: Obj,
    pod_spec: Obj,
    env: dict[str, str],
    *,
    network_mode: str,
    binds: list[str],
    tmpfs: dict[str, str] | None,
    message_file: Path | None = None,
    seccomp_profile: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments for :meth:`minik.kubelet.runtime.Runtime.create_container` (less image, name, labels).

    ``seccomp_profile`` is the JSON text of the container's Localhost profile, when it has one.
    """
    host_config: dict[str, Any] = {"network_mode": network_mode, "binds": list(binds), "tmpfs": tmpfs or None}
    host_config.update(namespace_modes(pod_spec))
    if message_file is not None:
        host_config["binds"].append(f"{message_file}:{c['terminationMessagePath']}")
    limits = (c.get("resources") or {}).get("limits") or {}
    host_config.update(resource_limits(limits))
    sc = c.get("securityContext") or {}
    if sc.get("privileged"):
        host_config["privileged"] = True
    if sc.get("readOnlyRootFilesystem"):
        host_config["read_only"] = True
    opts = security_opts(c) + seccomp_opts(c, pod_spec, seccomp_profile)
    if opts:
        host_config["security_opt"] = opts
    caps = sc.get("capabilities") or {}
    if caps.get("add"):
        host_config["cap_add"] = caps["add"]
    if caps.get("drop"):
        host_config["cap_drop"] = caps["drop"]
    config: dict[str, Any] = {
        "environment": [f"{k}={v}" for k, v in env.items()],
        "host_config": host_config,
    }
    config.update(terminal(c))
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


def terminal(c: Obj) -> dict[str, Any]:
    """``tty``, ``stdin`` and ``stdinOnce`` as the engine's Tty, OpenStdin and StdinOnce.

    docker-py sets StdinOnce whenever stdin is open unless ``detach`` is
    given, so ``detach`` says "not stdinOnce" (it changes nothing else for a
    container that is started, never run attached).
    """
    out: dict[str, Any] = {}
    if c.get("tty"):
        out["tty"] = True
    if c.get("stdin"):
        out["stdin_open"] = True
        out["detach"] = not c.get("stdinOnce")
    return out


def host_network(pod_spec: Obj) -> bool:
    return bool(pod_spec.get("hostNetwork"))


def namespace_modes(pod_spec: Obj) -> dict[str, str]:
    """hostPID and hostIPC: every container of the pod joins the host's namespace."""
    out: dict[str, str] = {}
    if pod_spec.get("hostPID"):
        out["pid_mode"] = "host"
    if pod_spec.get("hostIPC"):
        out["ipc_mode"] = "host"
    return out


def published_ports(pod_spec: Obj) -> dict[str, Any]:
    """The engine's exposed ports and port bindings for the regular containers' hostPorts.

    Each is bound on ``hostIP`` when given, else on 127.0.0.1 only (a
    cluster binds every address; minik keeps them off the network unless
    asked). Nothing under hostNetwork: the container listens on the host
    itself. Empty when no port has a hostPort.
    """
    if host_network(pod_spec):
        return {}
    exposed: list[tuple[int, str]] = []
    bindings: dict[str, list[tuple[str, int]]] = {}
    for c in pod_spec.get("containers") or []:
        for port in c.get("ports") or []:
            if not port.get("hostPort"):
                continue
            proto = str(port.get("protocol") or "TCP").lower()
            cp = int(port["containerPort"])
            key = f"{cp}/{proto}"
            if key not in bindings:
                exposed.append((cp, proto))
            bindings.setdefault(key, []).append((str(port.get("hostIP") or HOST_IP), int(port["hostPort"])))
    if not bindings:
        return {}
    return {"ports": exposed, "host_config": {"port_bindings": bindings}}


def sandbox_config(pod_spec: Obj, *, name: str, namespace: str, network: str) -> dict[str, Any]:
    """The sandbox's engine config (less image, name, labels): its network, hostname and host ports.

    Under hostNetwork it joins the host's network (and keeps the host's
    hostname, as a hostNetwork pod does); otherwise it sits on the instance
    network with the pod's hostname, its subdomain's domain and the pod's
    published hostPorts.
    """
    if host_network(pod_spec):
        return {"host_config": {"network_mode": "host", "init": False}}
    config: dict[str, Any] = {"hostname": podnet.hostname(pod_spec, name)}
    if pod_spec.get("subdomain"):
        # Docker then writes "<ip> <hostname>.<domain> <hostname>" into the
        # pod's /etc/hosts (shared by every container), so `hostname -f`
        # gives the FQDN, as GeneratePodHostNameAndDomain makes it upstream.
        config["domainname"] = podnet.domainname(pod_spec, namespace)
    ports = published_ports(pod_spec)
    config["host_config"] = {"network_mode": network, "init": False, **ports.get("host_config", {})}
    if ports:
        config["ports"] = ports["ports"]
    return config


def localhost_profile(c: Obj, pod_spec: Obj) -> str | None:
    """The container's Localhost seccomp profile (relative to minik's profile directory), if it has one."""
    profile = effective(c, pod_spec, "seccompProfile")
    if isinstance(profile, dict) and profile.get("type") == "Localhost":
        return str(profile.get("localhostProfile") or "")
    return None


def cpu_quota(milli_cpu: int) -> int:
    """``MilliCPUToQuota``: the CFS quota (microseconds a period) for a cpu limit; 0 means none."""
    if milli_cpu <= 0:
        return 0
    return max(MIN_CPU_QUOTA, milli_cpu * CPU_PERIOD // 1000)


def resource_limits(limits: Obj) -> dict[str, Any]:
    """The engine's memory limit (bytes, rounded up) and CFS quota for a container's ``resources.limits``.

    A memory limit the engine cannot honour (under its 6 MiB minimum) is the
    error Docker gives, as the kubelet reported it when it ran on Docker.
    """
    out: dict[str, Any] = {}
    if "memory" in limits:
        memory = quantity.value(limits["memory"])
        if 0 < memory < DOCKER_MIN_MEMORY:
            raise ConfigError("Error response from daemon: Minimum memory limit allowed is 6MB")
        if memory > 0:
            out["mem_limit"] = memory
    if "cpu" in limits:
        quota = cpu_quota(quantity.milli_value(limits["cpu"]))
        if quota:
            out["cpu_period"], out["cpu_quota"] = CPU_PERIOD, quota
    return out
