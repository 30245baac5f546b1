"""The SQLite store: resourceVersion, lifecycle rules, transactions, events, watch replay."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from minik.errors import AlreadyExists, Conflict, Invalid, NotFound, StoreError
from minik.registry import Registry
from minik.store import Expired, Subscription, WatchEvent

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Registry:
    s = Registry.open(tmp_path / "minik.db", clock=lambda: NOW)
    yield s
    s.close()


def job(name: str = "j", **spec: object) -> dict:
    return {"metadata": {"name": name, "labels": {"app": name}}, "spec": {"parallelism": 1, **spec}}


def pod(name: str = "p", phase: str = "Running", finalizers: list[str] | None = None) -> dict:
    m: dict = {"name": name}
    if finalizers:
        m["finalizers"] = finalizers
    return {"metadata": m, "spec": {"containers": [{"name": "c"}]}, "status": {"phase": phase}}


def drain(sub: Subscription) -> list[WatchEvent]:
    out = []

    async def run() -> None:
        with anyio.move_on_after(0.05):
            async for ev in sub:
                out.append(ev)

    anyio.run(run)
    return out


def test_a_new_store_starts_with_the_four_namespaces_of_a_new_cluster(store: Registry) -> None:
    names = [o["metadata"]["name"] for o in store.list("namespaces", None)[0]]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]


def test_every_namespace_has_a_default_service_account(store: Registry) -> None:
    store.create("namespaces", {"metadata": {"name": "team"}})
    accounts = store.list("serviceaccounts", None)[0]
    assert sorted((o["metadata"]["namespace"], o["metadata"]["name"]) for o in accounts) == [
        (ns, "default") for ns in ("default", "kube-node-lease", "kube-public", "kube-system", "team")
    ]


def test_create_sets_server_fields(store: Registry) -> None:
    obj = store.create("jobs", job())
    m = obj["metadata"]
    assert (obj["apiVersion"], obj["kind"]) == ("batch/v1", "Job")
    assert m["namespace"] == "default" and m["generation"] == 1 and m["uid"]
    assert m["creationTimestamp"] == "2026-01-02T03:04:05Z"
    assert store.get("jobs", "default", "j") == obj


def test_resource_version_increases_on_every_write(store: Registry) -> None:
    rvs = [int(store.create("jobs", job())["metadata"]["resourceVersion"])]
    current = store.get("jobs", "default", "j")
    current["spec"]["parallelism"] = 2
    rvs.append(int(store.update("jobs", current)["metadata"]["resourceVersion"]))
    current = store.get("jobs", "default", "j")
    current["status"] = {"active": 1}
    rvs.append(int(store.update("jobs", current, status_only=True)["metadata"]["resourceVersion"]))
    rvs.append(
        int(store.delete("jobs", "default", "j", propagation="Background")["metadata"]["resourceVersion"])
    )
    assert rvs == sorted(rvs) and len(set(rvs)) == 4
    assert int(store.list("jobs", None)[1]) == rvs[-1]


def test_rv_survives_reopen(tmp_path: Path) -> None:
    s = Registry.open(tmp_path / "db")
    rv = s.create("configmaps", {"metadata": {"name": "c"}, "data": {}})["metadata"]["resourceVersion"]
    s.close()
    s2 = Registry.open(tmp_path / "db")
    assert int(s2.create("configmaps", {"metadata": {"name": "d"}})["metadata"]["resourceVersion"]) > int(rv)
    s2.close()


@pytest.mark.parametrize(
    ("scenario", "call", "error", "message"),
    [
        ("get missing job", lambda s: s.get("jobs", "default", "x"), NotFound, 'jobs.batch "x" not found'),
        ("get missing pod", lambda s: s.get("pods", "default", "x"), NotFound, 'pods "x" not found'),
        ("create twice", lambda s: (s.create("jobs", job("x")), s.create("jobs", job("x"))), AlreadyExists,
         'jobs.batch "x" already exists'),
        ("create in missing namespace", lambda s: s.create("jobs", {"metadata": {"name": "x", "namespace": "nope"}}),
         NotFound, 'namespaces "nope" not found'),
        ("stale resourceVersion", lambda s: (s.create("jobs", job("x")),
         s.update("jobs", {**job("x"), "metadata": {"name": "x", "resourceVersion": "1"}})), Conflict,
         'Operation cannot be fulfilled on jobs.batch "x": the object has been modified'),
        ("delete missing", lambda s: s.delete("pods", "default", "x"), NotFound, 'pods "x" not found'),
    ],
)  # fmt: skip
def test_errors(store: Registry, scenario: str, call, error: type, message: str) -> None:
    with pytest.raises(error) as info:
        call(store)
    assert message in info.value.message
    assert info.value.status["kind"] == "Status"


def test_spec_change_bumps_generation_but_status_does_not(store: Registry) -> None:
    store.create("jobs", job())
    cur = store.get("jobs", "default", "j")
    cur["status"] = {"active": 1}
    assert store.update("jobs", cur, status_only=True)["metadata"]["generation"] == 1
    cur = store.get("jobs", "default", "j")
    cur["spec"]["parallelism"] = 3
    cur["status"] = {"ignored": True}
    out = store.update("jobs", cur)
    assert out["metadata"]["generation"] == 2 and out["status"] == {"active": 1}


def test_noop_update_writes_nothing(store: Registry) -> None:
    created = store.create("jobs", job())
    assert store.update("jobs", created) == created


def test_finalizer_keeps_deleted_object_until_removed(store: Registry) -> None:
    store.create("configmaps", {"metadata": {"name": "c", "finalizers": ["x/y"]}})
    marked = store.delete("configmaps", "default", "c")
    assert marked["metadata"]["deletionTimestamp"] == "2026-01-02T03:04:05Z"
    cur = store.get("configmaps", "default", "c")
    cur["metadata"]["finalizers"] = []
    store.update("configmaps", cur)
    with pytest.raises(NotFound):
        store.get("configmaps", "default", "c")


def test_no_new_finalizers_on_a_deleting_object(store: Registry) -> None:
    store.create("configmaps", {"metadata": {"name": "c", "finalizers": ["a"]}})
    store.delete("configmaps", "default", "c")
    cur = store.get("configmaps", "default", "c")
    cur["metadata"]["finalizers"] = ["a", "b"]
    with pytest.raises(Invalid):
        store.update("configmaps", cur)


@pytest.mark.parametrize(
    ("scenario", "phase", "finalizers", "grace", "gone_at_once"),
    [
        ("running pod waits for the kubelet", "Running", None, None, False),
        ("succeeded pod goes at once", "Succeeded", None, None, True),
        (
            "failed pod with tracking finalizer waits",
            "Failed",
            ["batch.kubernetes.io/job-tracking"],
            None,
            False,
        ),
        ("grace 0 forces a running pod", "Running", None, 0, True),
    ],
)
def test_pod_deletion(
    store: Registry, scenario: str, phase: str, finalizers, grace, gone_at_once: bool
) -> None:
    store.create("pods", pod(phase=phase, finalizers=finalizers))
    out = store.delete("pods", "default", "p", grace_seconds=grace)
    exists = bool(store.list("pods", "default")[0])
    assert exists is not gone_at_once, scenario
    if not gone_at_once:
        assert out["metadata"]["deletionTimestamp"]


def test_pod_deletion_waits_for_terminal_phase(store: Registry) -> None:
    store.create("pods", pod(finalizers=["batch.kubernetes.io/job-tracking"]))
    out = store.delete("pods", "default", "p")
    assert out["metadata"]["deletionGracePeriodSeconds"] == 30
    cur = store.get("pods", "default", "p")
    cur["status"] = {"phase": "Failed"}
    store.update("pods", cur, status_only=True)
    cur = store.get("pods", "default", "p")  # finalizer still there
    cur["metadata"]["finalizers"] = []
    store.update("pods", cur)
    with pytest.raises(NotFound):
        store.get("pods", "default", "p")


@pytest.mark.parametrize(
    ("policy", "finalizers"),
    [
        (None, ["orphan"]),
        ("Orphan", ["orphan"]),
        ("Foreground", ["foregroundDeletion"]),
        ("Background", None),
    ],
)
def test_job_deletion_propagation(store: Registry, policy, finalizers) -> None:
    store.create("jobs", job())
    out = store.delete("jobs", "default", "j", propagation=policy)
    assert out["metadata"].get("finalizers") == finalizers
    assert bool(store.list("jobs", None)[0]) is bool(finalizers)


def test_transaction_commits_atomically_and_publishes_after_commit(store: Registry) -> None:
    sub = store.subscribe("configmaps", None)
    with store.transaction():
        store.create("configmaps", {"metadata": {"name": "a"}})
        with store.transaction():
            store.create("configmaps", {"metadata": {"name": "b"}})
        assert sub._recv.statistics().current_buffer_used == 0
    assert [e.obj["metadata"]["name"] for e in drain(sub)] == ["a", "b"]


def test_transaction_rolls_back_on_error(store: Registry) -> None:
    before = store.resource_version
    with pytest.raises(RuntimeError), store.transaction():
        store.create("configmaps", {"metadata": {"name": "a"}})
        raise RuntimeError("boom")
    assert store.list("configmaps", None)[0] == []
    assert store.resource_version == before
    assert (
        int(store.create("configmaps", {"metadata": {"name": "a"}})["metadata"]["resourceVersion"])
        == before + 1
    )


def test_failed_inner_call_leaves_outer_transaction_intact(store: Registry) -> None:
    store.create("configmaps", {"metadata": {"name": "a"}})
    with store.transaction():
        store.create("configmaps", {"metadata": {"name": "b"}})
        with pytest.raises(AlreadyExists):
            store.create("configmaps", {"metadata": {"name": "a"}})
    assert [o["metadata"]["name"] for o in store.list("configmaps", None)[0]] == ["a", "b"]


def test_watch_receives_added_modified_deleted_in_order(store: Registry) -> None:
    sub = store.subscribe("jobs", None)
    store.create("jobs", job())
    cur = store.get("jobs", "default", "j")
    cur["spec"]["parallelism"] = 2
    store.update("jobs", cur)
    store.delete("jobs", "default", "j", propagation="Background")
    store.create("configmaps", {"metadata": {"name": "other"}})
    events = drain(sub)
    assert [e.type for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert events[1].old is not None and events[1].old["spec"]["parallelism"] == 1
    assert [e.rv for e in events] == sorted(e.rv for e in events)


def test_replay_since_rv(store: Registry) -> None:
    store.create("configmaps", {"metadata": {"name": "a"}})
    since = store.resource_version
    store.create("configmaps", {"metadata": {"name": "b"}})
    store.create("configmaps", {"metadata": {"name": "c"}})
    sub = store.subscribe("configmaps", since)
    store.create("configmaps", {"metadata": {"name": "d"}})
    assert [e.obj["metadata"]["name"] for e in drain(sub)] == ["b", "c", "d"]


def test_too_old_resource_version_is_expired(tmp_path: Path) -> None:
    s = Registry.open(tmp_path / "db", log_size=10)
    for i in range(30):
        s.create("configmaps", {"metadata": {"name": f"c{i}"}})
    with pytest.raises(Expired) as info:
        s.subscribe("configmaps", 1)
    assert info.value.code == 410 and info.value.reason == "Expired"
    s.subscribe("configmaps", s.resource_version - 5).close()
    s.close()


def test_event_repeat_bumps_count(store: Registry) -> None:
    j = store.create("jobs", job())
    later = datetime(2026, 1, 2, 3, 5, 0, tzinfo=UTC)
    first = store.record_event(
        j, type="Normal", reason="SuccessfulCreate", message="Created pod: p", component="jc"
    )
    store.clock = lambda: later
    again = store.record_event(
        j, type="Normal", reason="SuccessfulCreate", message="Created pod: p", component="jc"
    )
    other = store.record_event(j, type="Normal", reason="Completed", message="Job completed", component="jc")
    assert again["metadata"]["name"] == first["metadata"]["name"] and again["count"] == 2
    assert (
        again["firstTimestamp"] == "2026-01-02T03:04:05Z" and again["lastTimestamp"] == "2026-01-02T03:05:00Z"
    )
    assert first["metadata"]["name"].startswith("j.") and other["count"] == 1
    assert first["involvedObject"] == {
        "kind": "Job", "namespace": "default", "name": "j", "uid": j["metadata"]["uid"],
        "apiVersion": "batch/v1", "resourceVersion": j["metadata"]["resourceVersion"],
    }  # fmt: skip
    found, _ = store.list("events", "default", field_selector=f"involvedObject.uid={j['metadata']['uid']}")
    assert len(found) == 2


def test_namespace_deletion_removes_its_objects(store: Registry) -> None:
    store.create("namespaces", {"metadata": {"name": "team"}})
    store.create("configmaps", {"metadata": {"name": "c", "namespace": "team"}})
    store.create("pods", pod(phase="Running") | {"metadata": {"name": "p", "namespace": "team"}})
    ns = store.delete("namespaces", None, "team")
    assert ns["status"]["phase"] == "Terminating"
    assert store.list("configmaps", "team")[0] == []
    cur = store.get("pods", "team", "p")
    cur["status"] = {"phase": "Succeeded"}
    store.update("pods", cur, status_only=True)
    with pytest.raises(NotFound):
        store.get("namespaces", None, "team")


def test_system_namespace_cannot_be_deleted(store: Registry) -> None:
    with pytest.raises(Exception) as info:
        store.delete("namespaces", None, "default")
    assert "may not be deleted" in str(info.value)


@pytest.mark.parametrize(
    ("scenario", "content", "words"),
    [
        ("not a database", b"this is not sqlite at all" * 100, "not a usable minik store"),
        ("truncated", b"SQLite format 3\x00" + b"\x00" * 50, "not a usable minik store"),
    ],
)
def test_corrupt_file_is_one_sentence(tmp_path: Path, scenario: str, content: bytes, words: str) -> None:
    path = tmp_path / "minik.db"
    path.write_bytes(content)
    with pytest.raises(StoreError) as info:
        Registry.open(path)
    assert words in info.value.message and "\n" not in info.value.message


def test_locked_database_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "minik.db"
    Registry.open(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as info:
            Registry.open(path, busy_timeout=0.05)
        assert "locked by another process" in info.value.message
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file modes")
def test_unwritable_directory(tmp_path: Path) -> None:
    d = tmp_path / "ro"
    d.mkdir(mode=0o500)
    with pytest.raises(StoreError):
        Registry.open(d / "minik.db")
