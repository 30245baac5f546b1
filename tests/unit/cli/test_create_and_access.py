"""``minik create``, apply's generateName refusal, the one RBAC Warning, get/describe of RBAC objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .fakeapi import FakeApi, Reply, items, status

JOBS = "/apis/batch/v1/namespaces/default/jobs"
ROLES = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles"
BINDINGS = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings"

GENERATED_JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  generateName: migrate-
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: busybox}]
"""

RBAC_FILE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: reader
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
- kind: ServiceAccount
  name: default
"""


def write(tmp_path: Path, text: str, name: str = "f.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def echo_named(name: str) -> Any:
    def handler(req: Any) -> Reply:
        body = dict(req.body)
        body["metadata"] = {**body["metadata"], "name": name}
        return Reply(201, body)

    return handler


def test_create_posts_a_generate_name_object_and_prints_the_servers_name(
    api: FakeApi, tmp_path: Path
) -> None:
    api.on("POST", JOBS, echo_named("migrate-x7k2p"), echo_named("migrate-q9z4w"))
    path = write(tmp_path, GENERATED_JOB)
    assert api.run("create", "-f", path) == (0, "job.batch/migrate-x7k2p created\n", "")
    assert api.run("create", "-f", path) == (0, "job.batch/migrate-q9z4w created\n", "")
    posted = [r for r in api.requests if r.method == "POST"]
    assert [r.body["metadata"] for r in posted] == [{"generateName": "migrate-", "namespace": "default"}] * 2


def test_create_of_an_existing_name_reports_already_exists_as_kubectl_does(
    api: FakeApi, tmp_path: Path
) -> None:
    api.on("POST", JOBS, status(409, "AlreadyExists", 'jobs.batch "pi" already exists'))
    path = write(tmp_path, GENERATED_JOB.replace("generateName: migrate-", "name: pi"))
    code, out, err = api.run("create", "-f", path)
    assert (code, out) == (1, "")
    assert (
        err
        == f'Error from server (AlreadyExists): error when creating "{path}": jobs.batch "pi" already exists\n'
    )


def test_apply_refuses_a_generate_name_object_and_sends_nothing(api: FakeApi, tmp_path: Path) -> None:
    code, out, err = api.run("apply", "-f", write(tmp_path, GENERATED_JOB))
    assert (code, out) == (2, "")
    assert err.startswith("error: from migrate-: cannot use generate name with apply")
    assert "minik create -f" in err
    assert api.requests == []


def test_apply_of_rbac_objects_warns_no_more(api: FakeApi, tmp_path: Path) -> None:
    api.on(
        "GET",
        f"{ROLES}/reader",
        status(404, "NotFound", 'roles.rbac.authorization.k8s.io "reader" not found'),
    )
    api.on("GET", f"{BINDINGS}/reader", status(404, "NotFound", "not found"))
    api.on("POST", ROLES, lambda req: Reply(201, req.body))
    api.on("POST", BINDINGS, lambda req: Reply(201, req.body))
    code, out, err = api.run("apply", "-f", write(tmp_path, RBAC_FILE))
    assert code == 0
    assert out == (
        "role.rbac.authorization.k8s.io/reader created\nrolebinding.rbac.authorization.k8s.io/reader created\n"
    )
    assert "RBAC" not in err  # enforced for service-account tokens now: nothing to warn about


def test_get_rolebindings_prints_kubectls_columns(api: FakeApi) -> None:
    binding = {
        "kind": "RoleBinding",
        "metadata": {"name": "reader", "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "roleRef": {"kind": "Role", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "default"}],
    }
    api.on("GET", BINDINGS, items(binding))
    code, out, _ = api.run("get", "rolebindings")
    assert code == 0
    assert out.splitlines()[0].split() == ["NAME", "ROLE", "AGE"]
    assert out.splitlines()[1].split()[:2] == ["reader", "Role/reader"]


def test_describe_role_lists_its_rules(api: FakeApi) -> None:
    role = {
        "kind": "Role",
        "metadata": {"name": "reader", "namespace": "default", "uid": "u"},
        "rules": [{"apiGroups": ["", "batch"], "resources": ["jobs"], "verbs": ["get", "list"]}],
    }
    api.on("GET", f"{ROLES}/reader", Reply(200, role))
    api.on("GET", "/api/v1/namespaces/default/events", items())
    code, out, _ = api.run("describe", "role", "reader")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["Name:", "reader"]
    assert lines[3] == "PolicyRule:"
    assert lines[4].split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert lines[6].split() == ["jobs", "[]", "[]", "[get", "list]"]
    assert lines[7].split() == ["jobs.batch", "[]", "[]", "[get", "list]"]


def test_describe_namespace_and_service_account_pages() -> None:
    from datetime import UTC, datetime

    from minik.cli.describe_access import describe_namespace, describe_service_account

    ns = {
        "metadata": {"name": "team", "labels": {"kubernetes.io/metadata.name": "team"}},
        "status": {"phase": "Terminating"},
    }
    assert describe_namespace(ns) == (
        "Name:         team\n"
        "Labels:       kubernetes.io/metadata.name=team\n"
        "Annotations:  <none>\n"
        "Status:       Terminating\n"
        "\n"
        "No resource quota.\n"
        "\n"
        "No LimitRange resource.\n"
    )
    sa = {"metadata": {"name": "default", "namespace": "team"}, "imagePullSecrets": [{"name": "regcred"}]}
    page = describe_service_account(sa, [], datetime(2026, 1, 1, tzinfo=UTC))
    assert page.splitlines()[4:] == [
        "Image pull secrets:  regcred",
        "Mountable secrets:   <none>",
        "Tokens:              <none>",
        "Events:              <none>",
    ]


def test_delete_f_of_a_generate_name_file_deletes_nothing(api: FakeApi, tmp_path: Path) -> None:
    code, out, err = api.run("delete", "-f", write(tmp_path, GENERATED_JOB))
    assert (code, out, err) == (2, "", "error: resource name may not be empty\n")
    assert api.requests == []
