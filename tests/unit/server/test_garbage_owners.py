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


def namespace(store: Registry, name: str = "owner-ns") -> dict[str, Any]:
    return store.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def event(store: Registry, name: str = "ev") -> dict[str, Any]:
    body = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"}, "reason": "R"}  # fmt: skip
    return store.create("events", body)


def test_a_configmap_owned_by_a_live_namespace_is_kept(store: Registry) -> None:
    """Namespaces were not looked up as owners: their dependents dangled and were deleted (issue 30)."""
    owner = namespace(store)
    configmap(store, {**owner, "apiVersion": "v1", "kind": "Namespace"})
    settle(store)
    assert not gone(store, "configmaps", "cm")


def test_a_configmap_owned_by_a_live_event_is_kept_and_goes_with_it(store: Registry) -> None:
    owner = event(store)
    configmap(store, {**owner, "apiVersion": "v1", "kind": "Event"})
    settle(store)
    assert not gone(store, "configmaps", "cm")
    store.delete("events", "default", "ev", propagation="Background")
    settle(store)
    assert gone(store, "configmaps", "cm")


def test_an_event_deleted_in_the_foreground_goes_once_its_blocking_dependent_is_gone(store: Registry) -> None:
    """An Event's foregroundDeletion finalizer was never removed: it stayed forever (issue 30)."""
    owner = event(store)
    configmap(store, {**owner, "apiVersion": "v1", "kind": "Event"}, block=True)
    store.delete("events", "default", "ev", propagation="Foreground")
    assert not gone(store, "events", "ev")
    for _ in range(5):
        if not collect(store, events=True):
            break
    assert gone(store, "configmaps", "cm") and gone(store, "events", "ev")


@pytest.mark.parametrize("resource", ["cronjobs", "jobs"])
def test_an_orphaning_delete_of_a_job_or_cronjob_keeps_its_configmap(store: Registry, resource: str) -> None:
    """Their own planner removed the orphan finalizer first, so the ConfigMap dangled (issue 30)."""
    spec = {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "b"}]}}}
    body: dict[str, Any] = {"metadata": {"name": "o"}}
    if resource == "cronjobs":
        body |= {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "spec": {"schedule": "0 0 1 1 *", "jobTemplate": {"spec": spec}},
        }
    else:
        body |= {"apiVersion": "batch/v1", "kind": "Job", "spec": spec}
    configmap(store, store.create(resource, body))
    store.delete(resource, "default", "o", propagation="Orphan")
    settle(store)
    assert gone(store, resource, "o")
    assert not gone(store, "configmaps", "cm")
    assert "ownerReferences" not in store.get("configmaps", "default", "cm")["metadata"]


@pytest.mark.parametrize(("policy", "kept"), [("Orphan", True), ("Foreground", False), ("Background", False)])
def test_a_namespace_deleted_with_a_policy_treats_its_dependent_elsewhere_so(
    store: Registry, policy: str, kept: bool
) -> None:
    """A namespace went as soon as it was empty, before the collector orphaned its dependents (issue 30)."""
    owner = namespace(store)
    configmap(store, {**owner, "apiVersion": "v1", "kind": "Namespace"}, block=True)
    store.delete("namespaces", None, "owner-ns", propagation=policy)
    settle(store)
    assert gone(store, "namespaces", "owner-ns", None)
    assert gone(store, "configmaps", "cm") is not kept
    if kept:
        assert "ownerReferences" not in store.get("configmaps", "default", "cm")["metadata"]
