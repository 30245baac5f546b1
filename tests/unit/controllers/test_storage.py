"""The persistent-volume controller and provisioner (minik.controllers.storage): table tests named like specs.

Upstream's rules: ``pkg/controller/volume/persistentvolume/pv_controller.go``
(syncClaim, syncVolume), ``index.go`` (findBestMatchForClaim),
``pkg/controller/volume/pvcprotection`` and the scheduler's
``pkg/scheduler/framework/plugins/volumebinding/volume_binding.go``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minik.controllers import storage
from minik.manifest.storage_admission import DEFAULT_CLASS, PV_PROTECTION, PVC_PROTECTION

NOW = "2026-12-01T20:00:00Z"
STANDARD = copy.deepcopy(DEFAULT_CLASS)
IMMEDIATE = {
    "metadata": {"name": "fast"},
    "provisioner": "rancher.io/local-path",
    "reclaimPolicy": "Retain",
    "volumeBindingMode": "Immediate",
}
EXTERNAL = {"metadata": {"name": "ebs"}, "provisioner": "ebs.csi.aws.com", "volumeBindingMode": "Immediate"}
CLASSES = [STANDARD, IMMEDIATE, EXTERNAL]


def _stored(kind: str, metadata: dict[str, Any], spec: dict[str, Any], phase: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "metadata": metadata, "spec": spec, "status": {"phase": phase}}


def claim(
    name: str = "data",
    *,
    cls: str | None = "standard",
    size: str = "1Gi",
    modes: tuple[str, ...] = ("ReadWriteOnce",),
    volume: str | None = None,
    phase: str = "Pending",
    selected: bool = False,
    deleting: bool = False,
    selector: dict[str, Any] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": list(modes), "resources": {"requests": {"storage": size}}}
    if cls is not None:
        spec["storageClassName"] = cls
    if volume:
        spec["volumeName"] = volume
    if selector:
        spec["selector"] = selector
    m: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "uid": f"uid-{name}",
        "finalizers": [PVC_PROTECTION],
    }
    if selected:
        m["annotations"] = {storage.SELECTED_NODE: "minik"}
    if deleting:
        m["deletionTimestamp"] = NOW
    return _stored("PersistentVolumeClaim", m, spec, phase)


def volume(
    name: str = "pv1",
    *,
    cls: str = "manual",
    size: str = "5Gi",
    modes: tuple[str, ...] = ("ReadWriteOnce",),
    ref: dict[str, Any] | None = None,
    phase: str = "Available",
    policy: str = "Retain",
    provisioned: bool = False,
    labels: dict[str, str] | None = None,
    deleting: bool = False,
) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name, "finalizers": [PV_PROTECTION], "labels": labels or {}}
    if provisioned:
        m["annotations"] = {storage.PROVISIONED_BY: "rancher.io/local-path"}
    if deleting:
        m["deletionTimestamp"] = NOW
    spec: dict[str, Any] = {
        "capacity": {"storage": size},
        "accessModes": list(modes),
        "storageClassName": cls,
        "persistentVolumeReclaimPolicy": policy,
        "hostPath": {"path": f"/mnt/{name}"},
    }
    if ref is not None:
        spec["claimRef"] = ref
    return _stored("PersistentVolume", m, spec, phase)


def pod(*claims: str, phase: str = "Running", node: str | None = "minik") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [{"name": "c", "image": "busybox"}],
        "volumes": [
            {"name": f"v{i}", "persistentVolumeClaim": {"claimName": c}} for i, c in enumerate(claims)
        ],
    }
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": "p", "namespace": "default"}, "spec": spec, "status": {"phase": phase}}


REF = {"kind": "PersistentVolumeClaim", "namespace": "default", "name": "data", "uid": "uid-data"}


def outcome(d: storage.ClaimDecision) -> str:
    if d.provision is not None:
        return "provision"
    if d.claim is not None and d.claim["metadata"].get("finalizers") == []:
        return "release finalizer"
    if d.claim is not None and (d.claim.get("spec") or {}).get("volumeName"):
        return f"bind {d.claim['spec']['volumeName']}"
    if d.bind is not None:
        return f"point {d.bind['metadata']['name']}"
    if d.status is not None:
        return f"status {d.status['phase']}"
    return "wait: " + ",".join(reason for _, reason, _ in d.events)


# A class named in claims and volumes without a StorageClass object ("manual") is common: with no
# matching volume, upstream's findProvisionablePlugin fails and says so as ProvisioningFailed.
CLAIM_CASES = [
    ("a WaitForFirstConsumer claim no pod uses waits", claim(), [], [], "wait: WaitForFirstConsumer"),
    ("a WaitForFirstConsumer claim given the node is provisioned", claim(selected=True), [], [], "provision"),
    ("an Immediate claim is provisioned at once", claim(cls="fast"), [], [], "provision"),
    (
        "a claim of a class with another provisioner waits for it",
        claim(cls="ebs"),
        [],
        [],
        "wait: ExternalProvisioning",
    ),
    (
        "a claim of a missing class fails to provision",
        claim(cls="gold"),
        [],
        [],
        "wait: ProvisioningFailed",
    ),
    (
        "a claim with no class and no volume waits",
        claim(cls=""),
        [],
        [],
        "wait: FailedBinding",
    ),
    (
        "a claim is bound to the volume provisioned for it",
        claim(selected=True),
        [volume("pvc-uid-data", cls="standard", ref=REF, phase="Pending", provisioned=True)],
        [],
        "bind pvc-uid-data",
    ),
    (
        "a static volume of the claim's class, big enough, is bound",
        claim(cls="manual"),
        [volume()],
        [],
        "bind pv1",
    ),
    (
        "the smallest matching static volume wins",
        claim(cls="manual"),
        [volume("big", size="100Gi"), volume("small", size="2Gi"), volume("tiny", size="512Mi")],
        [],
        "bind small",
    ),
    (
        "a volume of another class is not bound",
        claim(cls="manual"),
        [volume(cls="other")],
        [],
        "wait: ProvisioningFailed",
    ),
    (
        "a volume lacking an access mode is not bound",
        claim(cls="manual", modes=("ReadWriteMany",)),
        [volume()],
        [],
        "wait: ProvisioningFailed",
    ),
    (
        "a volume outside the claim's selector is not bound",
        claim(cls="manual", selector={"matchLabels": {"tier": "fast"}}),
        [volume(labels={"tier": "slow"}), volume("pv2", labels={"tier": "fast"})],
        [],
        "bind pv2",
    ),
    (
        "a volume bound to another claim is not taken",
        claim(cls="manual"),
        [volume(ref={**REF, "name": "other", "uid": "uid-other"}, phase="Bound")],
        [],
        "wait: ProvisioningFailed",
    ),
    (
        "a volume pre-bound to the claim by name wins over a smaller one",
        claim(cls="manual"),
        [
            volume("small", size="1Gi"),
            volume("named", size="9Gi", ref={"namespace": "default", "name": "data"}),
        ],
        [],
        "bind named",
    ),
    (
        "a claim naming its volume points the volume at itself",
        claim(cls="manual", volume="pv1"),
        [volume()],
        [],
        "point pv1",
    ),
    (
        "a bound claim whose volume is gone is Lost",
        claim(volume="pvc-gone", phase="Bound"),
        [],
        [],
        "status Lost",
    ),
    (
        "a deleted claim no running pod uses loses its protection finalizer",
        claim(deleting=True, phase="Bound", volume="pv1"),
        [],
        [pod("data", phase="Succeeded")],
        "release finalizer",
    ),
    (
        "a deleted claim a running pod uses keeps its finalizer (Terminating)",
        claim(deleting=True, phase="Bound", volume="pv1"),
        [],
        [pod("data")],
        "wait: ",
    ),
]


@pytest.mark.parametrize(
    ("name", "pvc", "volumes", "pods", "expected"), CLAIM_CASES, ids=[c[0] for c in CLAIM_CASES]
)
def test_claim(name: str, pvc: Any, volumes: Any, pods: Any, expected: str) -> None:
    before = copy.deepcopy((pvc, volumes, pods))
    assert outcome(storage.sync_claim(pvc, volumes, CLASSES, pods)) == expected
    assert (pvc, volumes, pods) == before, "sync_claim must not mutate its inputs"


def test_a_provisioned_volume_carries_the_claim_and_the_class_policy() -> None:
    d = storage.sync_claim(claim(cls="fast", size="3Gi"), [], CLASSES, [])
    assert d.provision is not None
    pv = d.provision
    assert pv["metadata"]["name"] == "pvc-uid-data"
    assert pv["metadata"]["annotations"] == {storage.PROVISIONED_BY: "rancher.io/local-path"}
    assert pv["spec"]["claimRef"]["uid"] == "uid-data"
    assert pv["spec"]["capacity"] == {"storage": "3Gi"}
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pv["spec"]["storageClassName"] == "fast"
    assert [r for _, r, _ in d.events] == ["Provisioning", "ProvisioningSucceeded"]
    assert d.claim is not None
    assert d.claim["metadata"]["annotations"][storage.STORAGE_PROVISIONER] == "rancher.io/local-path"


def test_a_bound_claim_takes_the_volume_capacity_and_modes() -> None:
    d = storage.sync_claim(claim(cls="manual", size="1Gi"), [volume(size="5Gi")], CLASSES, [])
    assert d.status == {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "5Gi"}}
    assert d.bind is not None and d.bind["spec"]["claimRef"]["uid"] == "uid-data"


def vphase(d: storage.VolumeDecision) -> str:
    if d.delete:
        return "delete"
    if d.volume is not None:
        return "release finalizer"
    return (d.status or {}).get("phase", "unchanged")


VOLUME_CASES = [
    ("a new volume with no claim is Available", volume(phase="Pending"), [], "Available"),
    (
        "a volume whose claim points at it is Bound",
        volume(ref=REF, phase="Pending"),
        [claim(volume="pv1")],
        "Bound",
    ),
    ("a volume whose claim is gone is Released", volume(ref=REF, phase="Bound"), [], "Released"),
    (
        "a volume whose claim was recreated (new uid) is Released",
        volume(ref=REF, phase="Bound"),
        [{**claim(), "metadata": {**claim()["metadata"], "uid": "uid-new"}}],
        "Released",
    ),
    ("a Released volume with Retain is kept", volume(ref=REF, phase="Released"), [], "unchanged"),
    (
        "a Released volume minik provisioned with Delete is deleted",
        volume(ref=REF, phase="Released", policy="Delete", provisioned=True),
        [],
        "delete",
    ),
    (
        "a Released host-directory volume with Delete fails: minik never deletes host directories",
        volume(ref=REF, phase="Released", policy="Delete"),
        [],
        "Failed",
    ),
    (
        "a volume pre-bound by name to a claim not created yet stays Available",
        volume(ref={"namespace": "default", "name": "later"}, phase="Pending"),
        [],
        "Available",
    ),
    (
        "a deleted volume not bound loses its protection finalizer",
        volume(deleting=True),
        [],
        "release finalizer",
    ),
    (
        "a deleted volume still bound keeps its finalizer",
        volume(deleting=True, ref=REF, phase="Bound"),
        [claim(volume="pv1", phase="Bound")],
        "unchanged",
    ),
]


@pytest.mark.parametrize(("name", "pv", "claims", "expected"), VOLUME_CASES, ids=[c[0] for c in VOLUME_CASES])
def test_volume(name: str, pv: Any, claims: Any, expected: str) -> None:
    before = copy.deepcopy((pv, claims))
    assert vphase(storage.sync_volume(pv, claims)) == expected
    assert (pv, claims) == before


def bound(name: str = "data") -> dict[str, Any]:
    return claim(name, phase="Bound", volume=f"pvc-{name}")


POD_CASES = [
    (
        "a pod whose claims are bound may be scheduled",
        pod("data", node=None),
        {"data": bound()},
        (None, (), True),
    ),
    (
        "a pod whose claim does not exist is unschedulable",
        pod("data", node=None),
        {},
        ('persistentvolumeclaim "data" not found', (), False),
    ),
    (
        "a pod whose claim is being deleted is unschedulable",
        pod("data", node=None),
        {"data": claim(deleting=True)},
        ('persistentvolumeclaim "data" is being deleted', (), False),
    ),
    (
        "a pod with an unbound Immediate claim is unschedulable",
        pod("data", node=None),
        {"data": claim(cls="fast")},
        ("pod has unbound immediate PersistentVolumeClaims", (), False),
    ),
    (
        "a pod with an unbound WaitForFirstConsumer claim selects the node for it",
        pod("data", node=None),
        {"data": claim()},
        (None, ("data",), False),
    ),
    (
        "a pod whose WaitForFirstConsumer claim is being provisioned waits quietly",
        pod("data", node=None),
        {"data": claim(selected=True)},
        (None, (), False),
    ),
    (
        "a pod with a Lost claim is unschedulable",
        pod("data", node=None),
        {"data": claim(phase="Lost", volume="pv9")},
        ('persistentvolumeclaim "data" bound to non-existent persistentvolume "pv9"', (), False),
    ),
]


@pytest.mark.parametrize(("name", "p", "claims", "expected"), POD_CASES, ids=[c[0] for c in POD_CASES])
def test_pod_volumes(name: str, p: Any, claims: Any, expected: Any) -> None:
    got = storage.pod_volumes(p, claims, CLASSES)
    assert (got.problem, got.select, got.ready) == expected


def test_selected_marks_the_claim_with_the_node_without_touching_the_input() -> None:
    pvc = claim()
    out = storage.selected(pvc)
    assert out["metadata"]["annotations"] == {storage.SELECTED_NODE: "minik"}
    assert "annotations" not in pvc["metadata"]


def test_in_use_counts_only_pods_of_the_namespace_that_are_not_terminal() -> None:
    pvc = claim()
    elsewhere = {**pod("data"), "metadata": {"name": "q", "namespace": "other"}}
    assert not storage.in_use(pvc, [elsewhere, pod("data", phase="Failed"), pod("other")])
    assert storage.in_use(pvc, [pod("data", phase="Pending", node=None)])
