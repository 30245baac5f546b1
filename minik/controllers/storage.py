"""The persistent-volume controller and minik's provisioner, as pure decisions.

Owns, for minik's one node, what upstream splits between the PV controller
(``pkg/controller/volume/persistentvolume/pv_controller.go``: ``syncClaim``,
``syncVolume``, ``findBestMatchForClaim``), the external provisioner
(kind's local-path provisioner: one volume per claim, named ``pvc-<uid>``)
and the PVC/PV protection controllers (``pkg/controller/volume/pvcprotection``,
``pvprotection``):

- :func:`sync_claim` — bind a claim to a matching available volume, or ask
  for one to be provisioned (Immediate classes at once, WaitForFirstConsumer
  classes once the scheduler chose the node), or say why it waits; drop the
  ``kubernetes.io/pvc-protection`` finalizer of a deleted claim no running
  pod uses; a bound claim whose volume is gone is ``Lost``;
- :func:`sync_volume` — a volume whose claim is gone is ``Released`` and then
  deleted (reclaim policy Delete, volumes minik provisioned) or kept
  (Retain); a deleted volume loses ``kubernetes.io/pv-protection`` once no
  claim is bound to it.

Objects and pods in, a plain decision out; the executor
(:mod:`minik.server.storage`) carries it out. Nothing here is mutated.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from minik import quantity
from minik.controllers.event import ControllerEvent
from minik.k8s import NODE_NAME, Obj, meta, selector_matches
from minik.manifest.storage_admission import PROVISIONED_BY, PROVISIONER, PV_PROTECTION, PVC_PROTECTION

SELECTED_NODE = "volume.kubernetes.io/selected-node"
STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
WFFC = "WaitForFirstConsumer"
TERMINAL = ("Succeeded", "Failed")

"""(type, reason, message) about the object the decision is for."""


@dataclass(frozen=True)
class ClaimDecision:
    claim: Obj | None = None
    """The claim to write (spec/metadata), or ``None`` for no change."""
    status: Obj | None = None
    """Its new status, or ``None`` for no change."""
    provision: Obj | None = None
    """A PersistentVolume to provision (make its Docker volume, then store it)."""
    bind: Obj | None = None
    """An existing volume to write with its ``claimRef`` set to this claim."""
    events: tuple[ControllerEvent, ...] = ()


@dataclass(frozen=True)
class VolumeDecision:
    volume: Obj | None = None
    """The volume to write (metadata/spec), or ``None``."""
    status: Obj | None = None
    delete: bool = False
    """Remove the Docker volume behind it, then the volume object (reclaim policy Delete)."""
    events: tuple[ControllerEvent, ...] = field(default_factory=tuple)


def claim_key(claim: Obj) -> tuple[str, str]:
    m = meta(claim)
    return (str(m.get("namespace") or "default"), str(m.get("name")))


def claim_names(pod: Obj) -> list[str]:
    """The claims a pod's volumes name, in order."""
    out = []
    for v in (pod.get("spec") or {}).get("volumes") or []:
        src = v.get("persistentVolumeClaim") if isinstance(v, dict) else None
        if isinstance(src, dict) and src.get("claimName"):
            out.append(str(src["claimName"]))
    return out


def in_use(claim: Obj, pods: Iterable[Obj]) -> bool:
    """Whether a pod that is not terminal names the claim (the pvc-protection controller's test)."""
    ns, name = claim_key(claim)
    for pod in pods:
        if str(meta(pod).get("namespace") or "default") != ns:
            continue
        if (pod.get("status") or {}).get("phase") in TERMINAL:
            continue
        if name in claim_names(pod):
            return True
    return False


def _storage(obj: Mapping[str, Any] | None) -> Decimal:
    q = quantity.parse_or_none((obj or {}).get("storage"))
    return q if q is not None else Decimal(0)


def _class_of(obj: Obj) -> str:
    return str((obj.get("spec") or {}).get("storageClassName") or "")


