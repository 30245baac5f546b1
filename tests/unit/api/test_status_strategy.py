"""Writes to NAME/status keep what the API server's status strategies keep (``PrepareForUpdate``)."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.unit.api.conftest import JOBS, PODS, a_job, a_pod

MERGE = {"content-type": "application/merge-patch+json"}


def test_job_status_patch_keeps_the_annotations_it_carries(client: TestClient) -> None:
    """Upstream e2e "should apply changes to a job status": patching /status."""
    client.post(JOBS, json=a_job())
    patch = {
        "metadata": {"annotations": {"patchedstatus": "true"}},
        "status": {"startTime": "2026-01-01T00:00:00Z"},
    }
    resp = client.patch(f"{JOBS}/j/status", json=patch, headers=MERGE)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["metadata"]["annotations"] == {"patchedstatus": "true"}
    assert out["status"]["startTime"] == "2026-01-01T00:00:00Z"
    assert client.get(f"{JOBS}/j").json()["metadata"]["annotations"] == {"patchedstatus": "true"}


def test_job_status_update_keeps_labels_and_resets_spec(client: TestClient) -> None:
    job = client.post(JOBS, json=a_job()).json()
    job["metadata"]["labels"]["extra"] = "1"
    job["metadata"]["uid"] = "forged"
    job["spec"]["parallelism"] = 7
    job["status"] = {"startTime": "2026-01-01T00:00:00Z"}
    resp = client.put(f"{JOBS}/j/status", json=job)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["metadata"]["labels"]["extra"] == "1"
    assert out["spec"].get("parallelism") != 7
    assert out["metadata"]["uid"] != "forged"
    assert out["metadata"]["generation"] == 1
    assert out["status"] == {"startTime": "2026-01-01T00:00:00Z"}


def test_pod_status_write_keeps_the_stored_owner_references(client: TestClient) -> None:
    ref = {"apiVersion": "batch/v1", "kind": "Job", "name": "j", "uid": "u1", "controller": True}
    pod = a_pod()
    pod["metadata"]["ownerReferences"] = [ref]
    client.post(PODS, json=pod)
    patch = {"metadata": {"ownerReferences": None, "labels": {"seen": "yes"}}, "status": {"phase": "Running"}}
    out = client.patch(f"{PODS}/p/status", json=patch, headers=MERGE).json()
    assert out["metadata"]["ownerReferences"] == [ref]
    assert out["metadata"]["labels"]["seen"] == "yes"
    assert out["status"]["phase"] == "Running"


def test_status_write_with_a_stale_resource_version_conflicts(client: TestClient) -> None:
    job = client.post(JOBS, json=a_job()).json()
    client.patch(f"{JOBS}/j/status", json={"status": {"active": 1}}, headers=MERGE)
    job["status"] = {"active": 2}
    assert client.put(f"{JOBS}/j/status", json=job).status_code == 409


def test_a_status_write_with_invalid_metadata_is_refused_and_changes_nothing(client: TestClient) -> None:
    client.post(JOBS, json=a_job())
    for bad in ({"labels": 5}, {"labels": {"a": 1}}, {"labels": {"bad key!": "v"}}, {"finalizers": "x"}):
        resp = client.patch(
            f"{JOBS}/j/status", json={"metadata": bad, "status": {"active": 3}}, headers=MERGE
        )
        assert resp.status_code == 422, (bad, resp.text)
        assert resp.json()["reason"] == "Invalid"
    assert client.get(f"{JOBS}/j").json().get("status", {}).get("active") is None
