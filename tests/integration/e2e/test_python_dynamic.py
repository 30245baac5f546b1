"""The official Python client's ``dynamic`` client over every kind minik serves (issue 30).

For each kind: create, get, list with a label and a field selector, watch
(the change after a resourceVersion), patch of all three types (JSON patch,
merge patch, strategic merge patch), server-side apply (a second manager's
field, then its conflict), and delete with each propagation policy —
Background, Foreground, Orphan — each with a ConfigMap dependent owned by
the object (``blockOwnerDeletion``), which the garbage collector deletes or
orphans. The Node minik registers is served but not created by clients
(upstream's kubelet registers it): its row reads, watches, patches and
applies, and deletes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.polling import eventually

kubernetes = pytest.importorskip("kubernetes", reason="the official client is in the test extras")
from kubernetes.client.exceptions import ApiException  # noqa: E402
from kubernetes.dynamic import DynamicClient  # noqa: E402
from kubernetes.dynamic.exceptions import NotFoundError  # noqa: E402

NS = "default"
SELECTOR = "suite=dyn"
JSON_PATCH = "application/json-patch+json"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
POD_SPEC = {
    "restartPolicy": "Never",
    "terminationGracePeriodSeconds": 0,
    "containers": [{"name": "c", "image": "busybox:latest", "imagePullPolicy": "IfNotPresent",
                    "command": ["sleep", "600"]}],
}  # fmt: skip
JOB_SPEC = {
    "backoffLimit": 0,
    "template": {"spec": {**POD_SPEC, "containers": [{**POD_SPEC["containers"][0], "command": ["true"]}]}},
}
RULES = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]
SUBJECTS = [{"kind": "ServiceAccount", "name": "default", "namespace": NS}]

# kind → (apiVersion, the body without metadata); every served kind
KINDS: dict[str, tuple[str, dict[str, Any]]] = {
    "Pod": ("v1", {"spec": POD_SPEC}),
    "Service": ("v1", {"spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "x"}}}),
    "ConfigMap": ("v1", {"data": {"k": "v"}}),
    "Secret": ("v1", {"stringData": {"k": "v"}}),
    "Event": ("v1", {
        "involvedObject": {"kind": "Pod", "name": "nobody", "namespace": NS, "apiVersion": "v1"},
        "reason": "Testing", "message": "a test event", "type": "Normal", "source": {"component": "dyn"},
    }),
    "Namespace": ("v1", {}),
    "Job": ("batch/v1", {"spec": JOB_SPEC}),
    "CronJob": ("batch/v1", {"spec": {"schedule": "0 0 1 1 *", "suspend": True, "jobTemplate": {"spec": JOB_SPEC}}}),
    "ServiceAccount": ("v1", {}),
    "Role": ("rbac.authorization.k8s.io/v1", {"rules": RULES}),
    "ClusterRole": ("rbac.authorization.k8s.io/v1", {"rules": RULES}),
    "RoleBinding": ("rbac.authorization.k8s.io/v1", {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}, "subjects": SUBJECTS,
    }),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io/v1", {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "r"},
        "subjects": SUBJECTS,
    }),
    "PersistentVolumeClaim": ("v1", {"spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Mi"}},
    }}),
    "PersistentVolume": ("v1", {"spec": {
        "capacity": {"storage": "1Mi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "dyn-manual",
        "hostPath": {"path": "/tmp/minik-dyn-pv"}, "persistentVolumeReclaimPolicy": "Retain",
    }}),
    "StorageClass": ("storage.k8s.io/v1", {"provisioner": "example.com/none"}),
    "PodDisruptionBudget": ("policy/v1", {"spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "x"}}}}),
    # no Service of these names: the endpoints controller leaves them to their writer
    "Endpoints": ("v1", {"subsets": [{"addresses": [{"ip": "10.1.2.3"}], "ports": [{"port": 80}]}]}),
    "EndpointSlice": ("discovery.k8s.io/v1", {
        "addressType": "IPv4", "endpoints": [{"addresses": ["10.1.2.3"]}], "ports": [{"port": 80}],
    }),
}  # fmt: skip
CREATE_ONLY = {  # reviews: answered, never stored (nothing to get, list, patch or delete)
    "TokenReview", "SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview", "SelfSubjectReview",
}  # fmt: skip


@pytest.fixture(scope="module")
def dyn(api: Any) -> Iterator[DynamicClient]:
    yield DynamicClient(api)


def served(dyn: DynamicClient) -> set[str]:
    """The kinds discovery lists (subresources aside)."""
    return {
        r.kind for r in dyn.resources.search() if r.name and "/" not in r.name and not r.kind.endswith("List")
    }


def body(kind: str, name: str) -> dict[str, Any]:
    api_version, rest = KINDS[kind]
    labels = {"suite": "dyn", "kind": kind.lower()}
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "labels": labels},
            **copy.deepcopy(rest)}  # fmt: skip


def test_the_table_covers_every_kind_minik_serves(dyn: DynamicClient) -> None:
    kinds = served(dyn)
    read_only = {"Node", "PodMetrics", "NodeMetrics"}  # the engine's node and its readings
    assert kinds - read_only - CREATE_ONLY <= set(KINDS), kinds
    assert set(KINDS) <= kinds


def watch_for(
    resource: Any, *, namespace: str | None, name: str, rv: str, key: str
) -> tuple[str, dict[str, Any]]:
    """The first event of ``name`` after ``rv`` whose object has the annotation or label ``key``
    (a controller's own status writes may come first)."""
    seen = []
    for event in resource.watch(
        namespace=namespace, field_selector=f"metadata.name={name}", resource_version=rv, timeout=20
    ):
        obj = dict(event["raw_object"])
        m = obj.get("metadata") or {}
        if key in (m.get("annotations") or {}) or key in (m.get("labels") or {}):
            return str(event["type"]), obj
        seen.append(event["type"])
    raise AssertionError(f"no watch event for {name} with {key} after {rv}: {seen}")


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_dynamic_client_round_trip(dyn: DynamicClient, kind: str) -> None:
    api_version, _ = KINDS[kind]
    res = dyn.resources.get(api_version=api_version, kind=kind)
    ns = NS if res.namespaced else None
    name = f"dyn-{kind.lower()}"

    created = res.create(body=body(kind, name), namespace=ns)
    assert created.metadata.name == name and created.metadata.uid
    assert res.get(name=name, namespace=ns).metadata.uid == created.metadata.uid

    by_label = res.get(namespace=ns, label_selector=f"{SELECTOR},kind={kind.lower()}")
    assert [o.metadata.name for o in by_label.items] == [name]
    by_field = res.get(namespace=ns, field_selector=f"metadata.name={name}")
    assert [o.metadata.name for o in by_field.items] == [name]
    assert res.get(namespace=ns, field_selector=f"metadata.name={name}-not").items == []

    rv = str(created.metadata.resourceVersion)
    res.patch(name=name, namespace=ns, content_type=JSON_PATCH,
              body=[{"op": "add", "path": "/metadata/annotations", "value": {"json": "1"}}])  # fmt: skip
    kind_seen, obj = watch_for(res, namespace=ns, name=name, rv=rv, key="json")
    assert kind_seen == "MODIFIED" and obj["metadata"]["annotations"] == {"json": "1"}
    res.patch(name=name, namespace=ns, content_type=MERGE, body={"metadata": {"annotations": {"merge": "2"}}})
    patched = res.patch(
        name=name, namespace=ns, content_type=STRATEGIC, body={"metadata": {"labels": {"strategic": "3"}}}
    )
    assert patched.metadata.annotations.to_dict() == {"json": "1", "merge": "2"}
    assert patched.metadata.labels["strategic"] == "3" and patched.metadata.labels["suite"] == "dyn"

    applied = res.server_side_apply(
        name=name, namespace=ns, field_manager="dyn-apply",
        body={"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "labels": {"applied": "yes"}}},
    )  # fmt: skip
    assert applied.metadata.labels["applied"] == "yes" and applied.metadata.labels["suite"] == "dyn"
    managers = {m.manager: m.operation for m in applied.metadata.managedFields}
    assert managers["dyn-apply"] == "Apply"
    with pytest.raises(ApiException) as conflict:
        res.server_side_apply(
            name=name, namespace=ns, field_manager="dyn-other",
            body={"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "labels": {"applied": "no"}}},
        )  # fmt: skip
    assert conflict.value.status == 409

    for policy in ("Background", "Foreground", "Orphan"):
        deleted_with(dyn, res, kind, f"{name}-{policy.lower()}", policy)
    res.delete(name=name, namespace=ns)
    gone(res, name, ns)


def deleted_with(dyn: DynamicClient, res: Any, kind: str, name: str, policy: str) -> None:
    """Delete a fresh object of ``kind`` with ``policy``; its owned ConfigMap follows the policy."""
    ns = NS if res.namespaced else None
    dep_ns = NS  # a Namespace's dependent lives elsewhere: deleting a namespace empties it
    owner = res.create(body=body(kind, name), namespace=ns)
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    ref = {"apiVersion": owner.apiVersion, "kind": kind, "name": name, "uid": owner.metadata.uid,
           "blockOwnerDeletion": True}  # fmt: skip
    cms.create(namespace=dep_ns, body={"metadata": {"name": f"{name}-dep", "ownerReferences": [ref]}})
    res.delete(name=name, namespace=ns, body={"propagationPolicy": policy})
    gone(res, name, ns)
    if policy == "Orphan":
        kept = cms.get(name=f"{name}-dep", namespace=dep_ns)
        assert not kept.metadata.ownerReferences, kept.metadata
        cms.delete(name=f"{name}-dep", namespace=dep_ns)
    else:
        gone(cms, f"{name}-dep", dep_ns)


def gone(res: Any, name: str, ns: str | None) -> None:
    def absent() -> bool:
        try:
            res.get(name=name, namespace=ns)
        except NotFoundError:
            return True
        return False

    eventually(f"{res.kind} {name} deleted", absent, timeout=90, every=0.2)


def test_the_node_reads_watches_patches_and_applies(dyn: DynamicClient) -> None:
    nodes = dyn.resources.get(api_version="v1", kind="Node")
    (node,) = nodes.get(field_selector="metadata.name=minik").items
    assert [n.metadata.name for n in nodes.get(label_selector="kubernetes.io/hostname=minik").items] == [
        "minik"
    ]
    rv = str(node.metadata.resourceVersion)
    nodes.patch(name="minik", content_type=MERGE, body={"metadata": {"labels": {"dyn": "merge"}}})
    kind_seen, obj = watch_for(nodes, namespace=None, name="minik", rv=rv, key="dyn")
    assert kind_seen == "MODIFIED" and obj["metadata"]["labels"]["dyn"] == "merge"
    nodes.patch(name="minik", content_type=JSON_PATCH,
                body=[{"op": "replace", "path": "/metadata/labels/dyn", "value": "json"}])  # fmt: skip
    nodes.patch(name="minik", content_type=STRATEGIC, body={"metadata": {"labels": {"dyn": "strategic"}}})
    applied = nodes.server_side_apply(
        name="minik", field_manager="dyn-apply", force_conflicts=True,
        body={"apiVersion": "v1", "kind": "Node", "metadata": {"name": "minik", "labels": {"dyn": "applied"}}},
    )  # fmt: skip
    assert applied.metadata.labels["dyn"] == "applied"
    nodes.patch(name="minik", content_type=JSON_PATCH,
                body=[{"op": "remove", "path": "/metadata/labels/dyn"}])  # fmt: skip
