"""Namespace, ServiceAccount and RBAC validation, generateName and removed API versions, as specs."""

from __future__ import annotations

from typing import Any

import pytest

from minik import manifest
from minik.errors import ManifestError

RBAC = "rbac.authorization.k8s.io/v1"


def errors_of(text: str) -> list[str]:
    docs, problems = manifest.parse(text, "f.yaml")
    assert not problems
    try:
        manifest.validate_documents(docs)
    except ManifestError as exc:
        return [e.render().removeprefix("f.yaml:") for e in exc.errors]
    return []


def rendered(obj: dict[str, Any]) -> list[str]:
    errors, _ = manifest.validate_object(manifest.default_object(obj))
    return [f"{e.path}: {e.body()}" for e in errors]


def role(kind: str = "Role", **rule: Any) -> dict[str, Any]:
    return {
        "apiVersion": RBAC,
        "kind": kind,
        "metadata": {"name": "r", "namespace": "default"},
        "rules": [rule],
    }


def binding(
    kind: str = "RoleBinding", ref: dict[str, Any] | None = None, *subjects: dict[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": RBAC,
        "kind": kind,
        "metadata": {"name": "b"},
        "roleRef": ref
        if ref is not None
        else {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": list(subjects),
    }


RULE_CASES = [
    ("a resource rule with groups, resources and verbs is valid", role(apiGroups=[""], resources=["pods"], verbs=["get"]), []),
    ("a rule without verbs is rejected", role(apiGroups=[""], resources=["pods"]),
     ["rules[0].verbs: Required value: verbs must contain at least one value"]),
    ("a resource rule needs an api group", role(resources=["pods"], verbs=["get"]),
     ["rules[0].apiGroups: Required value: resource rules must supply at least one api group"]),
    ("a resource rule needs a resource", role(apiGroups=[""], verbs=["get"]),
     ["rules[0].resources: Required value: resource rules must supply at least one resource"]),
    ("resource names cannot apply to several resources",
     role(apiGroups=[""], resources=["pods", "secrets"], resourceNames=["x"], verbs=["get"]),
     ["rules[0].resourceNames: Required value: resource names cannot apply to multiple resources"]),
    ("a namespaced Role cannot name non-resource URLs", role(nonResourceURLs=["/metrics"], verbs=["get"]),
     ['rules[0].nonResourceURLs: Invalid value: ["/metrics"]: namespaced rules cannot apply to non-resource URLs']),
    ("a ClusterRole may name non-resource URLs", role("ClusterRole", nonResourceURLs=["/metrics"], verbs=["get"]), []),
    ("a rule cannot mix resources and non-resource URLs",
     role("ClusterRole", nonResourceURLs=["/x"], resources=["pods"], verbs=["get"]),
     ['rules[0].nonResourceURLs: Invalid value: ["/x"]: rules cannot apply to both regular resources and non-resource URLs']),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "obj", "expected"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_policy_rules(spec: str, obj: dict[str, Any], expected: list[str]) -> None:
    assert rendered(obj) == expected


SA = {"kind": "ServiceAccount", "name": "runner"}
SA_NS = {"kind": "ServiceAccount", "name": "runner", "namespace": "ci"}
BINDING_CASES = [
    ("a RoleBinding of a ServiceAccount to a ClusterRole is valid", binding("RoleBinding", None, SA), []),
    ("a ClusterRoleBinding's ServiceAccount needs a namespace", binding("ClusterRoleBinding", None, SA),
     ["subjects[0].namespace: Required value"]),
    ("a ClusterRoleBinding with a namespaced ServiceAccount is valid", binding("ClusterRoleBinding", None, SA_NS), []),
    ("a ClusterRoleBinding cannot bind a Role",
     binding("ClusterRoleBinding", {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}),
     ['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"']),
    ("the roleRef's apiGroup must be the RBAC group", binding("RoleBinding", {"kind": "Role", "name": "r"}),
     ['roleRef.apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"']),
    ("the roleRef needs a name", binding("RoleBinding", {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role"}),
     ["roleRef.name: Required value"]),
    ("a User subject gets the RBAC group by default", binding("RoleBinding", None, {"kind": "User", "name": "jane"}), []),
    ("a ServiceAccount subject may not have an api group",
     binding("RoleBinding", None, {**SA, "apiGroup": "rbac.authorization.k8s.io"}),
     ['subjects[0].apiGroup: Unsupported value: "rbac.authorization.k8s.io": supported values: ""']),
    ("a subject of an unknown kind is rejected", binding("RoleBinding", None, {"kind": "Robot", "name": "r2"}),
     ['subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"']),
    ("a subject needs a name", binding("RoleBinding", None, {"kind": "ServiceAccount"}),
     ["subjects[0].name: Required value"]),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "obj", "expected"), BINDING_CASES, ids=[c[0] for c in BINDING_CASES])
def test_bindings(spec: str, obj: dict[str, Any], expected: list[str]) -> None:
    assert rendered(obj) == expected


def test_a_bindings_role_ref_cannot_change() -> None:
    old = manifest.default_object(binding("RoleBinding", None, SA))
    new = manifest.default_object(
        binding(
            "RoleBinding",
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            SA,
        )
    )
    errors, _ = manifest.validate_object(new, old=old)
    assert [e.path for e in errors] == ["roleRef"]
    assert "cannot change roleRef" in errors[0].body()


NAME_CASES = [
    ("role names may hold colons, as system roles do", role("ClusterRole", apiGroups=[""], resources=["pods"], verbs=["get"]) | {"metadata": {"name": "system:reader"}}, []),
    ("role names may not contain a slash", role("ClusterRole", apiGroups=[""], resources=["pods"], verbs=["get"]) | {"metadata": {"name": "a/b"}},
     ['metadata.name: Invalid value: "a/b": may not contain \'/\'']),
    ("a namespace name is a DNS label", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Team_A"}},
     ['metadata.name: Invalid value: "Team_A": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')']),
    ("a service account name is a DNS subdomain", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "ci.runner"}}, []),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "obj", "expected"), NAME_CASES, ids=[c[0] for c in NAME_CASES])
def test_names(spec: str, obj: dict[str, Any], expected: list[str]) -> None:
    assert rendered(obj) == expected


JOB_WITH_GENERATE_NAME = """\
apiVersion: batch/v1
kind: Job
metadata:
  generateName: {gen}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{{name: c, image: busybox}}]
"""


def test_a_generate_name_only_object_is_valid() -> None:
    assert errors_of(JOB_WITH_GENERATE_NAME.format(gen="migrate-")) == []


def test_an_object_with_neither_name_nor_generate_name_needs_one() -> None:
    text = JOB_WITH_GENERATE_NAME.replace("  generateName: {gen}\n", "  labels: {{a: b}}\n").format()
    assert errors_of(text) == ["3:1: Job: metadata.name: Required value: name or generateName is required"]


def test_an_invalid_generate_name_is_reported_on_generate_name() -> None:
    errors = errors_of(JOB_WITH_GENERATE_NAME.format(gen="Bad_"))
    assert errors and errors[0].startswith('4:3: Job: metadata.generateName: Invalid value: "Bad_"')


REMOVED_CASES = [
    ("batch/v1beta1", "CronJob", 'no matches for kind "CronJob" in version "batch/v1beta1": batch/v1beta1 was removed in Kubernetes 1.25; use apiVersion: batch/v1'),
    ("extensions/v1beta1", "Ingress", 'no matches for kind "Ingress" in version "extensions/v1beta1": extensions/v1beta1 was removed in Kubernetes 1.22; use apiVersion: networking.k8s.io/v1'),
    ("rbac.authorization.k8s.io/v1beta1", "Role", 'no matches for kind "Role" in version "rbac.authorization.k8s.io/v1beta1": rbac.authorization.k8s.io/v1beta1 was removed in Kubernetes 1.22; use apiVersion: rbac.authorization.k8s.io/v1'),
    ("policy/v1beta1", "PodSecurityPolicy", 'no matches for kind "PodSecurityPolicy" in version "policy/v1beta1": PodSecurityPolicy was removed in Kubernetes 1.25 and has no replacement'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("version", "kind", "expected"), REMOVED_CASES, ids=[f"{c[1]} in {c[0]}" for c in REMOVED_CASES]
)
def test_a_removed_api_version_gets_kubectls_words_and_the_current_version(
    version: str, kind: str, expected: str
) -> None:
    text = f"apiVersion: {version}\nkind: {kind}\nmetadata:\n  name: x\n"
    assert errors_of(text) == [f'1:1: {kind} "x": apiVersion: {expected}']


def test_a_kind_minik_does_not_serve_in_its_current_version_says_so() -> None:
    errors = errors_of("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n")
    assert len(errors) == 1 and "minik does not implement Deployment objects" in errors[0]


SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: s
spec:
  type: {type}
  selector: {{app: a}}
  ports:
  - port: 80
    nodePort: {node_port}
"""


def test_node_port_and_load_balancer_services_are_accepted() -> None:
    for stype in ("NodePort", "LoadBalancer"):
        assert errors_of(SERVICE.format(type=stype, node_port=30080)) == []


def test_a_node_port_on_a_cluster_ip_service_is_forbidden() -> None:
    assert errors_of(SERVICE.format(type="ClusterIP", node_port=30080)) == [
        "10:5: Service \"s\": spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    ]


def test_an_external_name_service_is_still_unsupported_with_its_reason() -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: ExternalName\n  externalName: db.example.com\n"
    assert errors_of(text) == [
        '6:3: Service "s": spec.type: Unsupported by minik: minik does not implement ExternalName Services'
    ]


def test_a_csi_volume_is_rejected_with_a_one_sentence_reason() -> None:
    text = JOB_WITH_GENERATE_NAME.format(gen="x-").replace(
        "      containers:", "      volumes: [{name: v, csi: {driver: d}}]\n      containers:"
    )
    assert errors_of(text) == [
        "9:27: Job: spec.template.spec.volumes[0].csi: Unsupported by minik: "
        "minik does not implement csi volumes: they need a storage driver running in a cluster"
    ]
