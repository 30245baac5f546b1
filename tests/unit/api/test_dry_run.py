"""Server dry run (``dryRun=All``): every verb is checked as a real write and nothing is stored."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from minik.registry import Registry
from tests.unit.api.conftest import JOBS, PODS, a_job, a_pod

APPLY = {"Content-Type": "application/apply-patch+yaml"}
SMP = {"Content-Type": "application/strategic-merge-patch+json"}


def rv(store: Registry) -> str:
    return store.list("pods", None)[1]


def test_a_dry_run_create_is_defaulted_and_stores_nothing(client: TestClient, store: Registry) -> None:
    before = rv(store)
    resp = client.post(f"{PODS}?dryRun=All", json=a_pod())
    body = resp.json()
    assert resp.status_code == 201 and body["metadata"]["labels"] == {"defaulted": "true"}
    assert (
        body["status"]["phase"] == "Pending" and body["metadata"]["managedFields"][0]["operation"] == "Update"
    )
    assert client.get(f"{PODS}/p").status_code == 404 and rv(store) == before


def test_a_dry_run_create_is_validated(client: TestClient) -> None:
    bad = a_job()
    bad["spec"]["template"]["spec"]["containers"][0]["image"] = "bad"
    resp = client.post(f"{JOBS}?dryRun=All", json=bad)
    assert resp.status_code == 422 and resp.json()["reason"] == "Invalid"


def test_a_dry_run_create_of_an_existing_name_is_already_exists(client: TestClient) -> None:
    client.post(PODS, json=a_pod())
    assert client.post(f"{PODS}?dryRun=All", json=a_pod()).json()["reason"] == "AlreadyExists"


@pytest.mark.parametrize(
    ("content_type", "patch"),
    [
        ("application/merge-patch+json", {"metadata": {"labels": {"x": "1"}}}),
        ("application/strategic-merge-patch+json", {"metadata": {"labels": {"x": "1"}}}),
        ("application/json-patch+json", [{"op": "add", "path": "/metadata/labels/x", "value": "1"}]),
    ],
    ids=["merge", "strategic", "json"],
)
def test_every_dry_run_patch_returns_the_result_and_stores_nothing(
    client: TestClient, store: Registry, content_type: str, patch: object
) -> None:
    client.post(PODS, json=a_pod())
    before = rv(store)
    resp = client.patch(
        f"{PODS}/p?dryRun=All", content=json.dumps(patch), headers={"Content-Type": content_type}
    )
    assert resp.status_code == 200 and resp.json()["metadata"]["labels"]["x"] == "1"
    assert "x" not in client.get(f"{PODS}/p").json()["metadata"]["labels"] and rv(store) == before


def test_a_dry_run_apply_of_a_new_object_creates_nothing(client: TestClient, store: Registry) -> None:
    before = rv(store)
    resp = client.patch(f"{PODS}/p?dryRun=All&fieldManager=m", content=json.dumps(a_pod()), headers=APPLY)
    assert resp.status_code == 201 and resp.json()["metadata"]["managedFields"][0]["manager"] == "m"
    assert client.get(f"{PODS}/p").status_code == 404 and rv(store) == before


def test_a_dry_run_update_is_validated_as_a_real_one(client: TestClient) -> None:
    job = client.post(JOBS, json=a_job()).json()
    job["spec"]["completions"] = 3
    resp = client.put(f"{JOBS}/j?dryRun=All", json=job)
    assert resp.status_code == 422 and "field is immutable" in resp.json()["message"]


def test_a_dry_run_delete_returns_the_object_and_deletes_nothing(client: TestClient, store: Registry) -> None:
    client.post(PODS, json=a_pod())
    before = rv(store)
    resp = client.delete(f"{PODS}/p?dryRun=All")
    assert resp.status_code == 200 and resp.json()["metadata"]["name"] == "p"
    resp = client.request("DELETE", f"{PODS}?dryRun=All", json={})
    assert [i["metadata"]["name"] for i in resp.json()["items"]] == ["p"]
    assert client.get(f"{PODS}/p").json().get("metadata", {}).get("deletionTimestamp") is None
    assert rv(store) == before


def test_a_dry_run_delete_checks_preconditions(client: TestClient) -> None:
    client.post(PODS, json=a_pod())
    body = {"preconditions": {"uid": "not-it"}}
    resp = client.request("DELETE", f"{PODS}/p?dryRun=All", json=body)
    assert resp.status_code == 409 and resp.json()["reason"] == "Conflict"


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("POST", PODS, "CreateOptions"),
        ("PUT", f"{PODS}/p", "UpdateOptions"),
        ("PATCH", f"{PODS}/p", "PatchOptions"),
        ("DELETE", f"{PODS}/p", "DeleteOptions"),
    ],
)
def test_an_unknown_dry_run_value_is_refused_as_the_api_server_does(
    client: TestClient, method: str, path: str, kind: str
) -> None:
    client.post(PODS, json=a_pod())
    headers = SMP if method == "PATCH" else {}
    resp = client.request(method, f"{path}?dryRun=Some", content=json.dumps(a_pod()), headers=headers)
    body = resp.json()
    assert resp.status_code == 422 and body["reason"] == "Invalid"
    assert body["message"] == (
        f'{kind}.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{{"Some"}}: supported values: "All"'
    )
    assert body["details"]["causes"][0]["field"] == "dryRun"
    assert client.get(f"{PODS}/p").json()["metadata"].get("deletionTimestamp") is None
