"""Validation and defaulting of PersistentVolumeClaims, PersistentVolumes and StorageClasses.

Owns upstream's ``ValidatePersistentVolumeClaim``, ``ValidatePersistentVolume``
(``pkg/apis/core/validation/validation.go``) and ``ValidateStorageClass``
(``pkg/apis/storage/validation/validation.go``) in their wording, their
update rules, and the defaults of ``pkg/apis/core/v1/defaults.go`` and
``pkg/apis/storage/v1/defaults.go``. What minik does not implement of these
kinds (volume sources other than host directories, block volumes, …) is
layer 2's business (:mod:`minik.manifest.support`). Pure functions over
schema-valid dicts.
"""

from __future__ import annotations

import copy
from typing import Any

from minik import quantity
from minik.errors import FieldError
from minik.manifest import fields as f
from minik.manifest import rules_meta as m
from minik.manifest.fields import OMIT, Key, PathT
from minik.manifest.rules_job import label_selector
from minik.manifest.support import PV_SOURCES

STORAGE_GROUP = "storage.k8s.io"
STORAGE_KINDS = {
    "PersistentVolumeClaim": "v1",
    "PersistentVolume": "v1",
    "StorageClass": f"{STORAGE_GROUP}/v1",
}
ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
VOLUME_MODES = ("Block", "Filesystem")
RECLAIM_POLICIES = ("Delete", "Recycle", "Retain")
CLASS_RECLAIM_POLICIES = ("Delete", "Retain")
BINDING_MODES = ("Immediate", "WaitForFirstConsumer")


def default_storage(obj: dict[str, Any]) -> None:
    """In place: the API server's defaults of the three kinds."""
    kind = obj.get("kind")
    spec = obj.get("spec")
    if kind == "StorageClass":
        obj.setdefault("reclaimPolicy", "Delete")
        obj.setdefault("volumeBindingMode", "Immediate")
        return
    if not isinstance(spec, dict):
        return
    if kind == "PersistentVolumeClaim":
        spec.setdefault("volumeMode", "Filesystem")
    elif kind == "PersistentVolume":
        spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
        spec.setdefault("volumeMode", "Filesystem")
    else:
        return
    status = obj.get("status")
    if isinstance(status, dict) and not status.get("phase"):
        status["phase"] = "Pending"


