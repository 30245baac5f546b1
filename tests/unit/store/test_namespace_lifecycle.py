"""The namespace lifecycle as the API server and the namespace controller give it, as a table of specs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from minik.errors import ApiError, NotFound
from minik.registry import Registry


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Registry]:
    s = Registry.open(tmp_path / "minik.db")
    yield s
    s.close()


def obj(name: str, ns: str = "team", **extra: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns}, **extra}


def phase(store: Registry, name: str) -> str | None:
    try:
        return str(store.get("namespaces", None, name)["status"]["phase"])
    except NotFound:
        return None


def empty_namespace_is_gone_at_once(store: Registry) -> None:
    store.create("namespaces", {"metadata": {"name": "team"}})
    store.delete("namespaces", None, "team")
    assert phase(store, "team") is None


def namespace_with_running_pod_is_terminating_until_the_pod_is_terminal(store: Registry) -> None:
    store.create("namespaces", {"metadata": {"name": "team"}})
    store.create("jobs", obj("work", spec={}))
    store.create("pods", obj("work-x", status={"phase": "Running"}))
    store.delete("namespaces", None, "team")
    assert phase(store, "team") == "Terminating"
    assert [o["metadata"]["name"] for o in store.list("jobs", "team")[0]] == []
    pod = store.get("pods", "team", "work-x")
    assert pod["metadata"]["deletionTimestamp"]
    store.update("pods", {**pod, "status": {"phase": "Succeeded"}}, status_only=True)
    assert phase(store, "team") is None
    assert store.list("serviceaccounts", "team")[0] == []


def nothing_new_in_a_terminating_namespace(store: Registry) -> None:
    store.create("namespaces", {"metadata": {"name": "team"}})
    store.create("pods", obj("p", status={"phase": "Running"}))
    store.delete("namespaces", None, "team")
    with pytest.raises(ApiError, match="because it is being terminated"):
        store.create("configmaps", obj("late"))


def an_object_in_a_missing_namespace_is_not_found(store: Registry) -> None:
    with pytest.raises(NotFound, match='namespaces "nowhere" not found'):
        store.create("roles", obj("r", "nowhere"))


def system_namespaces_may_not_be_deleted(store: Registry) -> None:
    for name in ("default", "kube-system", "kube-public"):
        with pytest.raises(ApiError, match="this namespace may not be deleted"):
            store.delete("namespaces", None, name)


def kube_node_lease_may_be_deleted(store: Registry) -> None:
    store.delete("namespaces", None, "kube-node-lease")
    assert phase(store, "kube-node-lease") is None


def a_new_namespace_gets_a_default_service_account(store: Registry) -> None:
    store.create("namespaces", {"metadata": {"name": "team"}})
    assert store.get("serviceaccounts", "team", "default")["metadata"]["namespace"] == "team"


def cluster_scoped_rbac_objects_outlive_a_namespace(store: Registry) -> None:
    store.create("namespaces", {"metadata": {"name": "team"}})
    store.create("clusterroles", {"metadata": {"name": "viewer"}, "rules": []})
    store.create("roles", obj("reader", rules=[]))
    store.delete("namespaces", None, "team")
    assert store.get("clusterroles", None, "viewer")["metadata"]["name"] == "viewer"
    with pytest.raises(NotFound):
        store.get("roles", "team", "reader")


SPECS: list[Callable[[Registry], None]] = [
    empty_namespace_is_gone_at_once,
    namespace_with_running_pod_is_terminating_until_the_pod_is_terminal,
    nothing_new_in_a_terminating_namespace,
    an_object_in_a_missing_namespace_is_not_found,
    system_namespaces_may_not_be_deleted,
    kube_node_lease_may_be_deleted,
    a_new_namespace_gets_a_default_service_account,
    cluster_scoped_rbac_objects_outlive_a_namespace,
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.__name__.replace("_", " "))
def test_namespace_lifecycle(store: Registry, spec: Callable[[Registry], None]) -> None:
    spec(store)


def test_events_about_a_terminating_namespace_are_dropped_so_it_can_end(store: Registry) -> None:
    store.create("namespaces", {"metadata": {"name": "team"}})
    pod = store.create("pods", obj("p", spec={"containers": [{"name": "c"}]}, status={"phase": "Running"}))
    store.delete("namespaces", None, "team")
    assert phase(store, "team") == "Terminating"
    # The kubelet stopping the pod records Killing: upstream refuses new content in a terminating namespace.
    store.record_event(
        pod, type="Normal", reason="Killing", message="Stopping container c", component="kubelet"
    )
    current = store.get("pods", "team", "p")
    current["status"] = {"phase": "Failed"}
    store.update("pods", current, status_only=True)
    assert phase(store, "team") is None