def volume_matches(pv: Obj, claim: Obj) -> bool:
    """``findMatchingVolume``'s test for one available volume (class, modes, size, selector)."""
    spec, cspec = pv.get("spec") or {}, claim.get("spec") or {}
    ref = spec.get("claimRef")
    if ref and (ref.get("name"), ref.get("namespace")) != (
        meta(claim).get("name"),
        meta(claim).get("namespace"),
    ):
        return False
    if ref and ref.get("uid") and ref.get("uid") != meta(claim).get("uid"):
        return False
    if not ref and (pv.get("status") or {}).get("phase") not in (None, "Pending", "Available"):
        return False
    if meta(pv).get("deletionTimestamp") or _class_of(pv) != _class_of(claim):
        return False
    if not set(cspec.get("accessModes") or []) <= set(spec.get("accessModes") or []):
        return False
    if (spec.get("volumeMode") or "Filesystem") != (cspec.get("volumeMode") or "Filesystem"):
        return False
    if _storage(spec.get("capacity")) < _storage((cspec.get("resources") or {}).get("requests")):
        return False
    selector = cspec.get("selector")
    return not selector or selector_matches(selector, meta(pv).get("labels"))


def best_match(claim: Obj, volumes: Iterable[Obj]) -> Obj | None:
    """The smallest matching volume; one pre-bound to the claim wins (``findBestMatchForClaim``)."""
    uid = meta(claim).get("uid")
    mine = [
        pv
        for pv in volumes
        if uid
        and ((pv.get("spec") or {}).get("claimRef") or {}).get("uid") == uid
        and not meta(pv).get("deletionTimestamp")
    ]
    if mine:  # provisioned for it (or bound to it before): whatever its size now
        return mine[0]
    found = [pv for pv in volumes if volume_matches(pv, claim)]
    pre_bound = [pv for pv in found if (pv.get("spec") or {}).get("claimRef")]
    if pre_bound:
        return pre_bound[0]
    found.sort(key=lambda pv: (_storage((pv.get("spec") or {}).get("capacity")), meta(pv).get("name")))
    return found[0] if found else None


def _claim_ref(claim: Obj) -> Obj:
    m = meta(claim)
    return {
        "kind": "PersistentVolumeClaim",
        "namespace": m.get("namespace") or "default",
        "name": m.get("name"),
        "uid": m.get("uid"),
        "apiVersion": "v1",
        "resourceVersion": m.get("resourceVersion"),
    }


def provisioned_volume(claim: Obj, sc: Obj) -> Obj:
    """The PersistentVolume minik's provisioner makes for ``claim`` (its source is filled in later)."""
    cspec = claim.get("spec") or {}
    name = f"pvc-{meta(claim).get('uid')}"
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": {PROVISIONED_BY: PROVISIONER}},
        "spec": {
            "capacity": {
                "storage": str(((cspec.get("resources") or {}).get("requests") or {}).get("storage"))
            },
            "accessModes": list(cspec.get("accessModes") or []),
            "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy") or "Delete",
            "storageClassName": meta(sc).get("name"),
            "volumeMode": cspec.get("volumeMode") or "Filesystem",
            "claimRef": _claim_ref(claim),
        },
    }


def _bound_status(claim: Obj, pv: Obj) -> Obj:
    spec = pv.get("spec") or {}
    return {
        **(claim.get("status") or {}),
        "phase": "Bound",
        "accessModes": list(spec.get("accessModes") or []),
        "capacity": dict(spec.get("capacity") or {}),
    }


def _annotated(obj: Obj, values: Mapping[str, str]) -> Obj | None:
    """``obj`` with these annotations added, or ``None`` when it has them already."""
    have = meta(obj).get("annotations") or {}
    if all(have.get(k) == v for k, v in values.items()):
        return None
    out = copy.deepcopy(obj)
    meta(out).setdefault("annotations", {}).update(values)
    return out


