"""What a write to ``NAME/status`` keeps: the API server's status strategies (``PrepareForUpdate``).

Owns the rule per kind. Every status strategy resets ``spec`` to the stored
one and keeps the rest of the object the client sent: its status, labels,
annotations, finalizers and owner references (``jobStatusStrategy``,
``cronJobStatusStrategy``, ``serviceStatusStrategy``,
``namespaceStatusStrategy``, the PodDisruptionBudget's). The pod's also
keeps the stored owner references (``podStatusStrategy``: old kubelets
corrupted them). Server-owned metadata (uid, creationTimestamp,
deletionTimestamp, generation) is never taken from the client.
"""

from __future__ import annotations

import copy

from minik.k8s import Obj, meta

# Kinds whose status strategy also resets the owner references to the stored ones.
KEEP_STORED_OWNERS = frozenset({"pods"})


def prepare_status_update(plural: str, sent: Obj, stored: Obj) -> Obj:
    """The object a status write stores: ``sent`` with the stored spec (and per-kind resets)."""
    new = copy.deepcopy(stored)
    new["status"] = copy.deepcopy(sent.get("status") or {})
    nm, sm = meta(new), meta(sent)
    for key in ("labels", "annotations", "finalizers", "ownerReferences"):
        if key == "ownerReferences" and plural in KEEP_STORED_OWNERS:
            continue
        if sm.get(key):
            nm[key] = copy.deepcopy(sm[key])
        else:
            nm.pop(key, None)
    if sm.get("resourceVersion"):
        nm["resourceVersion"] = sm["resourceVersion"]
    return new
