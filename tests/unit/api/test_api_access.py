"""Namespaces, ServiceAccounts, RBAC objects, generateName and Service node ports through the API."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from minik.registry import Registry
from tests.unit.api.conftest import JOBS, PODS, a_job, a_pod

NS = "/api/v1/namespaces"
RBAC = "/apis/rbac.authorization.k8s.io/v1"
SERVICES = "/api/v1/namespaces/default/services"


def a_role(name: str = "reader") -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
    }


def a_service(name: str = "s", stype: str = "NodePort", node_port: int | None = None) -> dict[str, Any]:
    port: dict[str, Any] = {"port": 80, "protocol": "TCP"}
    if node_port is not None:
        port["nodePort"] = node_port
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"type": stype, "ports": [port]},
    }


def test_a_cluster_starts_with_four_namespaces_each_with_a_default_service_account(
    client: TestClient,
) -> None:
    names = [n["metadata"]["name"] for n in client.get(NS).json()["items"]]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]
    accounts = client.get("/api/v1/serviceaccounts").json()["items"]
    assert sorted(a["metadata"]["namespace"] for a in accounts if a["metadata"]["name"] == "default") == names


def test_an_object_in_a_namespace_that_does_not_exist_is_not_found(client: TestClient) -> None:
    resp = client.post("/apis/batch/v1/namespaces/nowhere/jobs", json=a_job())
    assert resp.status_code == 404
    assert resp.json()["message"] == 'namespaces "nowhere" not found'


def test_a_deleted_namespace_is_terminating_until_its_pods_are_gone(
    client: TestClient, store: Registry
) -> None:
    assert client.post(NS, json={"metadata": {"name": "team"}}).status_code == 201
    assert client.post("/apis/batch/v1/namespaces/team/jobs", json=a_job("work")).status_code == 201
    assert client.post("/api/v1/namespaces/team/pods", json=a_pod("work-abcde")).status_code == 201
    resp = client.delete(f"{NS}/team")
    assert resp.status_code in (200, 202) and resp.json()["status"]["phase"] == "Terminating"
    assert client.get(f"{NS}/team").json()["status"]["phase"] == "Terminating"
    assert client.get("/apis/batch/v1/namespaces/team/jobs/work").status_code == 404
    assert client.get("/api/v1/namespaces/team/serviceaccounts/default").status_code == 404
    created = client.post("/api/v1/namespaces/team/configmaps", json={"metadata": {"name": "late"}})
    assert created.status_code == 403
    assert "because it is being terminated" in created.json()["message"]
    pod = store.get("pods", "team", "work-abcde")  # the kubelet reports the pod stopped
    store.update("pods", {**pod, "status": {"phase": "Failed"}}, status_only=True)
    assert client.get(f"{NS}/team").status_code == 404
    assert client.get("/api/v1/namespaces/team/pods").json()["items"] == []


def test_kube_node_lease_may_be_deleted_but_default_may_not(client: TestClient) -> None:
    assert client.delete(f"{NS}/default").status_code == 403
    assert client.delete(f"{NS}/kube-node-lease").status_code == 200


def test_rbac_objects_are_stored_served_and_deleted(client: TestClient) -> None:
    assert client.post(f"{RBAC}/namespaces/default/roles", json=a_role()).status_code == 201
    assert client.get(f"{RBAC}/namespaces/default/roles/reader").json()["rules"][0]["verbs"] == [
        "get",
        "list",
    ]
    cluster_role = {**a_role("viewer"), "kind": "ClusterRole"}
    assert client.post(f"{RBAC}/clusterroles", json=cluster_role).status_code == 201
    got = client.get(f"{RBAC}/clusterroles/viewer").json()
    assert "namespace" not in got["metadata"]
    assert client.delete(f"{RBAC}/namespaces/default/roles/reader").status_code == 200
    assert client.get(f"{RBAC}/namespaces/default/roles/reader").status_code == 404


def test_discovery_serves_the_rbac_group_and_service_accounts(client: TestClient) -> None:
    groups = [g["name"] for g in client.get("/apis").json()["groups"]]
    assert "rbac.authorization.k8s.io" in groups
    rbac = {r["name"]: r for r in client.get(f"{RBAC}").json()["resources"]}
    assert rbac["clusterroles"]["namespaced"] is False and rbac["roles"]["namespaced"] is True
    core = {r["name"]: r for r in client.get("/api/v1").json()["resources"]}
    assert core["serviceaccounts"]["shortNames"] == ["sa"]


def test_generate_name_gives_each_create_a_new_name(client: TestClient) -> None:
    job = a_job()
    job["metadata"] = {"generateName": "migrate-"}
    names = [client.post(JOBS, json=job).json()["metadata"]["name"] for _ in range(2)]
    assert names[0] != names[1]
    assert all(n.startswith("migrate-") and len(n) == len("migrate-") + 5 for n in names)


def test_an_existing_name_is_already_exists(client: TestClient) -> None:
    assert client.post(PODS, json=a_pod("p")).status_code == 201
    resp = client.post(PODS, json=a_pod("p"))
    assert (resp.status_code, resp.json()["reason"]) == (409, "AlreadyExists")


def test_a_node_port_service_gets_a_port_and_every_service_an_empty_load_balancer_status(
    client: TestClient,
) -> None:
    created = client.post(SERVICES, json=a_service()).json()
    assert 30000 <= created["spec"]["ports"][0]["nodePort"] <= 32767
    assert created["status"] == {"loadBalancer": {}}
    plain = client.post(SERVICES, json=a_service("plain", "ClusterIP")).json()
    assert plain["status"] == {"loadBalancer": {}} and "nodePort" not in plain["spec"]["ports"][0]


def test_a_node_port_held_by_another_service_is_invalid(client: TestClient) -> None:
    assert client.post(SERVICES, json=a_service("a", node_port=30080)).status_code == 201
    resp = client.post(SERVICES, json=a_service("b", node_port=30080))
    assert resp.status_code == 422
    assert resp.json()["message"] == (
        'Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated'
    )


def test_a_service_update_keeps_its_node_port(client: TestClient) -> None:
    created = client.post(SERVICES, json=a_service()).json()
    port = created["spec"]["ports"][0]["nodePort"]
    patched = client.patch(
        f"{SERVICES}/s",
        json={"metadata": {"labels": {"x": "y"}}},
        headers={"Content-Type": "application/merge-patch+json"},
    ).json()
    assert patched["spec"]["ports"][0]["nodePort"] == port
