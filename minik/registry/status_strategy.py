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

from typing import Any

from minik.apierrors import invalid
from minik.errors import FieldError
from minik.k8s import Obj, clone, meta
from minik.manifest import fields as f
from minik.manifest import rules_meta

# Kinds whose status strategy also resets the owner references to the stored ones.
KEEP_STORED_OWNERS = frozenset({"pods"})


def _is_str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def metadata_errors(sent_meta: dict[str, Any]) -> list[FieldError]:
    """The metadata a status write carries must be valid, as on any update (``ValidateObjectMetaUpdate``)."""
    errors: list[FieldError] = []
    for key in ("labels", "annotations"):
        value = sent_meta.get(key)
        if value is not None and not _is_str_map(value):
            errors.append(f.invalid(("metadata", key), f.OMIT, "must be a map of strings to strings"))
    if errors:
        return errors
    errors += rules_meta.labels(sent_meta.get("labels"), ("metadata", "labels"))
    errors += rules_meta.annotation_map(sent_meta.get("annotations"), ("metadata", "annotations"))
    fins = sent_meta.get("finalizers")
    if fins is not None and not (isinstance(fins, list) and all(isinstance(x, str) for x in fins)):
        errors.append(f.invalid(("metadata", "finalizers"), f.OMIT, "must be a list of strings"))
    owners = sent_meta.get("ownerReferences")
    if owners is not None and not (isinstance(owners, list) and all(isinstance(x, dict) for x in owners)):
        errors.append(f.invalid(("metadata", "ownerReferences"), f.OMIT, "must be a list of objects"))
    return errors


def prepare_status_update(plural: str, sent: Obj, stored: Obj) -> Obj:
    """The object a status write stores: ``sent`` with the stored spec (and per-kind resets).

    Raises 422 Invalid when the metadata sent is not valid metadata.
    """
    errors = metadata_errors(meta(sent))
    if errors:
        causes = [(e.path, e.reason, e.body()) for e in errors]
        raise invalid(plural, str(meta(stored).get("name", "")), causes)
    new = clone(stored)
    new["status"] = clone(sent.get("status") or {})
    nm, sm = meta(new), meta(sent)
    for key in ("labels", "annotations", "finalizers", "ownerReferences"):
        if key == "ownerReferences" and plural in KEEP_STORED_OWNERS:
            continue
        if sm.get(key):
            nm[key] = clone(sm[key])
        else:
            nm.pop(key, None)
    if sm.get("resourceVersion"):
        nm["resourceVersion"] = sm["resourceVersion"]
    return new
