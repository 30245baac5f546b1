"""Storage kinds: validation (``ValidatePersistentVolumeClaim``, ``ValidatePersistentVolume`` in
``pkg/apis/core/validation/validation.go``, ``ValidateStorageClass`` in
``pkg/apis/storage/validation/validation.go``), defaults, and minik's support layer, as specs."""

from __future__ import annotations

from typing import Any

import pytest

from minik import manifest


def _object(api_version: str, kind: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}, **body}


def pvc(**spec: Any) -> dict[str, Any]:
    base = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    return _object("v1", "PersistentVolumeClaim", "data", {"spec": {**base, **spec}})


def pv(**spec: Any) -> dict[str, Any]:
    base = {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/mnt/d"}}
    return _object("v1", "PersistentVolume", "pv1", {"spec": {**base, **spec}})


def sc(**fields: Any) -> dict[str, Any]:
    return _object(
        "storage.k8s.io/v1", "StorageClass", "fast", {"provisioner": "rancher.io/local-path", **fields}
    )


def rendered(obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    new = manifest.default_object(obj)
    errors, _ = manifest.validate_object(new, old=manifest.default_object(old) if old else None)
    return [f"{e.path}: {e.body()}" for e in errors]


def warned(obj: dict[str, Any]) -> list[str]:
    _, warnings = manifest.validate_object(manifest.default_object(obj))
    return [w.path for w in warnings]


CASES = [
    ("a claim with modes and a size is valid", pvc(), []),
    (
        "a claim needs an access mode",
        pvc(accessModes=[]),
        ["spec.accessModes: Required value: at least 1 access mode is required"],
    ),
    (
        "a claim's access mode must be a known one",
        pvc(accessModes=["ReadWriteSometimes"]),
        [
            'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", '
            '"ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"'
        ],
    ),
    (
        "ReadWriteOncePod stands alone",
        pvc(accessModes=["ReadWriteOncePod", "ReadWriteOnce"]),
        ["spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"],
    ),
    ("a claim needs a storage request", pvc(resources={}), ["spec.resources[storage]: Required value"]),
    (
        "a claim's storage request must be positive",
        pvc(resources={"requests": {"storage": "0"}}),
        ['spec.resources.requests[storage]: Invalid value: "0": must be greater than zero'],
    ),
    ("a hostPath volume is valid", pv(), []),
    (
        "a volume needs a source",
        {**pv(), "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"]}},
        ["spec: Required value: must specify a volume type"],
    ),
    (
        "a volume's hostPath may not climb out",
        pv(hostPath={"path": "/mnt/../etc"}),
        ["spec.hostPath.path: Invalid value: \"/mnt/../etc\": must not contain '..'"],
    ),
    (
        "a local volume needs node affinity",
        {
            **pv(),
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "local": {"path": "/x"},
            },
        },
        ["spec.nodeAffinity: Required value: Local volume requires node affinity"],
    ),
    (
        "an nfs volume is a cluster's business",
        {
            **pv(),
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteMany"],
                "nfs": {"server": "s", "path": "/"},
            },
        },
        [
            "spec.nfs: Unsupported by minik: minik does not implement nfs persistent volumes: they need a "
            "storage system that a cluster node mounts"
        ],
    ),
    (
        "Recycle is not implemented",
        pv(persistentVolumeReclaimPolicy="Recycle"),
        [
            "spec.persistentVolumeReclaimPolicy: Unsupported by minik: minik does not implement the Recycle "
            "reclaim policy (deprecated upstream: use Delete and dynamic provisioning)"
        ],
    ),
    ("a class with a provisioner is valid", sc(), []),
    ("a class needs a provisioner", sc(provisioner=""), ["provisioner: Required value"]),
    (
        "a class's binding mode is one of two",
        sc(volumeBindingMode="Later"),
        [
            'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"'
        ],
    ),
    (
        "a class's reclaim policy is Delete or Retain",
        sc(reclaimPolicy="Recycle"),
        ['reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"'],
    ),
]


@pytest.mark.parametrize(("name", "obj", "expected"), CASES, ids=[c[0] for c in CASES])
def test_storage_validation(name: str, obj: dict[str, Any], expected: list[str]) -> None:
    assert rendered(obj) == expected


def test_defaults_are_the_api_servers() -> None:
    assert manifest.default_object(pvc())["spec"]["volumeMode"] == "Filesystem"
    spec = manifest.default_object(pv())["spec"]
    assert (spec["persistentVolumeReclaimPolicy"], spec["volumeMode"]) == ("Retain", "Filesystem")
    cls = manifest.default_object(sc())
    assert (cls["reclaimPolicy"], cls["volumeBindingMode"]) == ("Delete", "Immediate")
    assert manifest.default_object(pvc())["metadata"]["namespace"] == "default"


UPDATES = [
    ("a claim's size may grow", pvc(resources={"requests": {"storage": "2Gi"}}), pvc(), []),
    ("a claim is bound once (volumeName set)", pvc(volumeName="pv1"), pvc(), []),
    (
        "a claim's access modes are immutable",
        pvc(accessModes=["ReadWriteMany"]),
        pvc(),
        [
            "spec: Forbidden: spec is immutable after creation except resources.requests and "
            "volumeAttributesClassName for bound claims"
        ],
    ),
    (
        "a class's provisioner is immutable",
        sc(provisioner="other.example.com"),
        sc(),
        ["provisioner: Forbidden: updates to provisioner are forbidden."],
    ),
    (
        "a volume's source is immutable",
        pv(hostPath={"path": "/mnt/e"}),
        pv(),
        ["spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation"],
    ),
]


@pytest.mark.parametrize(("name", "new", "old", "expected"), UPDATES, ids=[c[0] for c in UPDATES])
def test_storage_updates(name: str, new: dict[str, Any], old: dict[str, Any], expected: list[str]) -> None:
    assert rendered(new, old) == expected


def test_placement_and_foreign_provisioners_are_warnings() -> None:
    assert warned(sc(provisioner="ebs.csi.aws.com", parameters={"type": "gp3"})) == [
        "parameters",
        "provisioner",
    ]
    assert warned(sc(provisioner="kubernetes.io/no-provisioner")) == []
    assert warned(sc()) == []


def test_a_pod_claim_volume_needs_a_claim_name() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "containers": [{"name": "c", "image": "busybox"}],
            "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": ""}}],
        },
    }
    assert rendered(pod) == ["spec.volumes[0].persistentVolumeClaim.claimName: Required value"]
    pod["spec"]["volumes"][0]["persistentVolumeClaim"] = {"claimName": "data", "readOnly": True}
    assert rendered(pod) == []


def test_a_removed_storage_version_names_the_current_one() -> None:
    old = {**sc(), "apiVersion": "storage.k8s.io/v1beta1"}
    (line,) = rendered(old)
    assert 'no matches for kind "StorageClass" in version "storage.k8s.io/v1beta1"' in line
    assert "storage.k8s.io/v1" in line
