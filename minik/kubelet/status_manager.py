"""What the kubelet's status write keeps of the stored status: upstream status manager's ``mergePodStatus``.

Owns one rule: conditions the kubelet does not own (``DisruptionTarget``
set by the eviction API, readiness gates set by other controllers) survive
the kubelet's status writes, in front of the kubelet's own; a condition the
kubelet shares (``DisruptionTarget``) is replaced when the kubelet sets it.
Pure; the kubelet's status building stays the kubelet's.

And one more: :func:`with_kubelet_ips`, the status manager's reconcile for
the pod's addresses. ``status.podIP``/``podIPs`` are the kubelet's to write;
a client that patches them through the status subresource is overwritten
with the kubelet's cached status on the next sync, as upstream's
``needsReconcile`` does. (Nothing connects to a stored address anyway:
port-forward and node ports use the kubelet's own record.)
"""

from __future__ import annotations

from minik.k8s import Obj

KUBELET_OWNED = frozenset(
    {"PodScheduled", "Ready", "Initialized", "ContainersReady", "PodReadyToStartContainers"}
)
"""``kubetypes.PodConditionByKubelet``."""


def merge_pod_status(stored: Obj, new: Obj) -> Obj:
    """``new`` with the stored conditions the kubelet does not own kept (a new dict)."""
    kept = [c for c in stored.get("conditions") or [] if c.get("type") not in KUBELET_OWNED]
    if not kept:
        return new
    conditions = list(kept)
    for c in new.get("conditions") or []:
        if c.get("type") in KUBELET_OWNED:
            conditions.append(c)
            continue
        same = [i for i, k in enumerate(conditions) if k.get("type") == c.get("type")]
        if same:
            conditions[same[0]] = c
        else:
            conditions.append(c)
    return {**new, "conditions": conditions}


IP_FIELDS = ("podIP", "podIPs")


def with_kubelet_ips(stored: Obj, cached: Obj) -> Obj | None:
    """``stored`` with the pod addresses of the kubelet's ``cached`` status put back (a new dict),
    or ``None`` when they already agree or the kubelet has reported nothing yet."""
    if not cached:
        return None
    if all(stored.get(k) == cached.get(k) for k in IP_FIELDS):
        return None
    out = {k: v for k, v in stored.items() if k not in IP_FIELDS}
    out.update({k: cached[k] for k in IP_FIELDS if k in cached})
    return out
