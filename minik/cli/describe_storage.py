"""``describe`` of PersistentVolumeClaims, PersistentVolumes and StorageClasses, pure, laid out like kubectl.

Mirrors ``describePersistentVolumeClaim``, ``describePersistentVolume`` and
``StorageClassDescriber`` of kubectl's ``pkg/describe/describe.go``, through
the same tabwriter emulation as :mod:`minik.cli.describe`. Input: the
object, its events and (for a claim) the pods of its namespace; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from minik.cli.describe import _annotations, _events, _labels
from minik.cli.describe_access import go_list
from minik.cli.durations import since
from minik.cli.tabwriter import PrefixWriter
from minik.k8s import Obj, meta
from minik.printing.columns_storage import access_modes, is_default, quantity

DESCRIBED = ("persistentvolumeclaims", "persistentvolumes", "storageclasses")


def _status(obj: Obj, now: datetime) -> str:
    deleting = meta(obj).get("deletionTimestamp")
    if deleting:
        return f"Terminating (lasts {since(deleting, now)})"
    return str((obj.get("status") or {}).get("phase") or "")


def _used_by(pvc: Obj, pods: Sequence[Obj]) -> list[str]:
    name = meta(pvc).get("name")
    out = []
    for pod in pods:
        for v in (pod.get("spec") or {}).get("volumes") or []:
            if (v.get("persistentVolumeClaim") or {}).get("claimName") == name:
                out.append(str(meta(pod).get("name")))
                break
    return sorted(out)


def describe_claim(pvc: Obj, events: Sequence[Obj] | None, now: datetime, pods: Sequence[Obj] = ()) -> str:
    w = PrefixWriter()
    m, spec, status = meta(pvc), pvc.get("spec") or {}, pvc.get("status") or {}
    w.write(0, f"Name:\t{m.get('name', '')}\n")
    w.write(0, f"Namespace:\t{m.get('namespace', '')}\n")
    w.write(0, f"StorageClass:\t{spec.get('storageClassName') or ''}\n")
    w.write(0, f"Status:\t{_status(pvc, now)}\n")
    w.write(0, f"Volume:\t{spec.get('volumeName') or ''}\n")
    _labels(w, "Labels", m.get("labels"))
    _annotations(w, "Annotations", m.get("annotations"))
    w.write(0, f"Finalizers:\t{go_list(m.get('finalizers'))}\n")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(status.get("accessModes"))
        capacity = quantity((status.get("capacity") or {}).get("storage"))
    w.write(0, f"Capacity:\t{capacity}\n")
    w.write(0, f"Access Modes:\t{modes}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    users = _used_by(pvc, pods)
    w.write(0, "Used By:\t")
    if not users:
        w.write(0, "<none>\n")
    for i, name in enumerate(users):
        w.write(0, f"{chr(9) if i else ''}{name}\n")
    if events is not None:
        _events(w, events, now)
    return w.getvalue()


def _source(w: PrefixWriter, spec: Obj) -> None:
    w.write(0, "Source:\n")
    if spec.get("hostPath") is not None:
        hp = spec["hostPath"] or {}
        w.write(2, "Type:\tHostPath (bare host directory volume)\n")
        w.write(0, f"    Path:\t{hp.get('path', '')}\n    HostPathType:\t{hp.get('type') or ''}\n")
    elif spec.get("local") is not None:
        w.write(2, "Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n")
        w.write(0, f"    Path:\t{(spec['local'] or {}).get('path', '')}\n")
    else:
        w.write(2, "<unknown>\n")


def describe_volume(pv: Obj, events: Sequence[Obj] | None, now: datetime) -> str:
    w = PrefixWriter()
    m, spec, status = meta(pv), pv.get("spec") or {}, pv.get("status") or {}
    w.write(0, f"Name:\t{m.get('name', '')}\n")
    _labels(w, "Labels", m.get("labels"))
    _annotations(w, "Annotations", m.get("annotations"))
    w.write(0, f"Finalizers:\t{go_list(m.get('finalizers'))}\n")
    w.write(0, f"StorageClass:\t{spec.get('storageClassName') or ''}\n")
    w.write(0, f"Status:\t{_status(pv, now)}\n")
    ref = spec.get("claimRef")
    w.write(0, f"Claim:\t{ref.get('namespace', '')}/{ref.get('name', '')}\n" if ref else "Claim:\t\n")
    w.write(0, f"Reclaim Policy:\t{spec.get('persistentVolumeReclaimPolicy') or ''}\n")
    w.write(0, f"Access Modes:\t{access_modes(spec.get('accessModes'))}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    w.write(0, f"Capacity:\t{quantity((spec.get('capacity') or {}).get('storage'))}\n")
    w.write(0, "Node Affinity:\t" + ("<none>\n" if not spec.get("nodeAffinity") else "\n"))
    w.write(0, f"Message:\t{status.get('message') or ''}\n")
    _source(w, spec)
    if events is not None:
        _events(w, events, now)
    return w.getvalue()


def _format_map(values: dict[str, str] | None) -> str:
    """apimachinery's ``labels.FormatLabels``: ``a=b,c=d`` sorted, ``<none>`` when empty."""
    if not values:
        return "<none>"
    return ",".join(f"{k}={values[k]}" for k in sorted(values))


def describe_storage_class(sc: Obj, events: Sequence[Obj] | None, now: datetime) -> str:
    w = PrefixWriter()
    m = meta(sc)
    w.write(0, f"Name:\t{m.get('name', '')}\n")
    w.write(0, f"IsDefaultClass:\t{'Yes' if is_default(sc) else 'No'}\n")
    w.write(0, f"Annotations:\t{_format_map(m.get('annotations'))}\n")  # all of them, as kubectl prints them
    w.write(0, f"Provisioner:\t{sc.get('provisioner') or ''}\n")
    w.write(0, f"Parameters:\t{_format_map(sc.get('parameters'))}\n")
    expand = sc.get("allowVolumeExpansion")
    w.write(0, f"AllowVolumeExpansion:\t{'<unset>' if expand is None else str(expand).lower()}\n")
    w.write(0, f"MountOptions:\t{', '.join(sc.get('mountOptions') or []) or '<none>'}\n")
    w.write(0, f"ReclaimPolicy:\t{sc.get('reclaimPolicy') or ''}\n")
    w.write(0, f"VolumeBindingMode:\t{sc.get('volumeBindingMode') or ''}\n")
    if events is not None:
        _events(w, events, now)
    return w.getvalue()


def describe_object(
    plural: str, obj: Obj, events: Sequence[Obj] | None, now: datetime, pods: Sequence[Obj] = ()
) -> str:
    """The page for one object of a :data:`DESCRIBED` resource."""
    if plural == "persistentvolumeclaims":
        return describe_claim(obj, events, now, pods)
    if plural == "persistentvolumes":
        return describe_volume(obj, events, now)
    return describe_storage_class(obj, events, now)
