"""The scheduler's NodePorts filter for minik's one node: a pod's host ports against the bound pods'.

Owns what upstream's ``NodePorts`` plugin and the scheduler cache decide
(``pkg/scheduler/framework/plugins/nodeports``, ``HostPortInfo`` in
``pkg/scheduler/framework/types.go``, ``GetHostPorts`` in
``pkg/scheduler/util/utils.go``):

- :func:`wanted` — the host ports a pod asks for: every port with a
  ``hostPort`` of its regular containers and of its restartable
  (``restartPolicy: Always``) init containers, an empty ``hostIP`` read as
  ``0.0.0.0`` and an empty protocol as ``TCP``. A hostNetwork pod's ports
  count too: each one's ``hostPort`` is its ``containerPort`` (the Pod
  defaulting, :func:`minik.manifest.rules_host.default_host_network_ports`,
  writes it on a client's pod; a Job's pods are built without it, so it is
  read here the same way).
- :func:`holds` — which pods hold theirs: bound and not terminal. The
  scheduler's pod informer lists only non-terminal pods, so a pod that
  Succeeded or Failed frees its ports at once; a pod being deleted holds them
  until it is terminal or gone.
- :func:`collides` — one ``(ip, protocol, port)`` against another: the same
  protocol and port, and the same IP or either one ``0.0.0.0``.
- :func:`conflict` — the first of a pod's ports that another holder has.
- :func:`frees_ports` — whether a pod's change lets the pods waiting for a
  port try again (it held ports and no longer does).

Pure: objects in, plain values out. The store's at-creation binding
(:mod:`minik.registry.kinds`) and the scheduler gate
(:mod:`minik.controllers.scheduling`) use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from minik.k8s import Obj, meta

ANY_IP = "0.0.0.0"
"""``DefaultBindAllHostIP``: an empty hostIP means every address."""
REASON = "node(s) didn't have free ports for the requested pod ports"
"""The NodePorts plugin's ``ErrReason``."""
TERMINAL = ("Succeeded", "Failed")


class HostPort(NamedTuple):
    ip: str
    protocol: str
    port: int


def _ports(containers: Any, *, sidecars_only: bool, host_network: bool) -> list[HostPort]:
    out: list[HostPort] = []
    for c in containers or []:
        if not isinstance(c, dict):
            continue
        if sidecars_only and c.get("restartPolicy") != "Always":
            continue  # an init container that runs to completion holds nothing for the pod's life
        for p in c.get("ports") or []:
            if not isinstance(p, dict):
                continue
            try:
                port = int(p.get("hostPort") or 0)
                if host_network and port == 0:
                    port = int(p.get("containerPort") or 0)
            except (TypeError, ValueError):
                continue
            if port > 0:
                out.append(HostPort(str(p.get("hostIP") or ANY_IP), str(p.get("protocol") or "TCP"), port))
    return out


def wanted(pod: Obj) -> list[HostPort]:
    """The host ports ``pod`` asks for (restartable init containers first, as upstream lists them)."""
    spec = pod.get("spec") or {}
    host_network = bool(spec.get("hostNetwork"))
    return _ports(spec.get("initContainers"), sidecars_only=True, host_network=host_network) + _ports(
        spec.get("containers"), sidecars_only=False, host_network=host_network
    )


def holds(pod: Obj) -> bool:
    """``pod`` is in the scheduler's cache: bound, and not Succeeded or Failed (deleting or not)."""
    bound = bool((pod.get("spec") or {}).get("nodeName"))
    return bound and (pod.get("status") or {}).get("phase") not in TERMINAL


def collides(want: HostPort, used: HostPort) -> bool:
    """``HostPortInfo.CheckConflict`` for one used port: same protocol and port, and an IP in common."""
    if (want.protocol, want.port) != (used.protocol, used.port):
        return False
    return want.ip == used.ip or ANY_IP in (want.ip, used.ip)


def _same(a: Obj, b: Obj) -> bool:
    ma, mb = meta(a), meta(b)
    if ma.get("uid") and mb.get("uid"):
        return bool(ma["uid"] == mb["uid"])
    return (ma.get("namespace") or "default", ma.get("name")) == (
        mb.get("namespace") or "default",
        mb.get("name"),
    )


def conflict(pod: Obj, pods: Iterable[Obj]) -> tuple[HostPort, Obj] | None:
    """The first port ``pod`` wants that a holder among ``pods`` (``pod`` itself aside) has, with that holder."""
    want = wanted(pod)
    if not want:
        return None
    for other in pods:
        if _same(other, pod) or not holds(other):
            continue
        used = wanted(other)
        for w in want:
            if any(collides(w, u) for u in used):
                return w, other
    return None


def frees_ports(kind: str, pod: Obj, old: Obj | None) -> bool:
    """A pod event after which a pod waiting for a port may fit: a holder with host ports is gone or
    has become terminal (``old``: the pod before a MODIFIED change; ``None`` when unknown)."""
    if not wanted(pod) or not (pod.get("spec") or {}).get("nodeName"):
        return False  # an unbound pod held nothing
    if kind == "DELETED":
        return True
    if kind == "MODIFIED":
        return not holds(pod) and (old is None or holds(old))
    return False
