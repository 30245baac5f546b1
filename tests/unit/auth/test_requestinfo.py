"""Requests → authorizer attributes, as the API server's RequestInfoResolver; the 403's wording."""

from __future__ import annotations

import pytest

from minik.auth.requestinfo import forbidden_status, resolve
from minik.auth.user import UserInfo

ME = UserInfo("system:serviceaccount:team:robot")

CASES = [
    # (scenario, method, path, query, (verb, group, resource, subresource, name, namespace) or None = non-resource)
    ("list", "GET", "/api/v1/namespaces/team/pods", {}, ("list", "", "pods", "", "", "team")),
    ("watch", "GET", "/api/v1/namespaces/team/pods", {"watch": "true"}, ("watch", "", "pods", "", "", "team")),
    ("watch of one object by field selector", "GET", "/api/v1/namespaces/team/pods",
     {"watch": "1", "fieldSelector": "metadata.name=p"}, ("watch", "", "pods", "", "p", "team")),
    ("get", "GET", "/api/v1/namespaces/team/pods/p", {}, ("get", "", "pods", "", "p", "team")),
    ("create", "POST", "/apis/batch/v1/namespaces/team/jobs", {}, ("create", "batch", "jobs", "", "", "team")),
    ("update", "PUT", "/apis/batch/v1/namespaces/team/jobs/j", {}, ("update", "batch", "jobs", "", "j", "team")),
    ("patch", "PATCH", "/apis/batch/v1/namespaces/team/jobs/j", {}, ("patch", "batch", "jobs", "", "j", "team")),
    ("delete", "DELETE", "/apis/batch/v1/namespaces/team/jobs/j", {}, ("delete", "batch", "jobs", "", "j", "team")),
    ("deletecollection", "DELETE", "/apis/batch/v1/namespaces/team/jobs", {},
     ("deletecollection", "batch", "jobs", "", "", "team")),
    ("a subresource", "GET", "/api/v1/namespaces/team/pods/p/log", {}, ("get", "", "pods", "log", "p", "team")),
    ("status", "PUT", "/apis/batch/v1/namespaces/team/jobs/j/status", {},
     ("update", "batch", "jobs", "status", "j", "team")),
    ("all namespaces", "GET", "/api/v1/pods", {}, ("list", "", "pods", "", "", "")),
    ("a namespace is a cluster-scoped object named in its own namespace", "GET", "/api/v1/namespaces/team", {},
     ("get", "", "namespaces", "", "team", "team")),
    ("a namespace's status", "PUT", "/api/v1/namespaces/team/status", {},
     ("update", "", "namespaces", "status", "team", "team")),
    ("a cluster-scoped kind", "GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/view", {},
     ("get", "rbac.authorization.k8s.io", "clusterroles", "", "view", "")),
    ("the token subresource", "POST", "/api/v1/namespaces/team/serviceaccounts/robot/token", {},
     ("create", "", "serviceaccounts", "token", "robot", "team")),
    ("discovery of a version is a path", "GET", "/api/v1", {}, None),
    ("discovery of a group is a path", "GET", "/apis/batch/v1", {}, None),
    ("/version is a path", "GET", "/version", {}, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "query", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_request_info(method: str, path: str, query: dict[str, str], want: tuple[str, ...] | None) -> None:
    a = resolve(ME, method, path, query)
    if want is None:
        assert (a.resource_request, a.verb, a.path) == (False, method.lower(), path)
    else:
        assert a.resource_request
        assert (a.verb, a.api_group, a.resource, a.subresource, a.name, a.namespace) == want


def test_a_websocket_exec_asks_create() -> None:
    a = resolve(ME, "GET", "/api/v1/namespaces/team/pods/p/exec", {"command": "ls"}, websocket=True)
    assert (a.verb, a.resource, a.subresource) == ("create", "pods", "exec")


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", "/api/v1/namespaces/team/pods",
         'pods is forbidden: User "system:serviceaccount:team:robot" cannot list resource "pods" in API group "" '
         'in the namespace "team"'),
        ("GET", "/apis/batch/v1/jobs",
         'jobs.batch is forbidden: User "system:serviceaccount:team:robot" cannot list resource "jobs" in API '
         'group "batch" at the cluster scope'),
        ("GET", "/api/v1/namespaces/team/pods/p/log",
         'pods "p" is forbidden: User "system:serviceaccount:team:robot" cannot get resource "pods/log" in API '
         'group "" in the namespace "team"'),
        ("GET", "/metrics", 'forbidden: User "system:serviceaccount:team:robot" cannot get path "/metrics"'),
    ],
)  # fmt: skip
def test_the_403_reads_as_upstream(method: str, path: str, message: str) -> None:
    status = forbidden_status(resolve(ME, method, path, {}))
    assert (status["code"], status["reason"], status["message"]) == (403, "Forbidden", message)
