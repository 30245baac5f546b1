"""list(shared=True): cached parses that are never stale."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from minik.registry import Registry


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Registry]:
    s = Registry.open(tmp_path / "minik.db")
    yield s
    s.close()


def pod(name: str, phase: str = "Running", app: str = "a") -> dict:
    return {
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {"containers": [{"name": "c"}]},
        "status": {"phase": phase},
    }


def names(items: list[dict]) -> list[str]:
    return [p["metadata"]["name"] for p in items]


def test_an_unchanged_object_is_parsed_once_and_shared(store: Registry) -> None:
    store.create("pods", pod("p"))
    first = store.list("pods", "default", shared=True)[0][0]
    assert store.list("pods", "default", shared=True)[0][0] is first


def test_a_copying_list_never_hands_out_the_shared_object(store: Registry) -> None:
    store.create("pods", pod("p"))
    shared = store.list("pods", "default", shared=True)[0][0]
    copied = store.list("pods", "default")[0][0]
    assert copied == shared and copied is not shared


def test_an_update_is_seen_at_once(store: Registry) -> None:
    created = store.create("pods", pod("p"))
    store.list("pods", "default", shared=True)
    created["status"] = {"phase": "Succeeded"}
    updated = store.update("pods", created, status_only=True)
    (seen,) = store.list("pods", "default", shared=True)[0]
    assert seen["status"]["phase"] == "Succeeded"
    assert seen["metadata"]["resourceVersion"] == updated["metadata"]["resourceVersion"]


def test_a_deleted_object_is_gone_and_a_new_one_of_the_same_name_is_fresh(store: Registry) -> None:
    store.create("pods", pod("p", phase="Succeeded"))
    store.list("pods", "default", shared=True)
    store.delete("pods", "default", "p")
    assert store.list("pods", "default", shared=True)[0] == []
    store.create("pods", pod("p", app="b"))
    (seen,) = store.list("pods", "default", shared=True)[0]
    assert seen["metadata"]["labels"] == {"app": "b"}


def test_a_rolled_back_write_never_leaks_through_a_reused_resource_version(store: Registry) -> None:
    created = store.create("pods", pod("p"))
    with pytest.raises(RuntimeError), store.transaction():
        created["status"] = {"phase": "Failed"}
        store.update("pods", created, status_only=True)
        assert store.list("pods", "default", shared=True)[0][0]["status"]["phase"] == "Failed"
        raise RuntimeError("roll back")
    current = store.get("pods", "default", "p")
    current["metadata"]["labels"] = {"app": "c"}
    store.update("pods", current)  # takes the rolled-back write's resourceVersion
    (seen,) = store.list("pods", "default", shared=True)[0]
    assert seen["status"]["phase"] == "Running" and seen["metadata"]["labels"] == {"app": "c"}


def test_selectors_apply_to_shared_lists(store: Registry) -> None:
    store.create("pods", pod("p1", app="a"))
    store.create("pods", pod("p2", app="b"))
    assert names(store.list("pods", "default", label_selector="app=b", shared=True)[0]) == ["p2"]
    assert names(store.list("pods", None, field_selector="metadata.name=p1", shared=True)[0]) == ["p1"]
