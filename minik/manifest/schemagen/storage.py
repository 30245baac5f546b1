"""The schemas of the storage kinds: PersistentVolumeClaim, PersistentVolume (``v1``)
and StorageClass (``storage.k8s.io/v1``).

Built with :mod:`minik.manifest.schemagen`'s helpers and written by its
``main``; this module owns these schemas' text only. Volume sources minik
never looks into are plain objects; layer 2 (:mod:`minik.manifest.support`)
says which ones minik does not implement.
"""

from __future__ import annotations

from typing import Any

from minik.manifest.schemagen.core import (
    ANY_OBJ,
    CORE_DEFS,
    QTY_MAP,
    STR_MAP,
    B,
    S,
    arr,
    loose,
    obj,
    ref,
    strs,
)
from minik.manifest.support import OTHER_PV_SOURCES

OBJECT_REF = obj(**strs("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"))


def build_storage(top: Any, meta: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """File name → schema, ``top`` being schemagen's ``_top`` and ``meta`` its ObjectMeta defs."""
    claim_defs = {**meta, "LabelSelector": CORE_DEFS["LabelSelector"]}
    return {
        "persistentvolumeclaim.json": top(
            "PersistentVolumeClaim",
            "v1",
            claim_defs,
            spec=obj(
                accessModes=arr(S),
                selector=ref("LabelSelector"),
                resources=obj(limits=QTY_MAP, requests=QTY_MAP),
                **strs("volumeName", "storageClassName", "volumeMode", "volumeAttributesClassName"),
                dataSource=obj(**strs("apiGroup", "kind", "name")),
                dataSourceRef=obj(**strs("apiGroup", "kind", "name", "namespace")),
            ),
            status=ANY_OBJ,
        ),
        "persistentvolume.json": top(
            "PersistentVolume",
            "v1",
            meta,
            spec=obj(
                capacity=QTY_MAP,
                hostPath=obj(path=S, type=S),
                local=obj(path=S, fsType=S),
                **loose(*OTHER_PV_SOURCES),
                accessModes=arr(S),
                claimRef=OBJECT_REF,
                **strs(
                    "persistentVolumeReclaimPolicy",
                    "storageClassName",
                    "volumeMode",
                    "volumeAttributesClassName",
                ),
                mountOptions=arr(S),
                nodeAffinity=ANY_OBJ,
            ),
            status=ANY_OBJ,
        ),
        "storageclass.json": top(
            "StorageClass",
            "storage.k8s.io/v1",
            meta,
            provisioner=S,
            parameters=STR_MAP,
            reclaimPolicy=S,
            mountOptions=arr(S),
            allowVolumeExpansion=B,
            volumeBindingMode=S,
            allowedTopologies=arr(ANY_OBJ),
        ),
    }
