"""What the API server does to storage objects on create: admission and create strategies.

Owns, as pure functions over the object and the stored StorageClasses:

- the ``DefaultStorageClass`` admission plugin
  (``plugin/pkg/admission/storage/storageclass/setdefault``): a claim with no
  ``storageClassName`` (absent, not ``""``) gets the default class — the one
  annotated ``storageclass.kubernetes.io/is-default-class: "true"``, the newest
  when there are several (``GetDefaultClass`` in
  ``pkg/volume/util/storageclass.go``);
- the ``StorageObjectInUseProtection`` admission plugin: a new claim carries
  ``kubernetes.io/pvc-protection``, a new volume ``kubernetes.io/pv-protection``;
- the create strategies: a new claim's or volume's status is ``{phase: Pending}``;
- :data:`DEFAULT_CLASS`, the ``standard`` class a new instance starts with
  (kind's: the local-path provisioner, ``WaitForFirstConsumer``).

Who removes the finalizers and binds is the storage controller's business
(:mod:`minik.controllers.storage`).
"""

from __future__ import annotations

import copy

from minik.k8s import Obj, meta
from minik.resources import BETA_DEFAULT_CLASS_ANNOTATION, DEFAULT_CLASS_ANNOTATION, default_class_annotated

DEFAULT_ANNOTATION = DEFAULT_CLASS_ANNOTATION
BETA_DEFAULT_ANNOTATION = BETA_DEFAULT_CLASS_ANNOTATION
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
PROVISIONER = "rancher.io/local-path"
"""The provisioner minik answers for (kind's local-path provisioner's name)."""
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
DEFAULT_CLASS: Obj = {
    "apiVersion": "storage.k8s.io/v1",
    "kind": "StorageClass",
    "metadata": {"name": "standard", "annotations": {DEFAULT_ANNOTATION: "true"}},
    "provisioner": PROVISIONER,
    "reclaimPolicy": "Delete",
    "volumeBindingMode": "WaitForFirstConsumer",
}


def is_default_class(sc: Obj) -> bool:
    return default_class_annotated(meta(sc).get("annotations"))


def default_class(classes: list[Obj]) -> Obj | None:
    """The default StorageClass: the newest default-annotated one (ties: the first by name)."""
    defaults = [sc for sc in classes if is_default_class(sc)]
    if not defaults:
        return None
    defaults.sort(key=lambda sc: str(meta(sc).get("name")))
    defaults.sort(key=lambda sc: str(meta(sc).get("creationTimestamp") or ""), reverse=True)
    return defaults[0]


def _protect(obj: Obj, finalizer: str) -> None:
    fins = meta(obj).setdefault("finalizers", [])
    if finalizer not in fins:
        fins.append(finalizer)


def admit_claim(claim: Obj, classes: list[Obj]) -> Obj:
    """A new claim as it is stored: default class, protection finalizer, Pending."""
    out = copy.deepcopy(claim)
    spec = out.setdefault("spec", {})
    if spec.get("storageClassName") is None:
        sc = default_class(classes)
        if sc is not None:
            spec["storageClassName"] = meta(sc)["name"]
    _protect(out, PVC_PROTECTION)
    out["status"] = {"phase": "Pending"}
    return out


def admit_volume(pv: Obj) -> Obj:
    """A new volume as it is stored: protection finalizer, Pending."""
    out = copy.deepcopy(pv)
    _protect(out, PV_PROTECTION)
    out["status"] = {"phase": "Pending"}
    return out
