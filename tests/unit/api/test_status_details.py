"""Every Status minik answers carries the ``details`` the API server's has for its reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from minik.apierrors import complete, failure
from tests.unit.api.conftest import JOBS, PODS, a_job, a_pod

CMS = "/api/v1/namespaces/default/configmaps"
PDBS = "/apis/policy/v1/namespaces/default/poddisruptionbudgets"
APPLY = {"Content-Type": "application/apply-patch+yaml"}
STRATEGIC = {"Content-Type": "application/strategic-merge-patch+json"}


def _missing_job(c: TestClient) -> Any:
    return c.get(f"{JOBS}/x")


def _unserved_subresource_get(c: TestClient) -> Any:
    c.post(PODS, json=a_pod())
    return c.get(f"{PODS}/p/resize")  # alpha and off in 1.32, as in minik


def _unserved_subresource_patch(c: TestClient) -> Any:
    """A patch of a subresource minik does not serve: its NotFound has details with no name
    (kubectl debug told "ephemeral containers are disabled" from a missing one by that)."""
    c.post(PODS, json=a_pod())
    return c.patch(f"{PODS}/p/resize", content=b'{"spec":{}}', headers=STRATEGIC)


def _unknown_resource(c: TestClient) -> Any:
    return c.get("/api/v1/namespaces/default/widgets")


def _existing_job(c: TestClient) -> Any:
    c.post(JOBS, json=a_job())
    return c.post(JOBS, json=a_job())


def _stale_update(c: TestClient) -> Any:
    created = c.post(CMS, json={"metadata": {"name": "c"}, "data": {"a": "1"}}).json()
    c.put(f"{CMS}/c", json={**created, "data": {"a": "2"}})
    return c.put(f"{CMS}/c", json={**created, "data": {"a": "3"}})


def _invalid_job(c: TestClient) -> Any:
    job = a_job()
    job["spec"]["template"]["spec"]["containers"][0]["image"] = "bad"
    return c.post(JOBS, json=job)


def _apply_conflict(c: TestClient) -> Any:
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: '1'\n"
    c.patch(f"{CMS}/c?fieldManager=one", content=body, headers=APPLY)
    return c.patch(f"{CMS}/c?fieldManager=two", content=body.replace(b"'1'", b"'2'"), headers=APPLY)


def _post_to_an_object(c: TestClient) -> Any:
    return c.post(f"{PODS}/p", json=a_pod())


def _apply_to_a_subresource(c: TestClient) -> Any:
    c.post(JOBS, json=a_job())
    body = b"apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nstatus: {}\n"
    return c.patch(f"{JOBS}/j/status?fieldManager=m", content=body, headers=APPLY)


def _bad_selector(c: TestClient) -> Any:
    return c.get(f"{PODS}?labelSelector=a%20in%20(")


def _no_token(c: TestClient) -> Any:
    return c.get(PODS, headers={"Authorization": "Bearer wrong"})


CASES: list[tuple[str, Callable[[TestClient], Any], int, str, dict[str, Any] | None]] = [
    # (scenario, request, code, reason, details — None: upstream sends none)
    ("a missing object names it", _missing_job, 404, "NotFound", {"name": "x", "group": "batch", "kind": "jobs"}),
    ("an unserved subresource has empty details", _unserved_subresource_get, 404, "NotFound", {}),
    ("a patch of an unserved subresource too", _unserved_subresource_patch, 404, "NotFound", {}),
    ("an unserved resource has empty details", _unknown_resource, 404, "NotFound", {}),
    ("an existing object is named", _existing_job, 409, "AlreadyExists",
     {"name": "j", "group": "batch", "kind": "jobs"}),
    ("a stale write names the object", _stale_update, 409, "Conflict", {"name": "c", "kind": "configmaps"}),
    ("an apply conflict lists its fields", _apply_conflict, 409, "Conflict",
     {"causes": [{"reason": "FieldManagerConflict", "message": 'conflict with "one"', "field": ".data.a"}]}),
    ("an invalid object names its kind and causes", _invalid_job, 422, "Invalid",
     {"name": "j", "group": "batch", "kind": "Job", "causes": [
         {"reason": "FieldValueRequired", "message": "Required value",
          "field": "spec.template.spec.containers[0].image"}]}),
    ("a method a route does not serve", _post_to_an_object, 405, "MethodNotAllowed", {}),
    ("a method minik does not support names the resource", _apply_to_a_subresource, 405,
     "MethodNotAllowed", {"group": "batch", "kind": "jobs"}),
    ("a bad request has none", _bad_selector, 400, "BadRequest", None),
    ("unauthorized has none", _no_token, 401, "Unauthorized", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("send", "code", "reason", "details"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_status_details_by_reason(
    client: TestClient,
    send: Callable[[TestClient], Any],
    code: int,
    reason: str,
    details: dict[str, Any] | None,
) -> None:
    body = send(client).json()
    assert (body["code"], body["reason"]) == (code, reason), body
    assert body.get("details") == details, body


FAILURES = [
    # (reason, message, details filled in)
    ("NotFound", "the server could not find the requested resource", {}),
    ("MethodNotAllowed", "the server does not allow this method on the requested resource", {}),
    ("Forbidden", "forbidden: no", {}),
    ("TooManyRequests", "slow down", {}),
    ("InternalError", "Internal error occurred: the store is locked", {"causes": [{"message": "the store is locked"}]}),
    ("BadRequest", "nope", None),
    ("Expired", "too old resource version: 1 (5)", None),
    ("UnsupportedMediaType", "no", None),
    ("RequestEntityTooLarge", "Request entity too large: big", None),
]  # fmt: skip


@pytest.mark.parametrize(("reason", "message", "details"), FAILURES, ids=[f[0] for f in FAILURES])
def test_a_status_gets_the_details_of_its_reason(reason: str, message: str, details: Any) -> None:
    built = failure(500, reason, message)
    assert built.get("details") == details
    raw = {k: v for k, v in built.items() if k != "details"}
    assert complete(raw).get("details") == details


def test_details_given_are_kept() -> None:
    given = {"causes": [{"reason": "ExitCode", "message": "3"}]}
    assert failure(500, "InternalError", "x", given)["details"] is given
    assert complete({"status": "Failure", "reason": "NotFound", "details": {"name": "p"}})["details"] == {
        "name": "p"
    }


UNSERVED = [
    # (what kubectl asks for, path, what the message names)
    ("create deployment", "/apis/apps/v1/namespaces/default/deployments", "deployments.apps/v1"),
    ("create quota", "/api/v1/namespaces/default/resourcequotas", "resourcequotas/v1"),
    (
        "create priorityclass",
        "/apis/scheduling.k8s.io/v1/priorityclasses",
        "priorityclasses.scheduling.k8s.io/v1",
    ),
]


@pytest.mark.parametrize(("path", "what"), [u[1:] for u in UNSERVED], ids=[u[0] for u in UNSERVED])
def test_a_kind_minik_does_not_serve_is_named_in_the_not_found(
    client: TestClient, path: str, what: str
) -> None:
    body = client.post(path, json={}).json()
    assert (body["code"], body["reason"], body["details"]) == (404, "NotFound", {})
    assert body["message"].startswith(
        f"the server could not find the requested resource: minik does not serve {what} "
    )
