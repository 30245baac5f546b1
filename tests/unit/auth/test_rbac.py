"""The RBAC authorizer, scenario by scenario (upstream's rbac authorizer_test and rule matching)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest

from minik.auth import bootstrap
from minik.auth.rbac import Authorizer
from minik.auth.requestinfo import Attributes, resolve
from minik.auth.user import ADMIN, UserInfo, sa_groups, sa_username

Obj = dict[str, Any]
RBAC = "rbac.authorization.k8s.io"


class FakeSource:
    def __init__(self, objs: list[Obj]) -> None:
        self.objs = objs

    def _plural(self, obj: Obj) -> str:
        return {"Role": "roles", "ClusterRole": "clusterroles", "RoleBinding": "rolebindings",
                "ClusterRoleBinding": "clusterrolebindings"}[obj["kind"]]  # fmt: skip

    def list(self, resource: str, namespace: str | None) -> list[Obj]:
        return [
            o for o in self.objs
            if self._plural(o) == resource and (namespace is None or o["metadata"].get("namespace") == namespace)
        ]  # fmt: skip

    def get(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        for o in self.list(resource, namespace):
            if o["metadata"]["name"] == name:
                return o
        return None


def role(name: str, ns: str, *rules: Obj) -> Obj:
    return {"kind": "Role", "metadata": {"name": name, "namespace": ns}, "rules": list(rules)}


def cluster_role(name: str, *rules: Obj, labels: dict[str, str] | None = None, aggregate: str = "") -> Obj:
    obj: Obj = {
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": labels or {}},
        "rules": list(rules),
    }
    if aggregate:
        obj["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {aggregate: "true"}}]}
    return obj


def binding(name: str, ns: str, ref_kind: str, ref: str, *subjects: Obj) -> Obj:
    return {"kind": "RoleBinding", "metadata": {"name": name, "namespace": ns},
            "roleRef": {"apiGroup": RBAC, "kind": ref_kind, "name": ref}, "subjects": list(subjects)}  # fmt: skip


def cluster_binding(name: str, ref: str, *subjects: Obj) -> Obj:
    return {"kind": "ClusterRoleBinding", "metadata": {"name": name},
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": ref}, "subjects": list(subjects)}  # fmt: skip


def rule(verbs: str, resources: str = "", groups: str = "", names: str = "", urls: str = "") -> Obj:
    out: Obj = {"verbs": verbs.split(",")}
    if urls:
        out["nonResourceURLs"] = urls.split(",")
    else:
        out["apiGroups"] = groups.split(",")
        out["resources"] = resources.split(",")
    if names:
        out["resourceNames"] = names.split(",")
    return out


def sa(ns: str = "team", name: str = "robot") -> UserInfo:
    return UserInfo(sa_username(ns, name), uid="u1", groups=sa_groups(ns))


SA_SUBJECT = {"kind": "ServiceAccount", "name": "robot", "namespace": "team"}
POD_READER = [role("pod-reader", "team", rule("get,list,watch", "pods")),
              binding("read", "team", "Role", "pod-reader", SA_SUBJECT)]  # fmt: skip


def ask(user: UserInfo, method: str, path: str, **query: str) -> Attributes:
    return resolve(user, method, path, query)


CASES: list[tuple[str, list[Obj], Attributes, bool]] = [
    # verb families
    ("a Role allowing list lets the SA list pods", POD_READER, ask(sa(), "GET", "/api/v1/namespaces/team/pods"), True),
    ("... and get one", POD_READER, ask(sa(), "GET", "/api/v1/namespaces/team/pods/p"), True),
    ("... and watch", POD_READER, ask(sa(), "GET", "/api/v1/namespaces/team/pods", watch="true"), True),
    ("... but not create", POD_READER, ask(sa(), "POST", "/api/v1/namespaces/team/pods"), False),
    ("... nor update", POD_READER, ask(sa(), "PUT", "/api/v1/namespaces/team/pods/p"), False),
    ("... nor patch", POD_READER, ask(sa(), "PATCH", "/api/v1/namespaces/team/pods/p"), False),
    ("... nor delete", POD_READER, ask(sa(), "DELETE", "/api/v1/namespaces/team/pods/p"), False),
    ("... nor deletecollection", POD_READER, ask(sa(), "DELETE", "/api/v1/namespaces/team/pods"), False),
    ("... nor list pods in another namespace", POD_READER, ask(sa(), "GET", "/api/v1/namespaces/other/pods"), False),
    ("... nor across namespaces", POD_READER, ask(sa(), "GET", "/api/v1/pods"), False),
    ("... nor list secrets", POD_READER, ask(sa(), "GET", "/api/v1/namespaces/team/secrets"), False),
    ("... nor read pods/log (a subresource needs its own rule)", POD_READER,
     ask(sa(), "GET", "/api/v1/namespaces/team/pods/p/log"), False),
    ("another SA of the namespace gets nothing", POD_READER,
     ask(sa(name="other"), "GET", "/api/v1/namespaces/team/pods"), False),
    ("the same SA name in another namespace gets nothing", POD_READER,
     ask(sa(ns="other"), "GET", "/api/v1/namespaces/other/pods"), False),
    # ClusterRoles
    ("a ClusterRole through a RoleBinding applies in the binding's namespace",
     [cluster_role("reader", rule("list", "pods")), binding("b", "team", "ClusterRole", "reader", SA_SUBJECT)],
     ask(sa(), "GET", "/api/v1/namespaces/team/pods"), True),
    ("... and only there",
     [cluster_role("reader", rule("list", "pods")), binding("b", "team", "ClusterRole", "reader", SA_SUBJECT)],
     ask(sa(), "GET", "/api/v1/namespaces/other/pods"), False),
    ("... and not at the cluster scope",
     [cluster_role("reader", rule("list", "pods")), binding("b", "team", "ClusterRole", "reader", SA_SUBJECT)],
     ask(sa(), "GET", "/api/v1/pods"), False),
    ("a ClusterRoleBinding applies everywhere",
     [cluster_role("reader", rule("list", "pods")), cluster_binding("b", "reader", SA_SUBJECT)],
     ask(sa(), "GET", "/api/v1/pods"), True),
    ("a cluster-scoped resource needs a ClusterRoleBinding",
     [cluster_role("ns", rule("list", "namespaces")), binding("b", "team", "ClusterRole", "ns", SA_SUBJECT)],
     ask(sa(), "GET", "/api/v1/namespaces"), False),
    ("a RoleBinding to a missing Role allows nothing",
     [binding("b", "team", "Role", "gone", SA_SUBJECT)], ask(sa(), "GET", "/api/v1/namespaces/team/pods"), False),
    # subjects of a ClusterRoleBinding
    ("Group system:serviceaccounts",
     [cluster_role("c", rule("list", "pods")), cluster_binding("b", "c", {"kind": "Group", "name": "system:serviceaccounts"})],
     ask(sa(), "GET", "/api/v1/pods"), True),
    ("Group system:authenticated",
     [cluster_role("c", rule("list", "pods")), cluster_binding("b", "c", {"kind": "Group", "name": "system:authenticated"})],
     ask(sa(), "GET", "/api/v1/pods"), True),
    # non-resource URLs
    ("a nonResourceURL exactly", [cluster_role("c", rule("get", urls="/healthz")),
                                  cluster_binding("b", "c", SA_SUBJECT)], ask(sa(), "GET", "/healthz"), True),
    ("a nonResourceURL prefix*", [cluster_role("c", rule("get", urls="/apis/*")),
                                  cluster_binding("b", "c", SA_SUBJECT)], ask(sa(), "GET", "/apis/batch"), True),
    ("a nonResourceURL other verb", [cluster_role("c", rule("get", urls="/healthz")),
                                     cluster_binding("b", "c", SA_SUBJECT)], ask(sa(), "POST", "/healthz"), False),
    # aggregation
    ("an aggregated ClusterRole has the rules of the roles its selector picks",
     [cluster_role("monitoring", aggregate="example.com/aggregate-to-monitoring"),
      cluster_role("pods", rule("list", "pods"), labels={"example.com/aggregate-to-monitoring": "true"}),
      binding("b", "team", "ClusterRole", "monitoring", SA_SUBJECT)],
     ask(sa(), "GET", "/api/v1/namespaces/team/pods"), True),
    # the privileged group
    ("system:masters is allowed everything", [], ask(ADMIN, "DELETE", "/api/v1/nodes/minik"), True),
]  # fmt: skip


@pytest.mark.parametrize(("objs", "attrs", "allowed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rbac(objs: list[Obj], attrs: Attributes, allowed: bool) -> None:
    assert Authorizer(FakeSource(objs)).authorize(attrs).allowed is allowed


RULE_CASES: list[tuple[str, Obj, str, str, bool]] = [
    # groups and API groups
    ("apiGroups must match: pods in batch is not core pods", rule("list", "pods", groups="batch"),
     "GET", "/api/v1/namespaces/team/pods", False),
    ("jobs in batch", rule("create,delete", "jobs", groups="batch"), "POST", "/apis/batch/v1/namespaces/team/jobs", True),
    # wildcards
    ("* verbs, * resources, * groups", rule("*", "*", groups="*"),
     "DELETE", "/apis/batch/v1/namespaces/team/cronjobs/c", True),
    ("* resources covers subresources", rule("get", "*", groups=""), "GET", "/api/v1/namespaces/team/pods/p/log", True),
    ("*/log matches pods/log", rule("get", "*/log"), "GET", "/api/v1/namespaces/team/pods/p/log", True),
    ("*/log does not match pods", rule("get", "*/log"), "GET", "/api/v1/namespaces/team/pods/p", False),
    ("pods/log", rule("get", "pods/log"), "GET", "/api/v1/namespaces/team/pods/p/log", True),
    # resourceNames
    ("resourceNames allow the named object", rule("get,delete", "configmaps", names="lock"),
     "DELETE", "/api/v1/namespaces/team/configmaps/lock", True),
    ("resourceNames refuse another object", rule("get", "configmaps", names="lock"),
     "GET", "/api/v1/namespaces/team/configmaps/other", False),
    ("resourceNames refuse a list", rule("list", "configmaps", names="lock"),
     "GET", "/api/v1/namespaces/team/configmaps", False),
    ("resourceNames allow a list narrowed to the name by a field selector", rule("list", "configmaps", names="lock"),
     "GET", "/api/v1/namespaces/team/configmaps?fieldSelector=metadata.name=lock", True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("one_rule", "method", "url", "allowed"), [c[1:] for c in RULE_CASES], ids=[c[0] for c in RULE_CASES]
)
def test_a_role_with_one_rule_bound_to_the_service_account(
    one_rule: Obj, method: str, url: str, allowed: bool
) -> None:
    path, _, query = url.partition("?")
    objs = [role("r", "team", one_rule), binding("b", "team", "Role", "r", SA_SUBJECT)]
    attrs = ask(sa(), method, path, **dict(parse_qsl(query)))
    assert Authorizer(FakeSource(objs)).authorize(attrs).allowed is allowed


SUBJECT_CASES: list[tuple[str, Obj, bool]] = [
    ("a ServiceAccount subject without namespace means the binding's", {"kind": "ServiceAccount", "name": "robot"}, True),
    ("a User subject naming the SA user", {"kind": "User", "name": "system:serviceaccount:team:robot"}, True),
    ("Group system:serviceaccounts:team", {"kind": "Group", "name": "system:serviceaccounts:team"}, True),
    ("Group system:serviceaccounts:other is not this SA's", {"kind": "Group", "name": "system:serviceaccounts:other"}, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("subject", "allowed"), [c[1:] for c in SUBJECT_CASES], ids=[c[0] for c in SUBJECT_CASES]
)
def test_a_role_binding_subject_that_may_name_the_service_account(subject: Obj, allowed: bool) -> None:
    objs = [role("r", "team", rule("list", "pods")), binding("b", "team", "Role", "r", subject)]
    assert (
        Authorizer(FakeSource(objs)).authorize(ask(sa(), "GET", "/api/v1/namespaces/team/pods")).allowed
        is allowed
    )


def test_the_reason_names_the_binding_role_and_subject_as_upstream() -> None:
    d = Authorizer(FakeSource(POD_READER)).authorize(ask(sa(), "GET", "/api/v1/namespaces/team/pods"))
    assert d.reason == (
        'RBAC: allowed by RoleBinding "read/team" of Role "pod-reader" to ServiceAccount "robot/team"'
    )


def defaults() -> FakeSource:
    return FakeSource(bootstrap.cluster_roles() + bootstrap.cluster_role_bindings())


DEFAULT_CASES = [
    ("every authenticated user reads discovery", "GET", "/apis", True),
    ("... and /version", "GET", "/version", True),
    ("... and /api/v1 (a non-resource path)", "GET", "/api/v1", True),
    (
        "... and may ask what it can do",
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        True,
    ),
    ("... and who it is", "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", True),
    ("... but may not review tokens", "POST", "/apis/authentication.k8s.io/v1/tokenreviews", False),
    ("... nor list pods", "GET", "/api/v1/namespaces/team/pods", False),
]


@pytest.mark.parametrize(
    ("method", "path", "allowed"), [c[1:] for c in DEFAULT_CASES], ids=[c[0] for c in DEFAULT_CASES]
)
def test_default_roles_give_a_service_account_discovery_and_self_reviews(
    method: str, path: str, allowed: bool
) -> None:
    assert Authorizer(defaults()).authorize(ask(sa(), method, path)).allowed is allowed


@pytest.mark.parametrize(
    ("role_name", "method", "path", "allowed"),
    [
        ("view", "GET", "/api/v1/namespaces/team/pods", True),
        ("view", "GET", "/api/v1/namespaces/team/secrets", False),
        ("view", "DELETE", "/api/v1/namespaces/team/pods/p", False),
        ("edit", "DELETE", "/api/v1/namespaces/team/pods/p", True),
        ("edit", "POST", "/api/v1/namespaces/team/serviceaccounts/x/token", True),
        ("edit", "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles", False),
        ("admin", "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles", True),
        ("cluster-admin", "DELETE", "/api/v1/namespaces/team/secrets/s", True),
    ],
)
def test_the_default_user_facing_roles(role_name: str, method: str, path: str, allowed: bool) -> None:
    source = defaults()
    source.objs.append(binding("b", "team", "ClusterRole", role_name, SA_SUBJECT))
    assert Authorizer(source).authorize(ask(sa(), method, path)).allowed is allowed


def test_a_role_labelled_to_aggregate_into_view_extends_it() -> None:
    source = defaults()
    source.objs += [
        cluster_role(
            "crd-view",
            rule("list", "widgets", groups="example.com"),
            labels={"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        ),
        binding("b", "team", "ClusterRole", "view", SA_SUBJECT),
    ]
    assert (
        Authorizer(source).authorize(ask(sa(), "GET", "/apis/example.com/v1/namespaces/team/widgets")).allowed
    )


def test_rules_review_lists_the_rules_that_apply() -> None:
    resource_rules, url_rules = Authorizer(FakeSource(POD_READER)).rules_review(sa(), "team")
    assert resource_rules == [{"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["pods"]}]
    assert url_rules == []
