"""Server-side apply over HTTP (``application/apply-patch+yaml``) and managedFields on every write."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from tests.unit.api.conftest import PODS

CMS = "/api/v1/namespaces/default/configmaps"
APPLY = {"Content-Type": "application/apply-patch+yaml"}
YAML_CM = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: '1'\n"


def managers(obj: dict) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in obj["metadata"]["managedFields"]]


def test_apply_of_a_missing_object_creates_it(client: TestClient) -> None:
    resp = client.patch(f"{CMS}/c?fieldManager=mgr", content=YAML_CM, headers=APPLY)
    assert resp.status_code == 201 and resp.json()["data"] == {"a": "1"}
    assert managers(client.get(f"{CMS}/c").json()) == [("mgr", "Apply")]


def test_apply_accepts_a_json_body(client: TestClient) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    resp = client.patch(f"{CMS}/c?fieldManager=mgr", content=json.dumps(body), headers=APPLY)
    assert resp.status_code == 201


def test_apply_without_field_manager_is_refused(client: TestClient) -> None:
    resp = client.patch(f"{CMS}/c", content=YAML_CM, headers=APPLY)
    assert resp.status_code == 422
    assert resp.json()["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    )


def test_force_on_a_non_apply_patch_is_refused(client: TestClient) -> None:
    client.patch(f"{CMS}/c?fieldManager=mgr", content=YAML_CM, headers=APPLY)
    headers = {"Content-Type": "application/merge-patch+json"}
    resp = client.patch(f"{CMS}/c?force=true", content=b"{}", headers=headers)
    assert (
        resp.status_code == 422 and "force: Forbidden: may not be specified for non-apply patch" in resp.text
    )


def test_a_conflicting_apply_is_409_and_force_wins(client: TestClient) -> None:
    client.patch(f"{CMS}/c?fieldManager=one", content=YAML_CM, headers=APPLY)
    other = YAML_CM.replace(b"'1'", b"'2'")
    resp = client.patch(f"{CMS}/c?fieldManager=two", content=other, headers=APPLY)
    body = resp.json()
    assert resp.status_code == 409 and body["reason"] == "Conflict"
    assert body["message"] == 'Apply failed with 1 conflict: conflict with "one": .data.a'
    assert body["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "one"', "field": ".data.a"}
    ]
    resp = client.patch(f"{CMS}/c?fieldManager=two&force=true", content=other, headers=APPLY)
    assert resp.status_code == 200 and resp.json()["data"] == {"a": "2"}
    assert managers(resp.json()) == [("two", "Apply")]


def test_the_manager_of_a_plain_write_comes_from_the_user_agent(client: TestClient) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}  # fmt: skip
    headers = {"User-Agent": "kubectl/v1.33.1 (linux/amd64) kubernetes/abc"}
    created = client.post(PODS, json=pod, headers=headers).json()
    assert managers(created) == [("kubectl", "Update")]
    entry = created["metadata"]["managedFields"][0]
    assert entry["fieldsType"] == "FieldsV1" and entry["apiVersion"] == "v1" and entry["time"]
    assert 'k:{"name":"c"}' in entry["fieldsV1"]["f:spec"]["f:containers"]


def test_a_client_side_patch_after_an_apply_takes_the_field_it_changes(client: TestClient) -> None:
    client.patch(f"{CMS}/c?fieldManager=kubectl", content=YAML_CM, headers=APPLY)
    headers = {"Content-Type": "application/strategic-merge-patch+json"}
    patch = json.dumps({"data": {"a": "3", "b": "1"}})
    resp = client.patch(f"{CMS}/c?fieldManager=kubectl-client-side-apply", content=patch, headers=headers)
    assert resp.status_code == 200
    assert managers(resp.json()) == [("kubectl-client-side-apply", "Update")]
    again = client.patch(f"{CMS}/c?fieldManager=kubectl", content=YAML_CM, headers=APPLY)
    assert again.status_code == 409
    assert '"kubectl-client-side-apply" using v1' in again.json()["message"]


def test_apply_of_the_wrong_kind_is_a_bad_request(client: TestClient) -> None:
    resp = client.patch(
        f"{CMS}/c?fieldManager=m", content=YAML_CM.replace(b"ConfigMap", b"Secret"), headers=APPLY
    )
    assert resp.status_code == 400 and resp.json()["reason"] == "BadRequest"
    assert client.get(f"{CMS}/c").status_code == 404


def test_applying_a_key_into_a_map_applied_empty_keeps_it(client: TestClient) -> None:
    empty = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {}\n"
    assert client.patch(f"{CMS}/c?fieldManager=mgr", content=empty, headers=APPLY).status_code == 201
    resp = client.patch(f"{CMS}/c?fieldManager=mgr", content=YAML_CM, headers=APPLY)
    assert resp.status_code == 200 and resp.json()["data"] == {"a": "1"}
    live = client.get(f"{CMS}/c").json()
    assert live["data"] == {"a": "1"} and managers(live) == [("mgr", "Apply")]
