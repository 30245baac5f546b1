"""What the store does to storage objects on create: the DefaultStorageClass and
StorageObjectInUseProtection admission plugins and the create strategies
(``plugin/pkg/admission/storage/``, ``pkg/registry/core/persistentvolume*/strategy.go``), as specs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from minik.manifest import storage_admission as adm
from minik.registry import Registry

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
CLAIM = {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Registry]:
    s = Registry.open(tmp_path / "minik.db", clock=lambda: NOW)
    yield s
    s.close()


def test_a_new_instance_has_the_default_standard_class(store: Registry) -> None:
    (sc,) = store.list("storageclasses", None)[0]
    assert sc["metadata"]["name"] == "standard"
    assert sc["metadata"]["annotations"] == {adm.DEFAULT_ANNOTATION: "true"}
    assert (sc["provisioner"], sc["reclaimPolicy"], sc["volumeBindingMode"]) == (
        "rancher.io/local-path",
        "Delete",
        "WaitForFirstConsumer",
    )


def test_a_deleted_default_class_stays_deleted_across_restarts(tmp_path: Path) -> None:
    s = Registry.open(tmp_path / "minik.db", clock=lambda: NOW)
    s.delete("storageclasses", None, "standard")
    s.close()
    s = Registry.open(tmp_path / "minik.db", clock=lambda: NOW)
    assert s.list("storageclasses", None)[0] == []
    s.close()


def test_a_claim_without_a_class_gets_the_default_a_protection_finalizer_and_pending(store: Registry) -> None:
    created = store.create("persistentvolumeclaims", CLAIM)
    assert created["spec"]["storageClassName"] == "standard"
    assert created["metadata"]["finalizers"] == [adm.PVC_PROTECTION]
    assert created["status"] == {"phase": "Pending"}


def test_an_empty_class_name_means_no_class(store: Registry) -> None:
    created = store.create("persistentvolumeclaims", {**CLAIM, "spec": {"storageClassName": ""}})
    assert created["spec"]["storageClassName"] == ""


def test_without_a_default_class_the_claim_keeps_none(store: Registry) -> None:
    store.delete("storageclasses", None, "standard")
    assert "storageClassName" not in store.create("persistentvolumeclaims", CLAIM)["spec"]


def test_a_volume_gets_its_protection_finalizer_and_a_fresh_status(store: Registry) -> None:
    pv = {"metadata": {"name": "pv1"}, "spec": {}, "status": {"phase": "Bound"}}
    created = store.create("persistentvolumes", pv)
    assert created["metadata"]["finalizers"] == [adm.PV_PROTECTION]
    assert created["status"] == {"phase": "Pending"}
    assert "namespace" not in created["metadata"]


@pytest.mark.parametrize(
    ("name", "classes", "expected"),
    [
        ("no class is annotated: no default", [{"metadata": {"name": "a"}}], None),
        (
            "the beta annotation counts",
            [{"metadata": {"name": "b", "annotations": {adm.BETA_DEFAULT_ANNOTATION: "true"}}}],
            "b",
        ),
        (
            "of two defaults the newest wins",
            [
                {
                    "metadata": {
                        "name": "old",
                        "creationTimestamp": "2026-01-01T00:00:00Z",
                        "annotations": {adm.DEFAULT_ANNOTATION: "true"},
                    }
                },
                {
                    "metadata": {
                        "name": "new",
                        "creationTimestamp": "2026-02-01T00:00:00Z",
                        "annotations": {adm.DEFAULT_ANNOTATION: "true"},
                    }
                },
            ],
            "new",
        ),
    ],
)
def test_default_class(name: str, classes: list[dict], expected: str | None) -> None:
    got = adm.default_class(classes)
    assert (got["metadata"]["name"] if got else None) == expected


def test_an_event_about_a_volume_lives_in_default_and_names_no_namespace(store: Registry) -> None:
    pv = store.create("persistentvolumes", {"metadata": {"name": "pv1"}, "spec": {}})
    event = store.record_event(pv, type="Warning", reason="VolumeFailedDelete", message="m", component="c")
    assert event["metadata"]["namespace"] == "default"
    assert "namespace" not in event["involvedObject"]
    assert event["involvedObject"]["kind"] == "PersistentVolume"
