"""The protobuf bodies kubectl 1.32's typed commands post, captured on the wire, read as the objects they mean.

``data/kubectl_protobuf_bodies.json`` holds each command's request body (hex), taken from
``kubectl -v=9`` against a minik server; every kind minik serves must be readable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from minik.api import protobuf
from minik.api.protobuf import MEDIA_TYPE, MESSAGES, decode
from minik.resources import RESOURCES

BODIES: dict[str, str] = json.loads(
    (Path(__file__).parent / "data" / "kubectl_protobuf_bodies.json").read_text()
)

EXPECTED: list[tuple[str, str, dict[str, Any]]] = [
    # (command, kind, what the object holds — a subset: paths not listed may hold more)
    ("create cronjob", "CronJob", {"spec": {"schedule": "*/5 * * * *", "jobTemplate": {"metadata": {"name": "cj-pb3"},
     "spec": {"template": {"spec": {"containers": [{"name": "cj-pb3", "image": "busybox", "command": ["echo", "hi"]}],
                                    "restartPolicy": "Never"}}}}}}),
    ("create job", "Job", {"spec": {"template": {"spec": {"containers": [
        {"name": "job-pb3", "image": "busybox", "command": ["echo", "hi"]}], "restartPolicy": "Never"}}}}),
    ("create configmap", "ConfigMap", {"data": {"a": "b", "c": "d"}}),
    ("create secret generic", "Secret", {"data": {"a": "Yg=="}, "type": "Opaque"}),
    ("create secret docker-registry", "Secret", {"type": "kubernetes.io/dockerconfigjson"}),
    ("create service clusterip", "Service", {"spec": {"type": "ClusterIP", "selector": {"app": "svc-pb"},
     "ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}]}}),
    ("create service nodeport", "Service", {"spec": {"type": "NodePort", "ports": [
        {"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 30080}]}}),
    ("create serviceaccount", "ServiceAccount", {"metadata": {"name": "sa-pb"}}),
    ("create role", "Role", {"rules": [
        {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["x"]},
        {"verbs": ["get", "list"], "apiGroups": ["batch"], "resources": ["jobs"], "resourceNames": ["x"]}]}),
    ("create rolebinding", "RoleBinding", {"subjects": [
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "u"},
        {"kind": "ServiceAccount", "name": "sa-pb", "namespace": "default"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "role-pb"}}),
    ("create clusterrole", "ClusterRole", {"rules": [
        {"verbs": ["get"], "apiGroups": [""], "resources": ["nodes"]},
        {"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]}),
    ("create clusterrolebinding", "ClusterRoleBinding", {"subjects": [
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "g"}]}),
    ("create pdb", "PodDisruptionBudget", {"spec": {"minAvailable": 0, "selector": {"matchLabels": {"app": "x"}}}}),
    ("create namespace", "Namespace", {"metadata": {"name": "ns-pb"}}),
    ("debug --copy-to", "Pod", {"metadata": {"name": "web-pb3", "namespace": "default"}, "spec": {
        "containers": [
            {"name": "web", "image": "busybox", "args": ["sleep", "300"]},
            {"name": "dbg", "image": "busybox", "command": ["sleep", "10"],
             "securityContext": {"capabilities": {"add": ["SYS_PTRACE"]}}}],
        "shareProcessNamespace": False, "enableServiceLinks": True, "terminationGracePeriodSeconds": 30}}),
]  # fmt: skip


def holds(value: Any, subset: Any) -> bool:
    """``subset`` is in ``value``: objects key by key, lists element by element, scalars equal."""
    if isinstance(subset, dict):
        return isinstance(value, dict) and all(k in value and holds(value[k], v) for k, v in subset.items())
    if isinstance(subset, list):
        return isinstance(value, list) and len(value) == len(subset) and all(map(holds, value, subset))
    return bool(value == subset) and type(value) is type(subset)


@pytest.mark.parametrize(("command", "kind", "subset"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_kubectls_body_is_the_object_it_means(command: str, kind: str, subset: dict[str, Any]) -> None:
    obj = decode(bytes.fromhex(BODIES[command]))
    assert obj["kind"] == kind and "status" not in obj
    assert holds(obj, subset), json.dumps(obj)


def test_every_captured_command_is_checked() -> None:
    assert sorted(BODIES) == sorted(e[0] for e in EXPECTED)


@pytest.mark.parametrize("plural", sorted(RESOURCES))
def test_every_kind_minik_serves_reads_from_protobuf(plural: str) -> None:
    r = RESOURCES[plural]
    assert protobuf.KINDS[(r.api_version, r.kind)] in MESSAGES


def test_the_tables_keep_pointer_zero_values_and_inline_embedded_structs() -> None:
    assert MESSAGES["JobSpec"][7] == ("backoffLimit", "i*")
    assert MESSAGES["Volume"][2] == ("", "inline:VolumeSource")
    assert MESSAGES["VolumeSource"][2] == ("emptyDir", "m:EmptyDirVolumeSource*")


def test_an_empty_dir_volume_survives_the_embedded_volume_source() -> None:
    def f(number: int, data: bytes | str) -> bytes:
        raw = data.encode() if isinstance(data, str) else data
        return bytes([number << 3 | 2, len(raw)]) + raw

    volume = f(1, "scratch") + f(2, f(2, b""))  # name, VolumeSource{emptyDir: {}}
    spec = f(1, volume) + f(2, f(1, "c") + f(2, "busybox"))
    body = b"k8s\x00" + f(1, f(1, "v1") + f(2, "Pod")) + f(2, f(1, f(1, "p")) + f(2, spec))
    assert decode(body)["spec"]["volumes"] == [{"name": "scratch", "emptyDir": {}}]


@pytest.mark.parametrize(("command", "path"), [("create cronjob", "/apis/batch/v1/namespaces/default/cronjobs"),
                                               ("debug --copy-to", "/api/v1/namespaces/default/pods")])  # fmt: skip
def test_kubectls_body_creates_the_object(client: TestClient, command: str, path: str) -> None:
    resp = client.post(path, content=bytes.fromhex(BODIES[command]), headers={"Content-Type": MEDIA_TYPE})
    assert resp.status_code == 201, resp.text
