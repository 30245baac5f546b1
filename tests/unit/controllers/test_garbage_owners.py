"""The garbage collector for every owner reference (pure), scenario by scenario.

Upstream: pkg/controller/garbagecollector/garbagecollector.go — attemptToDeleteItem (solid,
dangling and waitingForDependentsDeletion owners; unblockOwnerReferences), orphanDependents,
processDeletingDependentsItem (blockingDependents).
"""

from __future__ import annotations

from typing import Any

import pytest

from minik.controllers.garbage import concerns_owners, plan_owners

NAMESPACED = {"configmaps": True, "services": True, "secrets": True, "pods": True, "jobs": True,
              "persistentvolumeclaims": True, "persistentvolumes": False}  # fmt: skip
KINDS = {"configmaps": "ConfigMap", "services": "Service", "secrets": "Secret", "pods": "Pod", "jobs": "Job",
         "persistentvolumeclaims": "PersistentVolumeClaim", "persistentvolumes": "PersistentVolume"}  # fmt: skip


def ref(resource: str, name: str, *, block: bool = False, controller: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"apiVersion": "v1", "kind": KINDS[resource], "name": name, "uid": f"u-{name}"}
    if block:
        out["blockOwnerDeletion"] = True
    if controller:
        out["controller"] = True
    return out


