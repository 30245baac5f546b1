"""kubectl's columns and describe pages of the storage kinds (``printers.go`` printPersistentVolumeClaim,
printPersistentVolume, printStorageClass; ``describe.go`` describePersistentVolumeClaim, describePersistentVolume,
StorageClassDescriber), as kubectl 1.32 prints them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from minik.cli import describe_storage, printers
from minik.cli.kinds import PVCS, PVS, STORAGECLASSES
from minik.manifest.storage_admission import DEFAULT_CLASS
from minik.printing.columns_storage import access_modes, quantity

from .objects import T0, at

NOW = T0 + timedelta(seconds=90)
CLAIM = {
    "metadata": {
        "name": "data",
        "namespace": "default",
        "creationTimestamp": at(0),
        "finalizers": ["kubernetes.io/pvc-protection"],
    },
    "spec": {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "1Gi"}},
        "storageClassName": "standard",
        "volumeMode": "Filesystem",
        "volumeName": "pvc-1",
    },
    "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1024Mi"}},
}
VOLUME = {
    "metadata": {
        "name": "pvc-1",
        "creationTimestamp": at(0),
        "annotations": {"pv.kubernetes.io/provisioned-by": "rancher.io/local-path"},
    },
    "spec": {
        "capacity": {"storage": "1Gi"},
        "accessModes": ["ReadWriteOnce"],
        "persistentVolumeReclaimPolicy": "Delete",
        "storageClassName": "standard",
        "volumeMode": "Filesystem",
        "claimRef": {"namespace": "default", "name": "data"},
        "hostPath": {"path": "/var/lib/docker/volumes/v/_data", "type": "DirectoryOrCreate"},
    },
    "status": {"phase": "Bound"},
}


def test_get_pvc_has_kubectl_1_32_columns() -> None:
    assert printers.render_table(PVCS, [CLAIM], NOW).splitlines() == [
        "NAME   STATUS   VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE",
        "data   Bound    pvc-1    1Gi        RWO            standard       <unset>                 90s",
    ]


def test_a_pending_claim_shows_no_capacity_and_a_deleting_one_terminating() -> None:
    pending = {**CLAIM, "spec": {**CLAIM["spec"], "volumeName": None}, "status": {"phase": "Pending"}}
    deleting = {**CLAIM, "metadata": {**CLAIM["metadata"], "deletionTimestamp": at(80)}}
    lines = printers.render_table(PVCS, [pending, deleting], NOW, wide=True).splitlines()
    assert lines[0].split()[-1] == "VOLUMEMODE"
    assert lines[1].split() == ["data", "Pending", "standard", "<unset>", "90s", "Filesystem"]
    assert lines[2].split()[1] == "Terminating"


def test_get_pv_and_storageclass_columns() -> None:
    assert printers.render_table(PVS, [VOLUME], NOW).splitlines() == [
        "NAME    CAPACITY   ACCESS MODES   RECLAIM POLICY   STATUS   CLAIM          STORAGECLASS   VOLUMEATTRIBUTESCLASS   REASON   AGE",
        "pvc-1   1Gi        RWO            Delete           Bound    default/data   standard       <unset>                          90s",
    ]
    sc = {**DEFAULT_CLASS, "metadata": {**DEFAULT_CLASS["metadata"], "creationTimestamp": at(0)}}
    assert printers.render_table(STORAGECLASSES, [sc], NOW).splitlines() == [
        "NAME                 PROVISIONER             RECLAIMPOLICY   VOLUMEBINDINGMODE      ALLOWVOLUMEEXPANSION   AGE",
        "standard (default)   rancher.io/local-path   Delete          WaitForFirstConsumer   false                  90s",
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("1Gi", "1Gi"),
        ("1024Mi", "1Gi"),
        ("1536Mi", "1536Mi"),
        ("1000M", "1G"),
        ("5", "5"),
        ("0", "0"),
        ("1.5Gi", "1536Mi"),  # String() of a whole binary value: the largest exact power of 1024
        ("2.5", "2.5"),  # not whole: as given
    ],
)
def test_quantities_print_canonically(value: str, shown: str) -> None:
    assert quantity(value) == shown


def test_access_modes_in_upstreams_order() -> None:
    assert access_modes(["ReadWriteMany", "ReadOnlyMany", "ReadWriteOnce"]) == "RWO,ROX,RWX"


def test_describe_pvc_lists_the_pods_using_it() -> None:
    pod = {
        "metadata": {"name": "writer-x"},
        "spec": {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]},
    }
    page = describe_storage.describe_claim(CLAIM, [], NOW, [pod, {"metadata": {"name": "other"}, "spec": {}}])
    assert page.splitlines() == [
        "Name:          data",
        "Namespace:     default",
        "StorageClass:  standard",
        "Status:        Bound",
        "Volume:        pvc-1",
        "Labels:        <none>",
        "Annotations:   <none>",
        "Finalizers:    [kubernetes.io/pvc-protection]",
        "Capacity:      1Gi",
        "Access Modes:  RWO",
        "VolumeMode:    Filesystem",
        "Used By:       writer-x",
        "Events:        <none>",
    ]


def test_describe_pv_shows_its_host_path_source() -> None:
    page = describe_storage.describe_volume(VOLUME, None, NOW)
    assert "Claim:           default/data\n" in page
    assert "Reclaim Policy:  Delete\n" in page
    assert page.endswith(
        "Source:\n"
        "    Type:          HostPath (bare host directory volume)\n"
        "    Path:          /var/lib/docker/volumes/v/_data\n"
        "    HostPathType:  DirectoryOrCreate\n"
    )


def test_describe_storageclass() -> None:
    assert describe_storage.describe_storage_class(DEFAULT_CLASS, [], NOW).splitlines() == [
        "Name:                  standard",
        "IsDefaultClass:        Yes",
        "Annotations:           storageclass.kubernetes.io/is-default-class=true",
        "Provisioner:           rancher.io/local-path",
        "Parameters:            <none>",
        "AllowVolumeExpansion:  <unset>",
        "MountOptions:          <none>",
        "ReclaimPolicy:         Delete",
        "VolumeBindingMode:     WaitForFirstConsumer",
        "Events:                <none>",
    ]
