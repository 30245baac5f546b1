"""The one Node of an instance, built from what the engine reports (pure).

As a kubelet registers its node: capacity and allocatable from the engine's
CPUs and memory (110 pods, the kubelet's default), the four pressure
conditions and Ready, addresses, and ``nodeInfo`` (kernel, OS image, the
container runtime as ``docker://VERSION``, architecture). ``unschedulable``
and taints are left for ``kubectl cordon`` to set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from minik.k8s import NODE_NAME, Obj, rfc3339

KUBELET_VERSION = "v1.33.0-minik"  # the version /version reports
MAX_PODS = "110"
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}


def _conditions(now: str, ready: bool) -> list[Obj]:
    def cond(type_: str, status: str, reason: str, message: str) -> Obj:
        return {
            "type": type_,
            "status": status,
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
            "reason": reason,
            "message": message,
        }

    return [
        cond(
            "MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"
        ),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        cond("Ready", "True", "KubeletReady", "kubelet is posting ready status")
        if ready
        else cond("Ready", "False", "KubeletNotReady", "container runtime is down"),
    ]


def node_object(info: dict[str, Any], now: datetime, *, ready: bool = True) -> Obj:
    """The Node for an engine whose ``docker info`` is ``info``."""
    arch = _ARCH.get(str(info.get("Architecture") or ""), str(info.get("Architecture") or "amd64"))
    os_type = str(info.get("OSType") or "linux")
    capacity = {
        "cpu": str(int(info.get("NCPU") or 1)),
        "memory": f"{int(info.get('MemTotal') or 0) // 1024}Ki",
        "pods": MAX_PODS,
    }
    stamp = rfc3339(now)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "labels": {
                "beta.kubernetes.io/arch": arch,
                "beta.kubernetes.io/os": os_type,
                "kubernetes.io/arch": arch,
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": os_type,
                "node-role.kubernetes.io/control-plane": "",
            },
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {},
        "status": {
            "capacity": capacity,
            "allocatable": dict(capacity),
            "conditions": _conditions(stamp, ready),
            "addresses": [
                {"type": "InternalIP", "address": "127.0.0.1"},
                {"type": "Hostname", "address": NODE_NAME},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": str(info.get("ID") or "").replace(":", "").lower()[:32],
                "systemUUID": "",
                "bootID": "",
                "kernelVersion": str(info.get("KernelVersion") or ""),
                "osImage": str(info.get("OperatingSystem") or ""),
                "containerRuntimeVersion": f"docker://{info.get('ServerVersion') or ''}",
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": "",
                "operatingSystem": os_type,
                "architecture": arch,
            },
        },
    }