def obj(
    resource: str, name: str, *owners: dict[str, Any], ns: str = "default", deleting: bool = False,
    finalizers: tuple[str, ...] = (),
) -> tuple[str, dict[str, Any]]:  # fmt: skip
    m: dict[str, Any] = {"name": name, "uid": f"u-{name}"}
    if NAMESPACED[resource]:
        m["namespace"] = ns
    if owners:
        m["ownerReferences"] = list(owners)
    if deleting:
        m["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    if finalizers:
        m["finalizers"] = list(finalizers)
    return resource, {"kind": KINDS[resource], "metadata": m}


FG, ORPHAN = ("foregroundDeletion",), ("orphan",)
SCENARIOS: list[tuple[str, list[tuple[str, dict[str, Any]]], list[tuple[Any, ...]], bool]] = [
    # (scenario, stored objects, actions (verb, name, propagation or owners), plan again soon)
    ("a dependent whose owner is gone is deleted in the background",
     [obj("configmaps", "cm", ref("services", "svc"))], [("delete", "cm", "Background")], False),
    ("a dependent of a live owner is left alone",
     [obj("services", "svc"), obj("configmaps", "cm", ref("services", "svc"))], [], False),
    ("a live owner keeps it; the reference to a gone one goes",
     [obj("services", "a"), obj("configmaps", "cm", ref("services", "a"), ref("services", "b"))],
     [("unown", "cm", ("u-b",))], False),
    ("orphan: the owner's references go, then its finalizer",
     [obj("services", "svc", deleting=True, finalizers=ORPHAN), obj("configmaps", "cm", ref("services", "svc"))],
     [("unown", "cm", ("u-svc",)), ("finish", "svc", None)], False),
    ("foreground: a blocking dependent is deleted and the owner waits",
     [obj("services", "svc", deleting=True, finalizers=FG),
      obj("configmaps", "cm", ref("services", "svc", block=True))],
     [("delete", "cm", "Background")], True),
    ("foreground: a dependent that does not block is deleted and the owner goes on",
     [obj("services", "svc", deleting=True, finalizers=FG), obj("configmaps", "cm", ref("services", "svc"))],
     [("delete", "cm", "Background"), ("finish", "svc", None)], False),
    ("foreground: a blocking dependent being deleted still holds the owner",
     [obj("services", "svc", deleting=True, finalizers=FG),
      obj("configmaps", "cm", ref("services", "svc", block=True), deleting=True)], [], True),
    ("foreground: no dependent left, the owner is finished",
     [obj("services", "svc", deleting=True, finalizers=FG)], [("finish", "svc", None)], False),
    ("a dependent that owns others is deleted in the foreground",
     [obj("services", "svc", deleting=True, finalizers=FG),
      obj("configmaps", "cm", ref("services", "svc", block=True)), obj("secrets", "s", ref("configmaps", "cm"))],
     [("delete", "cm", "Foreground")], True),
    ("a live owner unblocks a dependent it shares with a deleting one",
     [obj("services", "a"), obj("services", "b", deleting=True, finalizers=FG),
      obj("configmaps", "cm", ref("services", "a"), ref("services", "b", block=True))],
     [("unblock", "cm", ("u-b",)), ("finish", "b", None)], False),
    ("an owner in another namespace is not the owner",
     [obj("services", "svc", ns="other"), obj("configmaps", "cm", ref("services", "svc"))],
     [("delete", "cm", "Background")], False),
    ("a cluster-scoped owner counts from any namespace",
     [obj("persistentvolumes", "pv"), obj("configmaps", "cm", ref("persistentvolumes", "pv"))], [], False),
    ("a claim owned by a gone pod is deleted",
     [obj("persistentvolumeclaims", "data", ref("pods", "p"))], [("delete", "data", "Background")], False),
    ("a reference whose uid now names another object dangles",
     [obj("services", "svc"), obj("configmaps", "cm", {**ref("services", "other"), "uid": "u-svc"})],
     [("delete", "cm", "Background")], False),
    ("a Job's pods are the Job collector's, not this one's",
     [obj("pods", "p", ref("jobs", "j", controller=True))], [], False),
    ("a pod a Job owns without controlling it is this one's",
     [obj("pods", "p", ref("jobs", "j"))], [("delete", "p", "Background")], False),
    ("a reference to a kind minik does not serve leaves the dependent alone (upstream cannot map it)",
     [obj("pods", "p", {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u-rs",
                        "controller": True})], [], False),
    ("a dependent already being deleted is not deleted again",
     [obj("configmaps", "cm", ref("services", "svc"), deleting=True)], [], False),
]  # fmt: skip


def summary(a: Any) -> tuple[Any, ...]:
    if a.verb == "delete":
        return (a.verb, a.name, a.propagation)
    if a.verb in ("unown", "unblock"):
        return (a.verb, a.name, a.owners)
    return (a.verb, a.name, None)


@pytest.mark.parametrize(
    ("stored", "actions", "waiting"), [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS]
)
def test_plan_owners(
    stored: list[tuple[str, dict[str, Any]]], actions: list[tuple[Any, ...]], waiting: bool
) -> None:
    objects: dict[str, list[dict[str, Any]]] = {r: [] for r in NAMESPACED}
    for resource, o in stored:
        objects[resource].append(o)
    before = repr(objects)
    got = plan_owners(objects, NAMESPACED, [*KINDS.values(), "CronJob"])
    assert [summary(a) for a in got.actions] == actions
    assert got.waiting is waiting
    assert repr(objects) == before, "the plan changed its inputs"


def test_the_actions_name_where_the_object_is() -> None:
    got = plan_owners(
        {"persistentvolumes": [obj("persistentvolumes", "pv", ref("pods", "p"))[1]]},
        NAMESPACED,
        KINDS.values(),
    )
    assert [(a.resource, a.namespace, a.name, a.uid) for a in got.actions] == [
        ("persistentvolumes", "", "pv", "u-pv")
    ]


WAKES = [
    # (scenario, resource, event type, object, old, whether the collector should look)
    ("any object gone may leave dependents", "services", "DELETED", obj("services", "s")[1], None, True),
    ("an Event gone may leave dependents too", "events", "DELETED", {"metadata": {"name": "e"}}, None, True),
    ("an Event deleted in the foreground waits for the collector", "events", "MODIFIED",
     {"metadata": {"name": "e", "deletionTimestamp": "2026-01-01T00:00:00Z", "finalizers": list(FG)}}, None, True),
    ("an Event recorded is nobody's dependent", "events", "ADDED", {"metadata": {"name": "e"}}, None, False),
    ("a deletion that orphans", "services", "MODIFIED",
     obj("services", "s", deleting=True, finalizers=ORPHAN)[1], obj("services", "s")[1], True),
    ("a background deletion in progress", "pods", "MODIFIED", obj("pods", "p", deleting=True)[1], None, False),
    ("a dependent created", "configmaps", "ADDED", obj("configmaps", "cm", ref("services", "s"))[1], None, True),
    ("a Job's pod created is the Job collector's", "pods", "ADDED",
     obj("pods", "p", ref("jobs", "j", controller=True))[1], None, False),
    ("a status change of a dependent", "configmaps", "MODIFIED", obj("configmaps", "cm", ref("services", "s"))[1],
     obj("configmaps", "cm", ref("services", "s"))[1], False),
    ("a dependent re-owned", "configmaps", "MODIFIED", obj("configmaps", "cm", ref("services", "t"))[1],
     obj("configmaps", "cm", ref("services", "s"))[1], True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("resource", "kind", "o", "old", "wake"), [w[1:] for w in WAKES], ids=[w[0] for w in WAKES]
)
def test_which_changes_wake_the_collector(resource: str, kind: str, o: Any, old: Any, wake: bool) -> None:
    assert concerns_owners(resource, kind, o, old) is wake