def sync_claim(claim: Obj, volumes: list[Obj], classes: list[Obj], pods: list[Obj]) -> ClaimDecision:
    """What to do next for one claim (see the module docstring)."""
    m = meta(claim)
    spec, status = claim.get("spec") or {}, claim.get("status") or {}
    by_name = {meta(pv).get("name"): pv for pv in volumes}
    if m.get("deletionTimestamp"):
        if PVC_PROTECTION in (m.get("finalizers") or []) and not in_use(claim, pods):
            out = copy.deepcopy(claim)
            meta(out)["finalizers"] = [x for x in m.get("finalizers") or [] if x != PVC_PROTECTION]
            return ClaimDecision(claim=out)
        return ClaimDecision()
    volume_name = spec.get("volumeName")
    if volume_name:
        pv = by_name.get(volume_name)
        if pv is None:
            if status.get("phase") == "Bound":
                msg = "Bound claim has lost its PersistentVolume. Data on the volume is lost!"
                return ClaimDecision(
                    status={**status, "phase": "Lost"}, events=(ControllerEvent("Warning", "ClaimLost", msg),)
                )
            return ClaimDecision()
        ref = (pv.get("spec") or {}).get("claimRef") or {}
        if ref.get("uid") not in (None, "", m.get("uid")) or (ref and ref.get("name") != m.get("name")):
            return ClaimDecision()  # the volume is someone else's: the claim waits (upstream: FailedBinding)
        if not ref:
            return ClaimDecision(bind=_with_claim(pv, claim))
        want = _bound_status(claim, pv)
        return ClaimDecision(status=want) if want != status else ClaimDecision()
    match = best_match(claim, volumes)
    if match is not None:
        return _bind_both(claim, match)
    class_name = spec.get("storageClassName") or ""
    if not class_name:
        msg = "no persistent volumes available for this claim and no storage class is set"
        return ClaimDecision(events=(ControllerEvent("Normal", "FailedBinding", msg),))
    sc = next((c for c in classes if meta(c).get("name") == class_name), None)
    if sc is None:
        msg = f'storageclass.storage.k8s.io "{class_name}" not found'
        return ClaimDecision(events=(ControllerEvent("Warning", "ProvisioningFailed", msg),))
    if sc.get("volumeBindingMode") == WFFC and not (m.get("annotations") or {}).get(SELECTED_NODE):
        msg = "waiting for first consumer to be created before binding"
        return ClaimDecision(events=(ControllerEvent("Normal", "WaitForFirstConsumer", msg),))
    provisioner = str(sc.get("provisioner") or "")
    annotated = _annotated(claim, {STORAGE_PROVISIONER: provisioner, BETA_STORAGE_PROVISIONER: provisioner})
    if provisioner != PROVISIONER:
        msg = (
            f"Waiting for a volume to be created either by the external provisioner '{provisioner}' "
            "or manually by the system administrator. If volume creation is delayed, please verify "
            "that the provisioner is running and correctly registered."
        )
        return ClaimDecision(
            claim=annotated, events=(ControllerEvent("Normal", "ExternalProvisioning", msg),)
        )
    pv = provisioned_volume(claim, sc)
    ns, name = claim_key(claim)
    return ClaimDecision(
        claim=annotated,
        provision=pv,
        events=(
            ControllerEvent(
                "Normal",
                "Provisioning",
                f'External provisioner is provisioning volume for claim "{ns}/{name}"',
            ),
            ControllerEvent(
                "Normal", "ProvisioningSucceeded", f"Successfully provisioned volume {meta(pv)['name']}"
            ),
        ),
    )


def _with_claim(pv: Obj, claim: Obj) -> Obj:
    out = copy.deepcopy(pv)
    out.setdefault("spec", {})["claimRef"] = _claim_ref(claim)
    meta(out).setdefault("annotations", {})[BOUND_BY_CONTROLLER] = "yes"
    return out


def _bind_both(claim: Obj, pv: Obj) -> ClaimDecision:
    """Point the claim at ``pv`` (and ``pv`` at the claim when it is not yet): ``bind``."""
    out = copy.deepcopy(claim)
    out.setdefault("spec", {})["volumeName"] = meta(pv).get("name")
    annotations = meta(out).setdefault("annotations", {})
    annotations[BIND_COMPLETED] = "yes"
    annotations[BOUND_BY_CONTROLLER] = "yes"
    ref = (pv.get("spec") or {}).get("claimRef")
    return ClaimDecision(
        claim=out, status=_bound_status(claim, pv), bind=None if ref else _with_claim(pv, claim)
    )


def provisioned_by_minik(pv: Obj) -> bool:
    return (meta(pv).get("annotations") or {}).get(PROVISIONED_BY) == PROVISIONER


