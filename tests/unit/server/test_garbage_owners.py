"""The garbage collector's executor over a real store: owners of every kind, each propagation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from minik.errors import NotFound
from minik.registry import Registry
from minik.server.garbage import collect
from minik.store import servicerange

TEST_SERVICE_RANGE = "10.96.0.0/24"  # the Service range a real start records from the instance network


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Registry]:
    s = Registry.open(tmp_path / "minik.db")
    servicerange.put(s.store, TEST_SERVICE_RANGE)
    yield s
    s.close()


def owned_by(owner: dict[str, Any], *, block: bool = False) -> list[dict[str, Any]]:
    m = owner["metadata"]
    return [{"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": m["name"], "uid": m["uid"],
             "blockOwnerDeletion": block}]  # fmt: skip


def service(store: Registry, name: str = "svc") -> dict[str, Any]:
    return store.create("services", {"metadata": {"name": name}, "spec": {"ports": [{"port": 80}]}})


def configmap(
    store: Registry, owner: dict[str, Any], *, block: bool = False, name: str = "cm"
) -> dict[str, Any]:
    return store.create(
        "configmaps", {"metadata": {"name": name, "ownerReferences": owned_by(owner, block=block)}}
    )


def gone(store: Registry, resource: str, name: str, namespace: str | None = "default") -> bool:
    try:
        store.get(resource, namespace, name)
    except NotFound:
        return True
    return False


def settle(store: Registry) -> None:
    for _ in range(5):
        if not collect(store):
            return


def test_a_background_delete_of_a_service_takes_its_configmap(store: Registry) -> None:
    configmap(store, service(store))
    store.delete("services", "default", "svc", propagation="Background")
    assert gone(store, "services", "svc") and not gone(store, "configmaps", "cm")
    settle(store)
    assert gone(store, "configmaps", "cm")


def test_an_orphan_delete_keeps_the_dependent_without_its_reference(store: Registry) -> None:
    configmap(store, service(store))
    store.delete("services", "default", "svc", propagation="Orphan")
    assert store.get("services", "default", "svc")["metadata"]["finalizers"] == ["orphan"]
    settle(store)
    assert gone(store, "services", "svc")
    assert "ownerReferences" not in store.get("configmaps", "default", "cm")["metadata"]


def test_a_foreground_delete_goes_once_its_blocking_dependents_are_gone(store: Registry) -> None:
    configmap(store, service(store), block=True)
    store.delete("services", "default", "svc", propagation="Foreground")
    assert store.get("services", "default", "svc")["metadata"]["finalizers"] == ["foregroundDeletion"]
    settle(store)
    assert gone(store, "configmaps", "cm") and gone(store, "services", "svc")


def test_a_claim_owned_by_a_deleted_pod_goes(store: Registry) -> None:
    pod = store.create("pods", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]},
                                "status": {"phase": "Succeeded"}})  # fmt: skip
    store.create("persistentvolumeclaims", {"metadata": {"name": "data", "ownerReferences": owned_by(pod)},
                                            "spec": {"accessModes": ["ReadWriteOnce"]}})  # fmt: skip
    store.delete("pods", "default", "p")
    assert gone(store, "pods", "p")
    settle(store)
    claim_gone = gone(store, "persistentvolumeclaims", "data")
    claim = None if claim_gone else store.get("persistentvolumeclaims", "default", "data")
    assert claim_gone or (
        claim is not None and claim["metadata"].get("deletionTimestamp")
    )  # pvc-protection may hold it


def test_a_dependent_keeps_living_while_any_owner_does(store: Registry) -> None:
    a, b = service(store, "a"), service(store, "b")
    store.create("configmaps", {"metadata": {"name": "cm", "ownerReferences": owned_by(a) + owned_by(b)}})
    store.delete("services", "default", "a", propagation="Background")
    settle(store)
    refs = store.get("configmaps", "default", "cm")["metadata"]["ownerReferences"]
    assert [r["name"] for r in refs] == ["b"]
