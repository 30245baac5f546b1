"""Real kubectl at the API server's edges: typed creates (protobuf), Status details, selectors, bytes, apply.

Issue 30: what kubectl sends that minik once refused or answered differently from a cluster.
The pods here never need to run; only ``kubectl debug --copy-to`` makes one.
"""

from __future__ import annotations

import json

import pytest

from tests.integration.e2e.conftest import Minik
from tests.integration.e2e.test_kubectl import kubectl

TYPED_CREATES = [
    # (kubectl create …, what it prints) — each posts its object as protobuf
    (["cronjob", "cj", "--image=busybox:1.36", "--schedule=*/5 * * * *", "--", "true"], "cronjob.batch/cj created"),
    (["job", "j", "--image=busybox:1.36", "--", "true"], "job.batch/j created"),
    (["configmap", "cm", "--from-literal=a=b"], "configmap/cm created"),
    (["secret", "generic", "s", "--from-literal=a=b"], "secret/s created"),
    (["service", "clusterip", "svc", "--tcp=80:8080"], "service/svc created"),
    (["serviceaccount", "sa"], "serviceaccount/sa created"),
    (["role", "r", "--verb=get", "--resource=pods"], "role.rbac.authorization.k8s.io/r created"),
    (["rolebinding", "rb", "--role=r", "--user=u"], "rolebinding.rbac.authorization.k8s.io/rb created"),
    (["clusterrole", "edges-cr", "--verb=get", "--resource=nodes"],
     "clusterrole.rbac.authorization.k8s.io/edges-cr created"),
    (["clusterrolebinding", "edges-crb", "--clusterrole=edges-cr", "--group=g"],
     "clusterrolebinding.rbac.authorization.k8s.io/edges-crb created"),
    (["pdb", "pdb", "--selector=app=x", "--min-available=1"], "poddisruptionbudget.policy/pdb created"),
    (["namespace", "edges"], "namespace/edges created"),
]  # fmt: skip
REFUSED = [
    # (kubectl create …, what minik says it does not serve)
    (["deployment", "d", "--image=busybox:1.36"], "deployments.apps/v1"),
    (["quota", "q", "--hard=pods=1"], "resourcequotas/v1"),
]


@pytest.mark.parametrize(("args", "printed"), TYPED_CREATES, ids=[a[0] for a, _ in TYPED_CREATES])
def test_every_typed_create_of_a_kind_minik_serves(minik: Minik, args: list[str], printed: str) -> None:
    assert kubectl(minik, "create", *args).stdout.strip() == printed


@pytest.mark.parametrize(("args", "what"), REFUSED, ids=[a[0] for a, _ in REFUSED])
def test_a_typed_create_of_a_kind_minik_does_not_serve_says_so(
    minik: Minik, args: list[str], what: str
) -> None:
    res = kubectl(minik, "create", *args, check=False)
    assert res.returncode == 1
    assert f"the server could not find the requested resource: minik does not serve {what}" in res.stderr


def test_kubectl_debug_copies_a_pod(minik: Minik) -> None:
    """``--copy-to`` posts the copy as protobuf (once a 415); test_kubectl_debug.py debugs further."""
    kubectl(minik, "run", "web", "--image=busybox:1.36", "--restart=Never", "--", "sleep", "300")
    res = kubectl(minik, "debug", "web", "--image=busybox:1.36", "--copy-to=web-copy", "--container=dbg",
                  "--profile=general", "--share-processes=false", "--", "sleep", "5")  # fmt: skip
    assert "web-copy" not in res.stderr
    names = kubectl(minik, "get", "pod", "web-copy", "-o", "jsonpath={.spec.containers[*].name}").stdout
    assert names == "web dbg"


def test_pods_get_the_default_tolerations_and_labelling_one_warns_nothing(minik: Minik) -> None:
    kubectl(minik, "run", "tol", "--image=busybox:1.36", "--restart=Never", "--", "sleep", "300")
    tolerations = json.loads(kubectl(minik, "get", "pod", "tol", "-o", "jsonpath={.spec.tolerations}").stdout)
    assert [(t["key"], t["effect"], t["tolerationSeconds"]) for t in tolerations] == [
        ("node.kubernetes.io/not-ready", "NoExecute", 300),
        ("node.kubernetes.io/unreachable", "NoExecute", 300),
    ]
    res = kubectl(minik, "label", "pod", "tol", "a=b")
    assert res.stdout.strip() == "pod/tol labeled" and res.stderr == ""


def test_a_field_selector_with_a_trailing_comma(minik: Minik) -> None:
    kubectl(minik, "create", "configmap", "sel", "--from-literal=a=b")
    res = kubectl(minik, "get", "configmaps", "--field-selector=metadata.name=sel,", "-o", "name")
    assert res.stdout.strip() == "configmap/sel"


def test_a_secret_whose_base64_spans_lines(minik: Minik) -> None:
    manifest = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: folded}\ndata:\n  k: |\n    aGVsbG8g\n    d29ybGQ=\n"
    )
    assert kubectl(minik, "apply", "-f", "-", input=manifest).stdout.strip() == "secret/folded created"
    assert kubectl(minik, "get", "secret", "folded", "-o", "jsonpath={.data.k}").stdout == "aGVsbG8gd29ybGQ="


def test_server_side_apply_into_a_map_applied_empty(minik: Minik) -> None:
    empty = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa-empty}\ndata: {}\n"
    kubectl(minik, "apply", "--server-side", "-f", "-", input=empty)
    kubectl(minik, "apply", "--server-side", "-f", "-", input=empty.replace("{}\n", "{k: v}\n"))
    live = json.loads(kubectl(minik, "get", "cm", "ssa-empty", "-o", "json", "--show-managed-fields").stdout)
    assert live["data"] == {"k": "v"}
    assert [(e["manager"], e["operation"]) for e in live["metadata"]["managedFields"]] == [
        ("kubectl", "Apply")
    ]


def test_kubectl_explain_reads_upstreams_descriptions(minik: Minik) -> None:
    out = kubectl(minik, "explain", "job.spec.backoffLimit").stdout
    assert "FIELD: backoffLimit <integer>" in out
    words = " ".join(out.split("DESCRIPTION:")[1].split())  # kubectl wraps at 80 columns
    assert words == "Specifies the number of retries before marking this job failed. Defaults to 6"


def test_a_configmap_owned_by_a_deleted_service_goes(minik: Minik) -> None:
    kubectl(minik, "create", "service", "clusterip", "owner", "--tcp=80:8080")
    uid = kubectl(minik, "get", "service", "owner", "-o", "jsonpath={.metadata.uid}").stdout
    owned = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n  ownerReferences:\n"
        f"  - {{apiVersion: v1, kind: Service, name: owner, uid: {uid}}}\ndata: {{a: b}}\n"
    )
    kubectl(minik, "apply", "-f", "-", input=owned)
    kubectl(minik, "delete", "service", "owner")
    kubectl(minik, "wait", "--for=delete", "configmap/owned", "--timeout=60s")
