"""The API with service-account tokens: TokenRequest, RBAC on every verb family, the reviews,
impersonation (through the app, a real store, fake hooks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from minik.api import create_app
from minik.registry import Registry
from tests.unit.api.conftest import TOKEN, FakeHooks, a_pod

RBAC = "/apis/rbac.authorization.k8s.io/v1/namespaces/default"
PODS = "/api/v1/namespaces/default/pods"
SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


@pytest.fixture
def admin(store: Registry, hooks: FakeHooks) -> Iterator[TestClient]:
    app = create_app(registry=store, token=TOKEN, hooks=hooks)
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


def token_for(admin: TestClient, sa: str = "default", **spec: Any) -> str:
    resp = admin.post(f"/api/v1/namespaces/default/serviceaccounts/{sa}/token", json={"spec": spec})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["kind"] == "TokenRequest" and body["apiVersion"] == "authentication.k8s.io/v1"
    return str(body["status"]["token"])


def as_(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def grant(admin: TestClient, verbs: list[str], resources: list[str] | None = None) -> None:
    role = {
        "metadata": {"name": "r"},
        "rules": [{"apiGroups": [""], "resources": resources or ["pods"], "verbs": verbs}],
    }
    assert admin.post(f"{RBAC}/roles", json=role).status_code == 201
    rb = {"metadata": {"name": "rb"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
          "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "default"}]}  # fmt: skip
    assert admin.post(f"{RBAC}/rolebindings", json=rb).status_code == 201


# (verb family, method, path suffix, body)
FAMILIES = [
    ("get", "GET", "/p", None),
    ("list", "GET", "", None),
    ("watch", "GET", "?watch=true&timeoutSeconds=1", None),
    ("create", "POST", "", "pod"),
    ("update", "PUT", "/p", "pod"),
    ("patch", "PATCH", "/p", {"metadata": {"labels": {"x": "y"}}}),
    ("delete", "DELETE", "/p", None),
    ("deletecollection", "DELETE", "", None),
]


def _send(c: TestClient, token: str, method: str, suffix: str, body: Any) -> Any:
    headers = as_(token)
    if body == "pod" and method == "POST":
        body = a_pod("p2")
    elif body == "pod":  # an update: the stored pod with a new label
        body = c.get(PODS + suffix).json()
        body["metadata"]["labels"] = {"x": "z"}
    if method == "PATCH":
        headers["Content-Type"] = "application/merge-patch+json"
    return c.request(method, PODS + suffix, headers=headers, json=body)


@pytest.mark.parametrize(("verb", "method", "suffix", "body"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_a_service_account_may_do_what_its_role_allows_and_nothing_else(
    admin: TestClient, verb: str, method: str, suffix: str, body: Any
) -> None:
    assert admin.post(PODS, json=a_pod("p")).status_code == 201
    token = token_for(admin)
    others = [
        v
        for v in ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
        if v != verb
    ]
    grant(admin, others)
    refused = _send(admin, token, method, suffix, body)
    assert refused.status_code == 403, refused.text
    status = refused.json()
    assert status["reason"] == "Forbidden"
    assert (
        f'User "system:serviceaccount:default:default" cannot {verb} resource "pods" in API group "" in the '
        f'namespace "default"'
    ) in status["message"]
    admin.delete(f"{RBAC}/roles/r")
    grant_only = {
        "metadata": {"name": "r"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": [verb]}],
    }
    assert admin.post(f"{RBAC}/roles", json=grant_only).status_code == 201
    allowed = _send(admin, token, method, suffix, body)
    assert allowed.status_code < 300, allowed.text


def test_no_token_or_a_foreign_token_is_401(admin: TestClient) -> None:
    for headers in ({"Authorization": ""}, as_("eyJhbGciOiJFUzI1NiJ9.e30.AAAA")):
        assert admin.get(PODS, headers=headers).status_code == 401


def test_a_pod_bound_token_dies_with_its_pod(admin: TestClient) -> None:
    uid = admin.post(PODS, json=a_pod("p")).json()["metadata"]["uid"]
    token = token_for(admin, boundObjectRef={"kind": "Pod", "apiVersion": "v1", "name": "p", "uid": uid})
    ask = {"spec": {"resourceAttributes": {"verb": "list", "resource": "pods"}}}
    assert admin.post(SSAR, headers=as_(token), json=ask).status_code == 201
    admin.delete(f"{PODS}/p?gracePeriodSeconds=0")
    assert admin.get(f"{PODS}/p").status_code == 404
    ask = {"spec": {"nonResourceAttributes": {"verb": "get", "path": "/api"}}}
    assert admin.post(SSAR, headers=as_(token), json=ask).status_code == 401


def test_a_token_of_a_deleted_service_account_is_refused(admin: TestClient) -> None:
    admin.post("/api/v1/namespaces/default/serviceaccounts", json={"metadata": {"name": "robot"}})
    token = token_for(admin, "robot")
    assert admin.get("/version", headers=as_(token)).status_code == 200
    admin.delete("/api/v1/namespaces/default/serviceaccounts/robot")
    assert admin.get("/version", headers=as_(token)).status_code == 401


@pytest.mark.parametrize(
    ("spec", "code", "message"),
    [
        ({"expirationSeconds": 599}, 422, "may not specify a duration less than 10 minutes"),
        ({"expirationSeconds": 2**32 + 1}, 422, "may not specify a duration larger than 2^32 seconds"),
        (
            {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "nope"}},
            404,
            'pods "nope" not found',
        ),
        ({"boundObjectRef": {"kind": "Node", "apiVersion": "v1", "name": "minik"}}, 400, "cannot bind token"),
    ],
)
def test_token_request_refusals(admin: TestClient, spec: dict[str, Any], code: int, message: str) -> None:
    resp = admin.post("/api/v1/namespaces/default/serviceaccounts/default/token", json={"spec": spec})
    assert resp.status_code == code and message in resp.json()["message"], resp.text


def test_token_request_for_a_missing_service_account_is_404(admin: TestClient) -> None:
    resp = admin.post("/api/v1/namespaces/default/serviceaccounts/nope/token", json={})
    assert resp.status_code == 404 and resp.json()["message"] == 'serviceaccounts "nope" not found'


def test_self_subject_review_and_access_review(admin: TestClient) -> None:
    token = token_for(admin)
    who = admin.post("/apis/authentication.k8s.io/v1/selfsubjectreviews", headers=as_(token), json={})
    assert who.status_code == 201
    assert who.json()["status"]["userInfo"]["username"] == "system:serviceaccount:default:default"
    ask = {"spec": {"resourceAttributes": {"namespace": "default", "verb": "list", "resource": "pods"}}}
    assert admin.post(SSAR, headers=as_(token), json=ask).json()["status"] == {"allowed": False}
    grant(admin, ["list"])
    status = admin.post(SSAR, headers=as_(token), json=ask).json()["status"]
    assert status["allowed"] is True and status["reason"].startswith(
        'RBAC: allowed by RoleBinding "rb/default"'
    )
    bad = admin.post(SSAR, headers=as_(token), json={"spec": {}})
    assert bad.status_code == 422


def test_token_review(admin: TestClient) -> None:
    token = token_for(admin)
    review = admin.post("/apis/authentication.k8s.io/v1/tokenreviews", json={"spec": {"token": token}}).json()
    assert review["status"]["authenticated"] is True
    assert review["status"]["user"]["username"] == "system:serviceaccount:default:default"
    bad = admin.post("/apis/authentication.k8s.io/v1/tokenreviews", json={"spec": {"token": "x"}}).json()
    assert bad["status"]["authenticated"] is False and bad["status"]["error"]
    # a service account may not review tokens unless a role says so
    assert (
        admin.post(
            "/apis/authentication.k8s.io/v1/tokenreviews", headers=as_(token), json={"spec": {"token": token}}
        ).status_code
        == 403
    )


def test_the_admin_impersonates_a_service_account_a_service_account_cannot_impersonate(
    admin: TestClient,
) -> None:
    sa = {"Impersonate-User": "system:serviceaccount:default:default"}
    assert admin.get(PODS, headers=sa).status_code == 403
    who = admin.post("/apis/authentication.k8s.io/v1/selfsubjectreviews", headers=sa, json={}).json()
    assert who["status"]["userInfo"]["groups"] == [
        "system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated",
    ]  # fmt: skip
    token = token_for(admin)
    resp = admin.get(PODS, headers={**as_(token), "Impersonate-User": "kubernetes-admin"})
    assert resp.status_code == 403 and "cannot impersonate resource" in resp.json()["message"]


def test_subject_access_review_for_a_service_account(admin: TestClient) -> None:
    grant(admin, ["get"])
    body = {"spec": {"user": "system:serviceaccount:default:default", "groups": ["system:serviceaccounts"],
                     "resourceAttributes": {"namespace": "default", "verb": "get", "resource": "pods"}}}  # fmt: skip
    resp = admin.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", json=body)
    assert resp.status_code == 201 and resp.json()["status"]["allowed"] is True


def test_the_default_cluster_roles_exist(admin: TestClient) -> None:
    names = {
        r["metadata"]["name"]
        for r in admin.get("/apis/rbac.authorization.k8s.io/v1/clusterroles").json()["items"]
    }
    assert {"cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery"} <= names
