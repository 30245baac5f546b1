"""kubectl's ``get`` columns of PersistentVolumeClaims, PersistentVolumes and StorageClasses, pure.

Mirrors ``printPersistentVolumeClaim``, ``printPersistentVolume`` and
``printStorageClass`` of kubernetes' ``pkg/printers/internalversion/printers.go``
(1.32: with the VolumeAttributesClass column; VolumeMode is the ``-o wide`` one).
:mod:`minik.printing` adds :data:`STORAGE_COLUMNS` to :data:`minik.printing.columns.COLUMNS`.
"""

from __future__ import annotations

from datetime import datetime

from minik.k8s import Obj, meta
from minik.printing.columns import AGE, NAME, Cells, Column
from minik.printing.durations import since
from minik.quantity import canonical
from minik.resources import default_class_annotated

_MODES = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)


def access_modes(modes: list[str] | None) -> str:
    """``GetAccessModesAsString``: ``RWO,ROX`` in upstream's fixed order."""
    have = set(modes or [])
    return ",".join(short for mode, short in _MODES if mode in have)


def quantity(value: object) -> str:
    """A capacity as ``resource.Quantity.String()`` prints it (``1024Mi`` → ``1Gi``); see :func:`minik.quantity.canonical`."""
    return canonical(value)


def _class_of(obj: Obj) -> str:
    return str((obj.get("spec") or {}).get("storageClassName") or "")


def _claim_cells(pvc: Obj, now: datetime) -> list[str]:
    m, spec, status = meta(pvc), pvc.get("spec") or {}, pvc.get("status") or {}
    phase = "Terminating" if m.get("deletionTimestamp") else str(status.get("phase") or "")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(status.get("accessModes"))
        capacity = quantity((status.get("capacity") or {}).get("storage"))
    return [
        str(m.get("name", "")),
        phase,
        str(spec.get("volumeName") or ""),
        capacity,
        modes,
        _class_of(pvc),
        str(spec.get("volumeAttributesClassName") or "<unset>"),
        since(m.get("creationTimestamp"), now),
        str(spec.get("volumeMode") or "<unset>"),
    ]


def _volume_cells(pv: Obj, now: datetime) -> list[str]:
    m, spec, status = meta(pv), pv.get("spec") or {}, pv.get("status") or {}
    ref = spec.get("claimRef")
    claim = f"{ref.get('namespace') or ''}/{ref.get('name') or ''}" if ref else ""
    phase = "Terminating" if m.get("deletionTimestamp") else str(status.get("phase") or "")
    return [
        str(m.get("name", "")),
        quantity((spec.get("capacity") or {}).get("storage")),
        access_modes(spec.get("accessModes")),
        str(spec.get("persistentVolumeReclaimPolicy") or ""),
        phase,
        claim,
        _class_of(pv),
        str(spec.get("volumeAttributesClassName") or "<unset>"),
        str(status.get("reason") or ""),
        since(m.get("creationTimestamp"), now),
        str(spec.get("volumeMode") or "<unset>"),
    ]


def is_default(sc: Obj) -> bool:
    return default_class_annotated(meta(sc).get("annotations"))


def _class_cells(sc: Obj, now: datetime) -> list[str]:
    name = str(meta(sc).get("name", ""))
    return [
        f"{name} (default)" if is_default(sc) else name,
        str(sc.get("provisioner") or ""),
        str(sc.get("reclaimPolicy") or "Delete"),
        str(sc.get("volumeBindingMode") or "Immediate"),
        "true" if sc.get("allowVolumeExpansion") else "false",
        since(meta(sc).get("creationTimestamp"), now),
    ]


_VOLUME_MODE = Column("VolumeMode", "volumeMode defines what type of volume is required.", 1)
_VAC = "VolumeAttributesClass"

STORAGE_COLUMNS: dict[str, tuple[tuple[Column, ...], Cells]] = {
    "persistentvolumeclaims": (
        (
            NAME,
            Column("Status", "phase represents the current phase of PersistentVolumeClaim."),
            Column(
                "Volume", "volumeName is the binding reference to the PersistentVolume backing this claim."
            ),
            Column("Capacity", "capacity represents the actual resources of the underlying volume."),
            Column(
                "Access Modes", "accessModes contains the actual access modes the volume backing the PVC has."
            ),
            Column("StorageClass", "StorageClass of the pvc"),
            Column(_VAC, f"{_VAC} of the pvc"),
            AGE,
            _VOLUME_MODE,
        ),
        _claim_cells,
    ),
    "persistentvolumes": (
        (
            NAME,
            Column(
                "Capacity", "capacity is the description of the persistent volume's resources and capacity."
            ),
            Column("Access Modes", "accessModes contains all ways the volume can be mounted."),
            Column(
                "Reclaim Policy",
                "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.",
            ),
            Column(
                "Status",
                "phase indicates if a volume is available, bound to a claim, or released by a claim.",
            ),
            Column(
                "Claim",
                "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.",
            ),
            Column("StorageClass", "StorageClass of the pv"),
            Column(_VAC, f"{_VAC} of the pv"),
            Column("Reason", "reason is a brief CamelCase string that describes any failure."),
            AGE,
            _VOLUME_MODE,
        ),
        _volume_cells,
    ),
    "storageclasses": (
        (
            NAME,
            Column("Provisioner", "provisioner indicates the type of the provisioner."),
            Column(
                "ReclaimPolicy",
                "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.",
            ),
            Column(
                "VolumeBindingMode",
                "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.",
            ),
            Column(
                "AllowVolumeExpansion",
                "allowVolumeExpansion shows whether the storage class allow volume expand.",
            ),
            AGE,
        ),
        _class_cells,
    ),
}
