"""The REST API: shapes, Status errors, create/update/patch/delete, discovery, watch, logs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from minik.api import create_app
from minik.api.patch import PatchError, json_patch
from minik.registry import Registry
from tests.unit.api.conftest import JOBS, PODS, TOKEN, FakeHooks, FakeRules, a_job, a_pod


def status_of(resp) -> dict:
    body = resp.json()
    assert body["kind"] == "Status" and body["apiVersion"] == "v1" and body["status"] == "Failure"
    assert body["code"] == resp.status_code
    return body


# -- auth and limits -------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_401_without_the_token(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    client.headers.pop("Authorization")
    resp = client.get("/api/v1/namespaces/default/pods", headers=headers)
    assert resp.status_code == 401 and status_of(resp)["reason"] == "Unauthorized"


def test_every_route_needs_the_token(client: TestClient) -> None:
    client.headers.pop("Authorization")
    for path in ("/version", "/healthz", "/api", "/apis", "/api/v1", "/nothing"):
        assert client.get(path).status_code == 401, path


def test_body_too_large_is_413(client: TestClient) -> None:
    big = a_job()
    big["metadata"]["annotations"] = {"x": "a" * (3 * 1024 * 1024 + 1)}
    resp = client.post(JOBS, json=big)
    assert resp.status_code == 413 and status_of(resp)["reason"] == "RequestEntityTooLarge"


# -- discovery ----------------------------------------------------------------------------


def test_discovery(client: TestClient) -> None:
    assert client.get("/version").json()["gitVersion"] == "v1.33.0-minik"
    assert client.get("/healthz").text == "ok"
    assert client.get("/api").json()["versions"] == ["v1"]
    groups = client.get("/apis").json()
    assert groups["kind"] == "APIGroupList"
    assert {"batch", "authentication.k8s.io", "authorization.k8s.io"} <= {g["name"] for g in groups["groups"]}
    core = {r["name"]: r for r in client.get("/api/v1").json()["resources"]}
    assert {
        "pods",
        "pods/log",
        "pods/status",
        "services",
        "configmaps",
        "secrets",
        "events",
        "namespaces",
    } <= set(core)
    assert (
        core["pods"]["shortNames"] == ["po"] and core["pods"]["namespaced"] and core["pods"]["kind"] == "Pod"
    )
    assert "watch" in core["pods"]["verbs"] and core["namespaces"]["namespaced"] is False
    batch = {r["name"]: r for r in client.get("/apis/batch/v1").json()["resources"]}
    assert set(batch) == {"jobs", "jobs/status", "cronjobs", "cronjobs/status"}
    assert batch["jobs"]["kind"] == "Job" and batch["cronjobs"]["shortNames"] == ["cj"]


def test_openapi_stub_tells_kubectl_the_server_validates_fields(client: TestClient) -> None:
    root = client.get("/openapi/v3").json()["paths"]
    doc = client.get(root["apis/batch/v1"]["serverRelativeURL"]).json()
    op = doc["paths"]["/apis/batch/v1/namespaces/{namespace}/jobs/{name}"]["patch"]
    assert {
        "name": "fieldValidation",
        "in": "query",
        "schema": {"type": "string", "uniqueItems": True},
    } in op["parameters"]
    assert op["x-kubernetes-group-version-kind"] == {"group": "batch", "version": "v1", "kind": "Job"}


# -- create / get / list ----------------------------------------------------------------


def test_create_defaults_validates_and_stores(client: TestClient, hooks: FakeHooks) -> None:
    resp = client.post(JOBS, json=a_job())
    assert resp.status_code == 201
    job = resp.json()
    assert job["kind"] == "Job" and job["apiVersion"] == "batch/v1"
    m = job["metadata"]
    assert m["namespace"] == "default" and m["labels"]["controller-uid"] == m["uid"]
    assert client.get(f"{JOBS}/j").json() == job


def test_create_pod_starts_pending(client: TestClient) -> None:
    pod = client.post(PODS, json=a_pod()).json()
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_dry_run_stores_nothing(client: TestClient) -> None:
    resp = client.post(f"{JOBS}?dryRun=All", json=a_job())
    assert resp.status_code == 201 and resp.json()["metadata"]["name"] == "j"
    assert client.get(f"{JOBS}/j").status_code == 404


def test_generate_name(client: TestClient) -> None:
    obj = a_pod()
    obj["metadata"] = {"generateName": "p-"}
    name = client.post(PODS, json=obj).json()["metadata"]["name"]
    assert name.startswith("p-") and len(name) == 7


def test_list_shape_and_selectors(client: TestClient) -> None:
    for name, app in (("a", "x"), ("b", "y"), ("c", "x")):
        obj = a_pod(name)
        obj["metadata"]["labels"] = {"app": app}
        client.post(PODS, json=obj)
    body = client.get(PODS).json()
    assert body["kind"] == "PodList" and body["apiVersion"] == "v1" and body["metadata"]["resourceVersion"]
    names = lambda q: [i["metadata"]["name"] for i in client.get(PODS + q).json()["items"]]  # noqa: E731
    assert names("?labelSelector=app%3Dx") == ["a", "c"]
    assert names("?labelSelector=app+in+(y)") == ["b"]
    assert names("?fieldSelector=metadata.name%3Db") == ["b"]
    assert names("?fieldSelector=status.phase%3DPending") == ["a", "b", "c"]
    assert [i["metadata"]["name"] for i in client.get("/api/v1/pods").json()["items"]] == ["a", "b", "c"]


def test_list_limit_and_continue(client: TestClient) -> None:
    for name in "abcde":
        client.post(PODS, json=a_pod(name))
    first = client.get(PODS + "?limit=2").json()
    assert [i["metadata"]["name"] for i in first["items"]] == ["a", "b"]
    assert first["metadata"]["remainingItemCount"] == 3
    token = first["metadata"]["continue"]
    second = client.get(PODS, params={"limit": 10, "continue": token}).json()
    assert [i["metadata"]["name"] for i in second["items"]] == ["c", "d", "e"]
    assert "continue" not in second["metadata"]


# -- Status errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "method", "path", "kwargs", "code", "reason", "message"),
    [
        ("job not found", "GET", f"{JOBS}/x", {}, 404, "NotFound", 'jobs.batch "x" not found'),
        ("pod not found", "GET", f"{PODS}/x", {}, 404, "NotFound", 'pods "x" not found'),
        ("unknown path", "GET", "/api/v1/widgets", {}, 404, "NotFound", "the server could not find"),
        ("bad json", "POST", JOBS, {"content": b"{nope", "headers": {"content-type": "application/json"}}, 400,
         "BadRequest", "couldn't decode"),
        ("not an object", "POST", JOBS, {"json": [1]}, 400, "BadRequest", "not an object"),
        ("wrong kind", "POST", JOBS, {"json": {**a_job(), "kind": "Pod"}}, 400, "BadRequest", "does not match"),
        ("namespace mismatch", "POST", JOBS, {"json": {**a_job(), "metadata": {"name": "j", "namespace": "o"}}},
         400, "BadRequest", "the namespace of the provided object does not match"),
        ("unsupported media", "POST", JOBS, {"content": b"x", "headers": {"content-type": "text/csv"}}, 415,
         "UnsupportedMediaType", "unknown format"),
        ("method not allowed", "PUT", JOBS, {"json": a_job()}, 405, "MethodNotAllowed", "does not allow"),
        ("log of a job", "GET", f"{JOBS}/j/log", {}, 404, "NotFound", "could not find"),
        ("missing name", "POST", JOBS, {"json": {**a_job(), "metadata": {}}}, 422, "Invalid",
         "metadata.name: Required value"),
    ],
)  # fmt: skip
def test_status_errors(client: TestClient, scenario, method, path, kwargs, code, reason, message) -> None:
    resp = client.request(method, path, **kwargs)
    body = status_of(resp)
    assert (resp.status_code, body["reason"]) == (code, reason), scenario
    assert message in body["message"], body["message"]


def test_not_found_details(client: TestClient) -> None:
    details = client.get(f"{JOBS}/x").json()["details"]
    assert details == {"name": "x", "group": "batch", "kind": "jobs"}


def test_already_exists(client: TestClient) -> None:
    client.post(JOBS, json=a_job())
    resp = client.post(JOBS, json=a_job())
    body = status_of(resp)
    assert resp.status_code == 409 and body["reason"] == "AlreadyExists"
    assert body["message"] == 'jobs.batch "j" already exists'


def test_invalid_has_causes(client: TestClient) -> None:
    job = a_job()
    job["spec"]["template"]["spec"]["containers"] = [
        {"name": "a", "image": "bad"},
        {"name": "b", "image": "bad"},
    ]
    resp = client.post(JOBS, json=job)
    body = status_of(resp)
    assert resp.status_code == 422 and body["reason"] == "Invalid"
    assert body["message"] == (
        'Job.batch "j" is invalid: [spec.template.spec.containers[0].image: Required value, '
        "spec.template.spec.containers[1].image: Required value]"
    )
    assert body["details"]["kind"] == "Job" and body["details"]["group"] == "batch"
    assert body["details"]["causes"][0] == {
        "reason": "FieldValueRequired",
        "message": "Required value",
        "field": "spec.template.spec.containers[0].image",
    }


def test_unknown_field_strict_is_400_warn_is_a_warning(client: TestClient, store: Registry) -> None:
    resp = client.post(JOBS + "?fieldValidation=Strict", json=a_job(bogus=1))
    assert resp.status_code == 400
    assert status_of(resp)["message"] == (
        'Job in version "v1" cannot be handled as a Job: strict decoding error: unknown field "spec.bogus"'
    )
    resp = client.post(JOBS, json=a_job(bogus=1))
    assert resp.status_code == 201 and resp.headers["warning"] == '299 - "unknown field \\"spec.bogus\\""'
    assert "bogus" not in store.get("jobs", "default", "j")["spec"]


def test_validation_warnings_become_warning_headers(client: TestClient) -> None:
    resp = client.post(PODS, json=a_pod(containers=[{"name": "c", "image": "latest"}]))
    assert resp.status_code == 201
    assert resp.headers.get_list("warning") == ['299 - "containers[0].image: image uses latest"']


def test_unexpected_exception_is_a_generic_500(client: TestClient, store: Registry) -> None:
    def boom(obj, uid):
        raise RuntimeError("secret detail")

    store.rules.default = boom  # type: ignore[method-assign]
    resp = client.post(JOBS, json=a_job())
    body = status_of(resp)
    assert resp.status_code == 500 and "secret detail" not in body["message"]


# -- update / patch -------------------------------------------------------------------------


def test_put_conflict_on_stale_resource_version(client: TestClient) -> None:
    job = client.post(JOBS, json=a_job()).json()
    job["spec"]["parallelism"] = 2
    assert client.put(f"{JOBS}/j", json=job).status_code == 200
    resp = client.put(f"{JOBS}/j", json=job)
    assert resp.status_code == 409 and status_of(resp)["reason"] == "Conflict"


def test_put_ignores_status_and_bumps_generation(client: TestClient) -> None:
    job = client.post(JOBS, json=a_job()).json()
    job["spec"]["parallelism"] = 2
    job["status"] = {"active": 5}
    out = client.put(f"{JOBS}/j", json=job).json()
    assert out["metadata"]["generation"] == 2 and "active" not in out.get("status", {})


def test_update_immutability_goes_through_validate(client: TestClient) -> None:
    client.post(JOBS, json=a_job())
    resp = client.patch(
        f"{JOBS}/j",
        json={"spec": {"completions": 2}},
        headers={"content-type": "application/merge-patch+json"},
    )
    assert resp.status_code == 422
    assert (
        status_of(resp)["message"]
        == 'Job.batch "j" is invalid: spec.completions: Invalid value: 2: field is immutable'
    )


def test_status_subresource_changes_only_status(client: TestClient) -> None:
    client.post(JOBS, json=a_job())
    resp = client.patch(
        f"{JOBS}/j/status",
        json={"status": {"active": 1}, "spec": {"parallelism": 9}},
        headers={"content-type": "application/merge-patch+json"},
    )
    assert resp.status_code == 200
    out = resp.json()
    assert out["status"] == {"active": 1} and "parallelism" not in out["spec"]


def test_strategic_merge_patch_of_containers_by_name(client: TestClient) -> None:
    pod = a_pod(containers=[{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])
    pod["spec"]["automountServiceAccountToken"] = False  # no token volume mounted into the containers
    client.post(PODS, json=pod)
    patch = {"metadata": {"labels": {"l": "1"}}, "spec": {"containers": [{"name": "b", "image": "z"}]}}
    resp = client.patch(
        f"{PODS}/p",
        content=json.dumps(patch),
        headers={"content-type": "application/strategic-merge-patch+json"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["spec"]["containers"] == [{"name": "a", "image": "x"}, {"name": "b", "image": "z"}]
    assert resp.json()["metadata"]["labels"]["l"] == "1"


def test_json_patch(client: TestClient) -> None:
    client.post(PODS, json=a_pod())
    ops = [{"op": "add", "path": "/metadata/annotations", "value": {"a": "b"}}]
    resp = client.patch(
        f"{PODS}/p", content=json.dumps(ops), headers={"content-type": "application/json-patch+json"}
    )
    assert resp.json()["metadata"]["annotations"] == {"a": "b"}
    bad = [{"op": "test", "path": "/metadata/name", "value": "q"}]
    resp = client.patch(
        f"{PODS}/p", content=json.dumps(bad), headers={"content-type": "application/json-patch+json"}
    )
    assert resp.status_code == 422


@pytest.mark.parametrize(
    ("stored", "tested", "passes"),
    [
        (True, 1, False),  # Python's True == 1; JSON's true is not 1
        (1, True, False),
        (0, False, False),
        (1, 1.0, False),  # json-patch compares the JSON texts: 1 is not 1.0
        ({"a": [1, True]}, {"a": [1, True]}, True),
        ({"a": [1, True]}, {"a": [True, 1]}, False),
        ("1", 1, False),
        (None, None, True),
    ],
)
def test_a_json_patch_test_compares_json_values_exactly(stored: Any, tested: Any, passes: bool) -> None:
    doc = {"metadata": {"name": "p"}, "spec": {"x": stored}}
    ops = [
        {"op": "test", "path": "/spec/x", "value": tested},
        {"op": "add", "path": "/metadata/labels", "value": {"t": "y"}},
    ]
    if passes:
        assert json_patch(doc, ops)["metadata"]["labels"] == {"t": "y"}
    else:
        with pytest.raises(PatchError, match="testing value '/spec/x' failed"):
            json_patch(doc, ops)


def test_an_unknown_patch_type_is_415(client: TestClient) -> None:
    client.post(PODS, json=a_pod())
    resp = client.patch(f"{PODS}/p", content=b"{}", headers={"content-type": "application/apply-patch+cbor"})
    assert resp.status_code == 415 and status_of(resp)["reason"] == "UnsupportedMediaType"


def test_kubectl_client_side_apply_flow(client: TestClient) -> None:
    """GET 404 → POST with last-applied annotation → GET → strategic PATCH."""
    assert client.get(f"{JOBS}/j").status_code == 404
    job = a_job()
    job["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(a_job())}
    assert (
        client.post(
            JOBS + "?fieldManager=kubectl-client-side-apply&fieldValidation=Strict", json=job
        ).status_code
        == 201
    )
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {"parallelism": 2},
    }
    resp = client.patch(
        f"{JOBS}/j?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
        content=json.dumps(patch),
        headers={"content-type": "application/strategic-merge-patch+json"},
    )
    assert resp.status_code == 200 and resp.json()["spec"]["parallelism"] == 2


# -- delete ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "query", "body", "finalizers", "code"),
    [
        ("no policy orphans (R7.5)", "", None, ["orphan"], 202),
        (
            "background in the body",
            "",
            {"kind": "DeleteOptions", "propagationPolicy": "Background"},
            None,
            200,
        ),
        ("foreground in the query", "?propagationPolicy=Foreground", None, ["foregroundDeletion"], 202),
        ("orphanDependents=false", "?orphanDependents=false", None, None, 200),
    ],
)
def test_delete_job_propagation(client: TestClient, scenario, query, body, finalizers, code) -> None:
    client.post(JOBS, json=a_job())
    resp = client.request("DELETE", f"{JOBS}/j{query}", json=body)
    assert resp.status_code == code, scenario
    assert resp.json()["metadata"].get("finalizers") == finalizers


def test_delete_running_pod_is_graceful(client: TestClient) -> None:
    client.post(PODS, json=a_pod(terminationGracePeriodSeconds=5))
    resp = client.delete(f"{PODS}/p")
    assert resp.status_code == 202 and resp.json()["metadata"]["deletionGracePeriodSeconds"] == 5
    resp = client.delete(f"{PODS}/p?gracePeriodSeconds=0")
    assert resp.status_code == 200
    assert client.get(f"{PODS}/p").status_code == 404


def test_delete_collection(client: TestClient) -> None:
    for name in "ab":
        client.post("/api/v1/namespaces/default/configmaps", json={"metadata": {"name": name}})
    resp = client.delete("/api/v1/namespaces/default/configmaps")
    assert resp.status_code == 200 and len(resp.json()["items"]) == 2
    assert client.get("/api/v1/namespaces/default/configmaps").json()["items"] == []


def test_namespaces(client: TestClient) -> None:
    resp = client.post("/api/v1/namespaces", json={"metadata": {"name": "team"}})
    assert resp.status_code == 201 and resp.json()["status"]["phase"] == "Active"
    assert client.get("/api/v1/namespaces/team").json()["metadata"]["name"] == "team"
    assert client.post("/apis/batch/v1/namespaces/team/jobs", json=a_job()).status_code == 201
    assert client.post("/apis/batch/v1/namespaces/none/jobs", json=a_job()).status_code == 404
    assert client.delete("/api/v1/namespaces/default").status_code == 403
    assert client.post("/api/v1/namespaces", json={"metadata": {"name": "Bad_Name"}}).status_code == 422


# -- watch ------------------------------------------------------------------------------------


def test_watch_streams_initial_state_then_changes(client: TestClient, store: Registry) -> None:
    client.post(PODS, json=a_pod("a"))
    rv = client.get(PODS).json()["metadata"]["resourceVersion"]
    client.post(PODS, json=a_pod("b"))
    client.delete(f"{PODS}/b?gracePeriodSeconds=0")
    lines = client.get(PODS + f"?watch=true&resourceVersion={rv}&timeoutSeconds=1").text.splitlines()
    events = [(json.loads(x)["type"], json.loads(x)["object"]["metadata"]["name"]) for x in lines]
    assert events == [("ADDED", "b"), ("DELETED", "b")]
    lines = client.get(PODS + "?watch=1&timeoutSeconds=1").text.splitlines()
    assert [json.loads(x)["type"] for x in lines] == ["ADDED"]


def test_watch_too_old_resource_version_sends_an_expired_error(tmp_path) -> None:
    s = Registry.open(tmp_path / "db", log_size=5, rules=FakeRules())
    for i in range(20):
        s.create("configmaps", {"metadata": {"name": f"c{i}"}})
    with TestClient(
        create_app(registry=s, token="t", hooks=FakeHooks()), headers={"Authorization": "Bearer t"}
    ) as c:
        lines = c.get("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1").text.splitlines()
    ev = json.loads(lines[0])
    assert ev["type"] == "ERROR" and ev["object"]["code"] == 410 and ev["object"]["reason"] == "Expired"
    s.close()


# -- logs --------------------------------------------------------------------------------------


def _pod_with_status(store: Registry, status: dict, **spec) -> None:
    store.create("pods", {**a_pod(**spec), "status": status})


def test_logs_stream_from_the_hook(client: TestClient, store: Registry, hooks: FakeHooks) -> None:
    _pod_with_status(
        store, {"phase": "Running", "containerStatuses": [{"name": "c", "state": {"running": {}}}]}
    )
    resp = client.get(f"{PODS}/p/log?tailLines=5&timestamps=true&sinceSeconds=10")
    assert resp.status_code == 200 and resp.text == "line 1\nline 2\n"
    assert resp.headers["content-type"].startswith("text/plain")
    assert hooks.logs_calls == [
        {"pod": "p", "container": "c", "previous": False, "follow": False, "tail": 5, "timestamps": True,
         "since_seconds": 10}
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("scenario", "status", "query", "message"),
    [
        ("no status yet", {"phase": "Pending"}, "", 'container "c" in pod "p" is waiting to start: ContainerCreating'),
        ("image pull", {"containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]},
         "", 'container "c" in pod "p" is waiting to start: trying and failing to pull image'),
        ("no previous", {"containerStatuses": [{"name": "c", "state": {"running": {}}}]}, "?previous=true",
         'previous terminated container "c" in pod "p" not found'),
        ("unknown container", {}, "?container=zz", "container zz is not valid for pod p"),
    ],
)  # fmt: skip
def test_log_errors(client: TestClient, store: Registry, scenario, status, query, message) -> None:
    _pod_with_status(store, status)
    resp = client.get(f"{PODS}/p/log{query}")
    assert resp.status_code == 400 and status_of(resp)["message"] == message, scenario


def test_logs_need_a_container_name_when_several(client: TestClient, store: Registry) -> None:
    store.create("pods", a_pod(containers=[{"name": "a"}, {"name": "b"}], initContainers=[{"name": "i"}]))
    resp = client.get(f"{PODS}/p/log")
    assert status_of(resp)["message"] == (
        "a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [i]"
    )
