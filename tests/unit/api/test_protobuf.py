"""Protobuf bodies of kubectl's typed ``create`` commands become the JSON objects they mean."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from minik.api.protobuf import MEDIA_TYPE, ProtobufError, decode
from tests.unit.api.conftest import JOBS

# What kubectl 1.33 posts for `kubectl create job cj2 --image=busybox` (captured on the wire).
KUBECTL_CREATE_JOB = bytes.fromhex(
    "6b3873000a0f0a0862617463682f763112034a6f62127c0a130a03636a3212001a0022002a00320038004200125b32590a"
    "100a0012001a0022002a00320038004200124512220a03636a32120762757379626f782a0042006a0072008001008801"
    "00900100a201001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a08200028003000"
    "3a001a002200"
)


def varint(n: int) -> bytes:
    out = b""
    while True:
        low, n = n & 0x7F, n >> 7
        out += bytes([low | (0x80 if n else 0)])
        if not n:
            return out


def field(number: int, value: int | bytes | str) -> bytes:
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def framed(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = field(1, api_version) + field(2, kind)
    return b"k8s\x00" + field(1, type_meta) + field(2, raw) + field(3, "") + field(4, "")


def test_kubectls_create_job_body_is_the_job_it_means() -> None:
    assert decode(KUBECTL_CREATE_JOB) == {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "cj2"},
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "cj2", "image": "busybox"}], "restartPolicy": "Never"}
            }
        },
    }


def test_pointer_fields_keep_their_zero_values_and_others_drop_them() -> None:
    container = field(1, "c") + field(2, "busybox") + field(3, "echo") + field(3, "hi") + field(16, 0)
    pod_spec = field(2, container) + field(3, "Never") + field(6, "")
    spec = field(7, 0) + field(6, field(2, pod_spec)) + field(10, 1)
    meta = field(1, "j") + field(11, field(1, "a") + field(2, "b")) + field(8, b"")
    job = decode(framed("batch/v1", "Job", field(1, meta) + field(2, spec)))
    assert job["metadata"] == {"name": "j", "labels": {"a": "b"}}
    assert job["spec"]["backoffLimit"] == 0 and job["spec"]["suspend"] is True
    assert job["spec"]["template"]["spec"] == {
        "containers": [{"name": "c", "image": "busybox", "command": ["echo", "hi"]}],
        "restartPolicy": "Never",
    }


def test_secret_data_is_base64_and_service_target_ports_are_int_or_string() -> None:
    secret = decode(
        framed("v1", "Secret", field(1, field(1, "s")) + field(2, field(1, "k") + field(2, b"\x00v")))
    )
    assert secret["data"] == {"k": "AHY="}
    port = field(3, 80) + field(4, field(1, 1) + field(3, "http"))
    svc = decode(framed("v1", "Service", field(1, field(1, "svc")) + field(2, field(1, port))))
    assert svc["spec"]["ports"] == [{"port": 80, "targetPort": "http"}]


def test_kubectls_create_pdb_body_keeps_a_zero_min_available_and_reads_percentages() -> None:
    selector = field(1, field(1, "app") + field(2, "x"))
    spec = field(1, field(1, 0) + field(2, 0)) + field(2, selector)
    pdb = decode(framed("policy/v1", "PodDisruptionBudget", field(1, field(1, "b")) + field(2, spec)))
    assert pdb["spec"] == {"minAvailable": 0, "selector": {"matchLabels": {"app": "x"}}}
    spec = field(3, field(1, 1) + field(3, "50%"))
    pdb = decode(framed("policy/v1", "PodDisruptionBudget", field(1, field(1, "b")) + field(2, spec)))
    assert pdb["spec"] == {"maxUnavailable": "50%"}


def test_client_gos_eviction_body_carries_its_delete_options() -> None:
    opts = field(1, 5) + field(2, field(1, "uid-1"))
    body = decode(framed("policy/v1", "Eviction", field(1, field(1, "p")) + field(2, opts)))
    assert body == {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": "p"},
        "deleteOptions": {"gracePeriodSeconds": 5, "preconditions": {"uid": "uid-1"}},
    }


@pytest.mark.parametrize(
    "body",
    [
        b"not protobuf",
        framed("apps/v1", "Deployment", b""),  # a kind minik does not serve
        framed("batch/v1", "Job", field(2, field(99, field(1, "x")))),  # a field newer than Kubernetes 1.32
        b"k8s\x00\x0a\xff",
    ],
)
def test_what_minik_cannot_read_is_an_error_never_a_silent_loss(body: bytes) -> None:
    with pytest.raises(ProtobufError):
        decode(body)


def test_create_with_a_protobuf_body(client: TestClient) -> None:
    resp = client.post(JOBS, content=KUBECTL_CREATE_JOB, headers={"Content-Type": MEDIA_TYPE})
    assert resp.status_code == 201, resp.text
    assert resp.json()["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox"
    bad = client.post(
        JOBS, content=framed("apps/v1", "Deployment", b""), headers={"Content-Type": MEDIA_TYPE}
    )
    assert bad.status_code == 415 and bad.json()["reason"] == "UnsupportedMediaType"


def test_kubectl_create_rolebinding_and_namespace_bodies_decode() -> None:
    subject = field(1, "ServiceAccount") + field(3, "bot") + field(4, "foo")
    ref = field(1, "rbac.authorization.k8s.io") + field(2, "Role") + field(3, "r")
    body = framed(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        field(1, field(1, "rb")) + field(2, subject) + field(3, ref),
    )
    assert decode(body) == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "rb"},
        "subjects": [{"kind": "ServiceAccount", "name": "bot", "namespace": "foo"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
    }
    rule = field(1, "get") + field(2, "") + field(3, "pods")
    role = decode(
        framed("rbac.authorization.k8s.io/v1", "ClusterRole", field(1, field(1, "cr")) + field(2, rule))
    )
    assert role["rules"] == [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]
    assert decode(framed("v1", "Namespace", field(1, field(1, "foo")) + field(2, b"") + field(3, b""))) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "foo"},
    }


def test_create_job_from_a_cronjob_keeps_the_owner_and_the_template_defaults() -> None:
    """``kubectl create job --from=cronjob/x`` sends an ownerReference and the server-defaulted template."""
    owner = field(1, "CronJob") + field(3, "hello") + field(4, "cj-uid") + field(5, "batch/v1") + field(6, 1)
    meta = field(1, "manual") + field(12, field(1, "cronjob.kubernetes.io/instantiate") + field(2, "manual"))
    meta += field(13, owner)
    container = field(1, "c") + field(2, "busybox")
    pod_spec = field(2, container) + field(3, "OnFailure") + field(14, b"") + field(30, 1)
    job = decode(framed("batch/v1", "Job", field(1, meta) + field(2, field(6, field(2, pod_spec)))))
    assert job["metadata"]["ownerReferences"] == [
        {"kind": "CronJob", "name": "hello", "uid": "cj-uid", "apiVersion": "batch/v1", "controller": True}
    ]
    assert job["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    pod = job["spec"]["template"]["spec"]
    assert pod["securityContext"] == {} and pod["enableServiceLinks"] is True
