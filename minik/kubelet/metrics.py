"""Resource metrics from engine stats: the math and the ``metrics.k8s.io/v1beta1`` objects.

Owns how usage is derived, as the kubelet's resource analyzer and
metrics-server derive it: CPU in nanocores is the growth of a container's
CPU time between two readings divided by the time between them (a container
seen once has no CPU figure yet, and one whose counter went back — it
restarted — waits for its next reading); memory is the working set of the
last reading. A pod's usage is its containers' (the sandbox is not
counted); minik's node's is the sum of its pods'. Pure: readings in,
objects out; :mod:`minik.kubelet.sampler` takes the readings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from minik.k8s import Obj

API_VERSION = "metrics.k8s.io/v1beta1"


@dataclass(frozen=True)
class Reading:
    """One container's stats at ``at`` (monotonic seconds)."""

    at: float
    cpu_ns: int
    working_set: int
    namespace: str
    pod: str
    pod_uid: str
    container: str


@dataclass(frozen=True)
class Usage:
    namespace: str
    pod: str
    pod_uid: str
    container: str
    nanocores: int
    memory: int
    window: float


def usage(previous: Mapping[str, Reading], current: Mapping[str, Reading]) -> list[Usage]:
    """The usage of every container read twice (keys: container ids), in a stable order."""
    out = []
    for cid, cur in current.items():
        prev = previous.get(cid)
        if prev is None or cur.at <= prev.at or cur.cpu_ns < prev.cpu_ns:
            continue
        window = cur.at - prev.at
        nanocores = round((cur.cpu_ns - prev.cpu_ns) / window)
        out.append(
            Usage(cur.namespace, cur.pod, cur.pod_uid, cur.container, nanocores, cur.working_set, window)
        )
    return sorted(out, key=lambda u: (u.namespace, u.pod, u.container))


def cpu_quantity(nanocores: int) -> str:
    return f"{nanocores}n"


def memory_quantity(size: int) -> str:
    return f"{size // 1024}Ki"


def window_text(seconds: float) -> str:
    """A Go duration string (``15.002s``), as metrics-server prints the window."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"


def pod_metrics(usages: list[Usage], *, timestamp: str) -> list[Obj]:
    """One ``PodMetrics`` per pod (metadata without labels: the API adds the pod's)."""
    pods: dict[tuple[str, str], Obj] = {}
    for u in usages:
        obj = pods.get((u.namespace, u.pod))
        if obj is None:
            obj = pods[(u.namespace, u.pod)] = {
                "kind": "PodMetrics",
                "apiVersion": API_VERSION,
                "metadata": {"name": u.pod, "namespace": u.namespace, "creationTimestamp": timestamp},
                "timestamp": timestamp,
                "window": window_text(u.window),
                "containers": [],
            }
        usage_ = {"cpu": cpu_quantity(u.nanocores), "memory": memory_quantity(u.memory)}
        obj["containers"].append({"name": u.container, "usage": usage_})
    return list(pods.values())


def node_metrics(usages: list[Usage], *, node: str, timestamp: str, window: float) -> Obj:
    """The node's ``NodeMetrics``: the sum of its pods' containers."""
    return {
        "kind": "NodeMetrics",
        "apiVersion": API_VERSION,
        "metadata": {"name": node, "creationTimestamp": timestamp},
        "timestamp": timestamp,
        "window": window_text(window),
        "usage": {
            "cpu": cpu_quantity(sum(u.nanocores for u in usages)),
            "memory": memory_quantity(sum(u.memory for u in usages)),
        },
    }