def _access_modes(modes: list[Any], path: PathT) -> list[FieldError]:
    errors: list[FieldError] = []
    if not modes:
        return [f.required(path, "at least 1 access mode is required")]
    for mode in modes:
        if mode not in ACCESS_MODES:
            errors.append(f.not_supported(path, mode, ACCESS_MODES))
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        errors.append(f.forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return errors


def _positive_storage(value: Any, path: PathT) -> list[FieldError]:
    q = quantity.parse_or_none(value)
    if q is None:
        return [f.invalid(path, value, "must be a valid quantity")]
    if q <= 0:
        return [f.invalid(path, value, "must be greater than zero")]
    return []


def _class_name(value: Any, path: PathT) -> list[FieldError]:
    if not value:
        return []
    return [f.invalid(path, value, msg) for msg in m.dns1123_subdomain(str(value))]


def validate_claim(pvc: dict[str, Any]) -> list[FieldError]:
    errors = m.object_meta(pvc.get("metadata") or {})
    spec = pvc.get("spec") or {}
    errors += _access_modes(spec.get("accessModes") or [], ("spec", "accessModes"))
    if spec.get("selector") is not None:
        errors += label_selector(spec["selector"], ("spec", "selector"))
    requests = (spec.get("resources") or {}).get("requests") or {}
    if "storage" not in requests:
        errors.append(f.required(("spec", "resources", Key("storage"))))
    else:
        errors += _positive_storage(requests["storage"], ("spec", "resources", "requests", Key("storage")))
    errors += _class_name(spec.get("storageClassName"), ("spec", "storageClassName"))
    mode = spec.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        errors.append(f.not_supported(("spec", "volumeMode"), mode, VOLUME_MODES))
    return errors


def validate_claim_update(pvc: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """``ValidatePersistentVolumeClaimUpdate``: the spec is immutable but for a few fields."""
    new_spec = copy.deepcopy(pvc.get("spec") or {})
    old_spec = copy.deepcopy(old.get("spec") or {})
    for spec in (new_spec, old_spec):
        (spec.get("resources") or {}).pop("requests", None)
        spec.pop("volumeAttributesClassName", None)
    if not old_spec.get("volumeName"):  # binding fills it in once
        new_spec.pop("volumeName", None)
        old_spec.pop("volumeName", None)
    if not old_spec.get("storageClassName"):  # the beta annotation → field migration allows setting it once
        new_spec.pop("storageClassName", None)
        old_spec.pop("storageClassName", None)
    if new_spec == old_spec:
        return []
    why = (
        "spec is immutable after creation except resources.requests and volumeAttributesClassName "
        "for bound claims"
    )
    return [f.forbidden(("spec",), why)]


def validate_volume(pv: dict[str, Any]) -> list[FieldError]:
    errors = m.object_meta(pv.get("metadata") or {}, namespaced=False)
    spec = pv.get("spec") or {}
    errors += _access_modes(spec.get("accessModes") or [], ("spec", "accessModes"))
    capacity = spec.get("capacity") or {}
    if not capacity:
        errors.append(f.required(("spec", "capacity")))
    elif "storage" not in capacity or len(capacity) > 1:
        errors.append(f.not_supported(("spec", "capacity"), sorted(capacity), ("storage",)))
    else:
        errors += _positive_storage(capacity["storage"], ("spec", "capacity", Key("storage")))
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy is not None and policy not in RECLAIM_POLICIES:
        errors.append(f.not_supported(("spec", "persistentVolumeReclaimPolicy"), policy, RECLAIM_POLICIES))
    errors += _class_name(spec.get("storageClassName"), ("spec", "storageClassName"))
    mode = spec.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        errors.append(f.not_supported(("spec", "volumeMode"), mode, VOLUME_MODES))
    present = [s for s in PV_SOURCES if spec.get(s) is not None]
    if not present:
        errors.append(f.required(("spec",), "must specify a volume type"))
    errors += [f.forbidden(("spec", s), "may not specify more than 1 volume type") for s in present[1:]]
    for kind in present[:1]:
        src = spec[kind]
        if kind in ("hostPath", "local"):
            path = src.get("path") or ""
            if not path:
                errors.append(f.required(("spec", kind, "path")))
            elif ".." in path.split("/"):
                errors.append(f.invalid(("spec", kind, "path"), path, "must not contain '..'"))
        if kind == "local" and not spec.get("nodeAffinity"):
            errors.append(f.required(("spec", "nodeAffinity"), "Local volume requires node affinity"))
    return errors


def validate_volume_update(pv: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """``ValidatePersistentVolumeUpdate``: the volume source, volumeMode and nodeAffinity stay."""
    errors: list[FieldError] = []
    new_spec, old_spec = pv.get("spec") or {}, old.get("spec") or {}
    for s in PV_SOURCES:
        if new_spec.get(s) != old_spec.get(s):
            errors.append(
                f.forbidden(
                    ("spec", "persistentvolumesource"),
                    "spec.persistentvolumesource is immutable after creation",
                )
            )
            break
    if new_spec.get("volumeMode") != old_spec.get("volumeMode"):
        errors.append(f.invalid(("spec", "volumeMode"), new_spec.get("volumeMode"), "field is immutable"))
    if old_spec.get("nodeAffinity") and new_spec.get("nodeAffinity") != old_spec.get("nodeAffinity"):
        errors.append(f.invalid(("spec", "nodeAffinity"), OMIT, "field is immutable"))
    return errors


def validate_storage_class(sc: dict[str, Any]) -> list[FieldError]:
    errors = m.object_meta(sc.get("metadata") or {}, namespaced=False)
    provisioner = sc.get("provisioner") or ""
    if not provisioner:
        errors.append(f.required(("provisioner",)))
    else:
        errors += [f.invalid(("provisioner",), provisioner, msg) for msg in m.qualified_name(provisioner)]
    policy = sc.get("reclaimPolicy")
    if policy is not None and policy not in CLASS_RECLAIM_POLICIES:
        errors.append(f.not_supported(("reclaimPolicy",), policy, CLASS_RECLAIM_POLICIES))
    mode = sc.get("volumeBindingMode")
    if mode is None:
        errors.append(f.required(("volumeBindingMode",)))
    elif mode not in BINDING_MODES:
        errors.append(f.not_supported(("volumeBindingMode",), mode, BINDING_MODES))
    return errors


def validate_storage_class_update(sc: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """``ValidateStorageClassUpdate``: parameters, provisioner, reclaimPolicy and the binding mode stay."""
    errors: list[FieldError] = []
    if (sc.get("parameters") or {}) != (old.get("parameters") or {}):
        errors.append(f.forbidden(("parameters",), "updates to parameters are forbidden."))
    if sc.get("provisioner") != old.get("provisioner"):
        errors.append(f.forbidden(("provisioner",), "updates to provisioner are forbidden."))
    if sc.get("reclaimPolicy") != old.get("reclaimPolicy"):
        errors.append(f.forbidden(("reclaimPolicy",), "updates to reclaimPolicy are forbidden."))
    if sc.get("volumeBindingMode") != old.get("volumeBindingMode"):
        errors.append(f.invalid(("volumeBindingMode",), sc.get("volumeBindingMode"), "field is immutable"))
    return errors


RULES = {
    "PersistentVolumeClaim": validate_claim,
    "PersistentVolume": validate_volume,
    "StorageClass": validate_storage_class,
}
UPDATE_RULES = {
    "PersistentVolumeClaim": validate_claim_update,
    "PersistentVolume": validate_volume_update,
    "StorageClass": validate_storage_class_update,
}