def sync_volume(pv: Obj, claims: list[Obj]) -> VolumeDecision:
    """What to do next for one volume (see the module docstring)."""
    m, spec, status = meta(pv), pv.get("spec") or {}, pv.get("status") or {}
    phase = status.get("phase")
    ref = spec.get("claimRef")
    claim = None
    if ref:
        claim = next(
            (
                c
                for c in claims
                if claim_key(c) == (ref.get("namespace") or "default", ref.get("name"))
                and (not ref.get("uid") or meta(c).get("uid") == ref.get("uid"))
            ),
            None,
        )
    if m.get("deletionTimestamp") and PV_PROTECTION in (m.get("finalizers") or []) and phase != "Bound":
        out = copy.deepcopy(pv)
        meta(out)["finalizers"] = [x for x in m.get("finalizers") or [] if x != PV_PROTECTION]
        return VolumeDecision(volume=out)
    if not ref:
        return (
            VolumeDecision(status={**status, "phase": "Available"})
            if phase != "Available"
            else VolumeDecision()
        )
    if claim is not None:
        bound = (claim.get("spec") or {}).get("volumeName") == m.get("name")
        if bound and phase != "Bound":
            return VolumeDecision(status={"phase": "Bound"})
        return VolumeDecision()
    if not ref.get("uid"):  # pre-bound by hand to a claim that does not exist (yet)
        return (
            VolumeDecision(status={**status, "phase": "Available"})
            if phase != "Available"
            else VolumeDecision()
        )
    if phase in (None, "Pending", "Available", "Bound"):
        return VolumeDecision(status={"phase": "Released"})
    if phase != "Released":
        return VolumeDecision()
    policy = spec.get("persistentVolumeReclaimPolicy") or "Retain"
    if policy == "Delete":
        if provisioned_by_minik(pv):
            return VolumeDecision(delete=True)
        msg = (
            f'minik deletes only the volumes it provisioned; the host directory of volume "{m.get("name")}" '
            "is kept"
        )
        return VolumeDecision(
            status={"phase": "Failed", "message": msg},
            events=(ControllerEvent("Warning", "VolumeFailedDelete", msg),),
        )
    return VolumeDecision()


@dataclass(frozen=True)
class PodVolumes:
    """The VolumeBinding plugin's answer for a pod on minik's one node."""

    problem: str | None = None
    """Why the pod cannot be scheduled (held with FailedScheduling), as ``volume_binding.go`` words it."""
    select: tuple[str, ...] = ()
    """Unbound WaitForFirstConsumer claims to annotate with the chosen node (PreBind)."""
    ready: bool = True
    """Every claim is bound: the pod may be bound to the node."""


def pod_volumes(pod: Obj, claims: Mapping[str, Obj], classes: list[Obj]) -> PodVolumes:
    """Whether ``pod``'s claims let it be scheduled (``claims``: its namespace's, by name)."""
    select: list[str] = []
    unbound_immediate = False
    ready = True
    for name in claim_names(pod):
        claim = claims.get(name)
        if claim is None:
            return PodVolumes(problem=f'persistentvolumeclaim "{name}" not found', ready=False)
        spec, status = claim.get("spec") or {}, claim.get("status") or {}
        if status.get("phase") == "Lost":
            volume = spec.get("volumeName")
            why = f'persistentvolumeclaim "{name}" bound to non-existent persistentvolume "{volume}"'
            return PodVolumes(problem=why, ready=False)
        if meta(claim).get("deletionTimestamp"):
            return PodVolumes(problem=f'persistentvolumeclaim "{name}" is being deleted', ready=False)
        if status.get("phase") == "Bound":
            continue
        ready = False
        sc = next((c for c in classes if meta(c).get("name") == spec.get("storageClassName")), None)
        if sc is None or sc.get("volumeBindingMode") != WFFC or spec.get("volumeName"):
            unbound_immediate = True
        elif (meta(claim).get("annotations") or {}).get(SELECTED_NODE) != NODE_NAME:
            select.append(name)
    if unbound_immediate:
        return PodVolumes(problem="pod has unbound immediate PersistentVolumeClaims", ready=False)
    return PodVolumes(select=tuple(select), ready=ready)


def selected(claim: Obj) -> Obj:
    """``claim`` annotated with the node the scheduler chose for its first consumer."""
    out = copy.deepcopy(claim)
    meta(out).setdefault("annotations", {})[SELECTED_NODE] = NODE_NAME
    return out
