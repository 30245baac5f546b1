"""Carries out the scheduler gate (:mod:`minik.controllers.scheduling`) against the store.

Owns the writes the gate decides — binding a pod, the held pod's status and
``FailedScheduling`` event, the node's unschedulable taint — and which pods
to wake when the node, a claim or a host port's holder changes. It never
touches the engine: a pod the gate holds is simply not handed to the kubelet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from minik.controllers import hostports, scheduling, storage
from minik.errors import ApiError, NotFound, StoreError
from minik.k8s import NODE_NAME, Obj, meta, rfc3339
from minik.registry import Registry

log = logging.getLogger("minik.scheduler")

Key = tuple[str, str]


class SchedulerGate:
    def __init__(self, registry: Registry, clock: Callable[[], datetime]) -> None:
        self.registry = registry
        self.clock = clock

    def _node(self) -> Obj | None:
        try:
            return self.registry.get("nodes", None, NODE_NAME)
        except NotFound:
            return None

    def admit(self, pod: Obj) -> bool:
        """Bind, hold or pass ``pod``; ``True`` when the kubelet should sync it now."""
        now = rfc3339(self.clock())
        decision = scheduling.schedule(pod, self._node(), now, pods=self._port_holders(pod))
        if decision.bind and storage.claim_names(pod):
            decision = self._volume_binding(pod, now)
        if decision.bind:
            self.registry.update("pods", scheduling.bound(pod))  # its MODIFIED event syncs it again
            return False
        if decision.status is not None:
            self.registry.update("pods", {**pod, "status": decision.status}, status_only=True)
        if decision.event is not None:
            type_, reason, message = decision.event
            self.registry.record_event(
                pod, type=type_, reason=reason, message=message, component=scheduling.SCHEDULER
            )
        return decision.run

    def _port_holders(self, pod: Obj) -> list[Obj]:
        """The pods the NodePorts filter compares ``pod`` with: all of them, read only for an
        unbound pod that asks for a host port (the filter keeps the bound, non-terminal ones)."""
        spec = pod.get("spec") or {}
        if spec.get("nodeName") or meta(pod).get("deletionTimestamp") or not hostports.wanted(pod):
            return []
        return self.registry.list("pods", None, shared=True)[0]

    def _volume_binding(self, pod: Obj, now: str) -> scheduling.Decision:
        """The VolumeBinding plugin: bind only once every claim is bound; give WaitForFirstConsumer claims the node."""
        ns = str(meta(pod).get("namespace") or "default")
        claims = {str(meta(c)["name"]): c for c in self.registry.list("persistentvolumeclaims", ns)[0]}
        classes = self.registry.list("storageclasses", None, shared=True)[0]
        check = storage.pod_volumes(pod, claims, classes)
        if check.problem is not None:
            return scheduling.held(pod, scheduling.unschedulable_message(check.problem), now)
        for name in check.select:  # PreBind: the provisioner waits for this annotation
            self.registry.update("persistentvolumeclaims", storage.selected(claims[name]))
        return scheduling.Decision(run=False, bind=check.ready)

    def claims_changed(self, namespace: str) -> list[Key]:
        """The keys of the namespace's pods waiting for a node (a claim of theirs may now be bound)."""
        pods = self.registry.list("pods", namespace, shared=True)[0]
        return [
            (namespace, str(meta(p)["name"]))
            for p in pods
            if not (p.get("spec") or {}).get("nodeName") and storage.claim_names(p)
        ]

    def ports_freed(self) -> list[Key]:
        """The keys of the pods waiting for a node that ask for host ports (a holder is gone or done)."""
        pods = self.registry.list("pods", None, shared=True)[0]
        return [
            (str(meta(p).get("namespace")), str(meta(p)["name"]))
            for p in pods
            if not (p.get("spec") or {}).get("nodeName") and hostports.wanted(p)
        ]

    def node_changed(self) -> list[Key]:
        """Keep the unschedulable taint in step; the keys of the pods waiting for a node."""
        try:
            node = self._node()
            taints = scheduling.node_taints(node) if node is not None else None
            if node is not None and taints is not None:
                spec = node.setdefault("spec", {})
                if taints:
                    spec["taints"] = taints
                else:
                    spec.pop("taints", None)
                self.registry.update("nodes", node)
            pods = self.registry.list("pods", None, shared=True)[0]
        except (StoreError, ApiError) as exc:  # a conflicting write: the next node event retries
            log.warning("node change: %s", exc)
            return []
        return [
            (str(meta(p).get("namespace")), str(meta(p)["name"]))
            for p in pods
            if not (p.get("spec") or {}).get("nodeName")
        ]
