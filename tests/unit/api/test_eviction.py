"""The eviction subresource (upstream ``EvictionREST.Create``) as specs, against a real store."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from minik.registry import Registry
from tests.unit.api.conftest import PODS

PDBS = "/apis/policy/v1/namespaces/default/poddisruptionbudgets"


def eviction(name: str = "p", **delete_options: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}}
    if delete_options:
        body["deleteOptions"] = delete_options
    return body


def running_pod(store: Registry, name: str = "p", *, ready: bool = True) -> None:
    store.create(
        "pods",
        {
            "metadata": {"name": name, "namespace": "default", "labels": {"app": "x"}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        },
    )
    pod = store.get("pods", "default", name)
    cond = {"type": "Ready", "status": "True" if ready else "False"}
    pod["status"] = {"phase": "Running", "conditions": [cond]}
    store.update("pods", pod, status_only=True)


def budget(store: Registry, **status: Any) -> None:
    pdb = store.create(
        "poddisruptionbudgets",
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "b", "namespace": "default"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "x"}}},
        },
    )
    base = {"observedGeneration": 1, "currentHealthy": 1, "desiredHealthy": 1, "expectedPods": 1}
    pdb["status"] = {**base, **status}
    store.update("poddisruptionbudgets", pdb, status_only=True)


def evict(client: TestClient, name: str = "p", **opts: Any) -> Any:
    return client.post(f"{PODS}/{name}/eviction", json=eviction(name, **opts))


def test_an_evicted_pod_gets_the_disruption_target_condition_and_is_deleted_gracefully(
    client: TestClient, store: Registry
) -> None:
    running_pod(store)
    resp = evict(client, gracePeriodSeconds=7)
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "Success"
    pod = store.get("pods", "default", "p")
    assert pod["metadata"]["deletionTimestamp"] and pod["metadata"]["deletionGracePeriodSeconds"] == 7
    target = [c for c in pod["status"]["conditions"] if c["type"] == "DisruptionTarget"]
    assert [(c["status"], c["reason"], c["message"]) for c in target] == [
        ("True", "EvictionByEvictionAPI", "Eviction API: evicting")
    ]


def test_a_budget_without_disruptions_left_answers_too_many_requests(
    client: TestClient, store: Registry
) -> None:
    running_pod(store)
    budget(store, disruptionsAllowed=0)
    resp = evict(client)
    assert resp.status_code == 429
    body = resp.json()
    assert (body["reason"], body["message"]) == (
        "TooManyRequests",
        "Cannot evict pod as it would violate the pod's disruption budget.",
    )
    assert body["details"]["causes"] == [
        {
            "reason": "DisruptionBudget",
            "message": "The disruption budget b needs 1 healthy pods and has 1 currently",
        }
    ]
    assert not store.get("pods", "default", "p")["metadata"].get("deletionTimestamp")


def test_a_budget_not_yet_observed_answers_too_many_requests_with_a_retry(
    client: TestClient, store: Registry
) -> None:
    running_pod(store)
    budget(store, disruptionsAllowed=1, observedGeneration=0)
    body = evict(client).json()
    assert body["code"] == 429 and body["details"]["retryAfterSeconds"] == 10
    assert (
        body["details"]["causes"][0]["message"]
        == "The disruption budget b is still being processed by the server."
    )


def test_an_allowed_eviction_decrements_the_budget_and_records_the_pod(
    client: TestClient, store: Registry
) -> None:
    running_pod(store)
    budget(store, disruptionsAllowed=1, currentHealthy=2)
    assert evict(client).status_code == 201
    status = store.get("poddisruptionbudgets", "default", "b")["status"]
    assert status["disruptionsAllowed"] == 0 and list(status["disruptedPods"]) == ["p"]
    assert status["conditions"][0]["reason"] == "InsufficientPods"


def test_an_unready_pod_is_evicted_while_the_budget_is_healthy(client: TestClient, store: Registry) -> None:
    running_pod(store, ready=False)
    budget(store, disruptionsAllowed=0)
    assert evict(client).status_code == 201


def test_a_pending_pod_ignores_the_budget(client: TestClient, store: Registry) -> None:
    store.create(
        "pods",
        {
            "metadata": {"name": "p", "namespace": "default", "labels": {"app": "x"}},
            "spec": {"containers": []},
        },
    )
    budget(store, disruptionsAllowed=0)
    assert evict(client).status_code == 201


def test_dry_run_evicts_nothing(client: TestClient, store: Registry) -> None:
    running_pod(store)
    resp = client.post(f"{PODS}/p/eviction?dryRun=All", json=eviction())
    assert resp.status_code == 201
    assert not store.get("pods", "default", "p")["metadata"].get("deletionTimestamp")


def test_bad_evictions_are_clear_errors(client: TestClient, store: Registry) -> None:
    running_pod(store)
    assert evict(client, "missing").status_code == 404
    wrong = client.post(f"{PODS}/p/eviction", json=eviction("q"))
    assert (
        wrong.status_code == 400
        and wrong.json()["message"] == "name in URL does not match name in Eviction object"
    )
    assert client.post(f"{PODS}/p/eviction", json={"kind": "Pod"}).status_code == 400
    assert client.get(f"{PODS}/p/eviction").status_code == 405


def test_pdbs_are_served_with_a_status_subresource(client: TestClient) -> None:
    body = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "b"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "x"}}},
    }
    assert client.post(PDBS, json=body).status_code == 201
    assert client.get(f"{PDBS}/b/status").status_code == 200
    groups = client.get("/apis/policy/v1").json()
    assert {r["name"] for r in groups["resources"]} == {"poddisruptionbudgets", "poddisruptionbudgets/status"}


# What kubectl 1.33's drain sends, captured on the wire: a policy/v1 Eviction when /api/v1 lists
# pods/eviction (kubectl's drain.CheckEvictionSupport), else a typed DELETE whose body is an empty
# protobuf DeleteOptions (drain --disable-eviction).
KUBECTL_DELETE_OPTIONS = bytes.fromhex("6b3873000a130a027631120d44656c6574654f7074696f6e7312001a002200")


def test_discovery_offers_kubectl_drain_the_policy_v1_eviction_subresource(client: TestClient) -> None:
    core = {r["name"]: r for r in client.get("/api/v1").json()["resources"]}
    entry = core["pods/eviction"]
    assert (entry["group"], entry["version"], entry["kind"], entry["verbs"]) == (
        "policy",
        "v1",
        "Eviction",
        ["create"],
    )


def test_kubectl_drains_typed_delete_with_a_protobuf_delete_options_body(
    client: TestClient, store: Registry
) -> None:
    running_pod(store)
    resp = client.request("DELETE", f"{PODS}/p", content=KUBECTL_DELETE_OPTIONS,
                          headers={"Content-Type": "application/vnd.kubernetes.protobuf"})  # fmt: skip
    assert resp.status_code == 202, resp.text  # accepted: the pod terminates gracefully
    assert store.get("pods", "default", "p")["metadata"]["deletionTimestamp"]
    wrong = client.request("DELETE", f"{PODS}/p", content=b"k8s\x00\x0a\x00",
                           headers={"Content-Type": "application/vnd.kubernetes.protobuf"})  # fmt: skip
    assert wrong.status_code == 400, wrong.text


def test_an_eviction_for_another_namespace_is_a_400_and_evicts_nothing(
    client: TestClient, store: Registry
) -> None:
    running_pod(store)
    body = eviction()
    body["metadata"]["namespace"] = "kube-system"
    resp = client.post(f"{PODS}/p/eviction", json=body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["message"] == (
        "the namespace of the provided object does not match the namespace sent on the request"
    )
    assert not store.get("pods", "default", "p")["metadata"].get("deletionTimestamp")


def test_an_eviction_grace_period_is_an_int64(client: TestClient, store: Registry) -> None:
    running_pod(store)
    resp = evict(client, gracePeriodSeconds=2**63)
    assert resp.status_code == 400, resp.text
    assert "of type int64" in resp.json()["message"]
    assert evict(client, gracePeriodSeconds=2**63 - 1).status_code == 201
    m = store.get("pods", "default", "p")["metadata"]
    assert m["deletionGracePeriodSeconds"] == 2**63 - 1
    assert m["deletionTimestamp"] == "9999-12-31T23:59:59Z"  # past the calendar: its last second
