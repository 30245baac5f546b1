"""Issue 32 through the real engine and real kubectl: pods that talk to the API with their
service-account token, in-cluster config as client-go reads it (``KUBERNETES_SERVICE_HOST`` and
``_PORT``: the ``kubernetes`` Service's virtual IP, whose proxy forwards to the API at the
instance network's gateway; the mounted ``token``, ``ca.crt`` and ``namespace``), RBAC for
those tokens, ``kubectl create token`` / ``auth whoami`` / ``auth can-i``, and kubectl inside
a pod with no flags.

The pods use the offline ``python:3.11-slim`` stand-in (python3's urllib and ssl); the
kubectl pod runs the host's kubectl (a static binary) mounted from a hostPath.
"""

from __future__ import annotations

import json

import pytest

from tests.support import Minik, eventually, kubectl
from tests.support.kube import busybox_spec, pod_yaml

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
CLIENT = """\
import json, os, ssl, sys, urllib.error, urllib.request
d = "/var/run/secrets/kubernetes.io/serviceaccount"
headers = {}
if os.path.exists(d + "/token"):
    headers["Authorization"] = "Bearer " + open(d + "/token").read()
    ctx = ssl.create_default_context(cafile=d + "/ca.crt")
    ns = open(d + "/namespace").read()
else:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ns = "default"
api = os.environ["KUBERNETES_SERVICE_HOST"] + ":" + os.environ["KUBERNETES_SERVICE_PORT"]
req = urllib.request.Request("https://" + api + "/api/v1/namespaces/" + ns + "/pods", headers=headers)
for attempt in range(40):  # the kubernetes Service's proxy starts with the instance's first pod
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            print("STATUS", r.status, "PODS", len(json.load(r)["items"]))
        break
    except urllib.error.HTTPError as e:
        print("STATUS", e.code, json.load(e)["message"])
        break
    except OSError as e:
        err = e
        __import__("time").sleep(0.5)
else:
    print("UNREACHABLE", api, err)
"""


def cronjob(name: str, *, account: str = "default", automount: bool | None = None) -> str:
    extra = "" if automount is None else f"\n          automountServiceAccountToken: {str(automount).lower()}"
    script = "\n".join("                " + line for line in CLIENT.splitlines())
    return f"""\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}
spec:
  schedule: "0 0 1 1 *"
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        spec:
          restartPolicy: Never
          serviceAccountName: {account}{extra}
          containers:
          - name: client
            image: python:3.11-slim
            imagePullPolicy: IfNotPresent
            command: [python3, -c]
            args:
            - |
{script}
"""


def run_from_cronjob(minik: Minik, cj: str, job: str) -> str:
    """Start a Job from the CronJob now (``kubectl create job --from``) and return its pod's output."""
    kubectl(minik, "create", "job", job, f"--from=cronjob/{cj}")

    def finished() -> str | None:
        pods = minik.json("get", "pods", "-l", f"job-name={job}")["items"]
        phase = pods[0].get("status", {}).get("phase") if pods else None
        return pods[0]["metadata"]["name"] if phase in ("Succeeded", "Failed") else None

    pod = eventually(f"job {job} finished", finished, timeout=90)
    return minik.logs(pod)


ROLE = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: lister
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pod-lister
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: lister-lists-pods
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-lister}
subjects:
- kind: ServiceAccount
  name: lister
"""


def test_a_cronjob_pod_lists_pods_with_its_token_only_when_a_role_allows_it(minik: Minik) -> None:
    minik.run("apply", "-f", "-", input=cronjob("nobody"))
    refused = run_from_cronjob(minik, "nobody", "nobody-1")
    assert (
        'STATUS 403 pods is forbidden: User "system:serviceaccount:default:default" cannot list resource '
        '"pods" in API group "" in the namespace "default"'
    ) in refused

    minik.run("apply", "-f", "-", input=ROLE + "---\n" + cronjob("lister", account="lister"))
    allowed = run_from_cronjob(minik, "lister", "lister-1")
    assert "STATUS 200 PODS" in allowed, allowed


def test_no_token_without_automount_and_no_access_without_a_token(minik: Minik) -> None:
    minik.run("apply", "-f", "-", input=cronjob("tokenless", automount=False))
    out = run_from_cronjob(minik, "tokenless", "tokenless-1")
    assert "STATUS 401 Unauthorized" in out, out
    pod = minik.json("get", "pods", "-l", "job-name=tokenless-1")["items"][0]
    assert not any(v["name"].startswith("kube-api-access-") for v in pod["spec"].get("volumes") or [])
    mounts = pod["spec"]["containers"][0].get("volumeMounts") or []
    assert all(m["mountPath"] != SA_DIR for m in mounts)


def test_the_service_account_s_automount_false_is_overridden_by_the_pod(minik: Minik) -> None:
    kubectl(minik, "apply", "-f", "-", input="apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: quiet}\n"
            "automountServiceAccountToken: false\n")  # fmt: skip
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
           "spec": {"serviceAccountName": "quiet", "containers": [{"name": "c", "image": "busybox:latest"}]}}  # fmt: skip
    quiet = json.loads(
        kubectl(minik, "create", "--dry-run=server", "-o", "json", "-f", "-", input=json.dumps(pod)).stdout
    )
    assert not quiet["spec"].get("volumes")
    pod["spec"]["automountServiceAccountToken"] = True
    loud = json.loads(
        kubectl(minik, "create", "--dry-run=server", "-o", "json", "-f", "-", input=json.dumps(pod)).stdout
    )
    assert [v["name"][:16] for v in loud["spec"]["volumes"]] == ["kube-api-access-"]
    assert loud["spec"]["containers"][0]["volumeMounts"] == [
        {"name": loud["spec"]["volumes"][0]["name"], "readOnly": True, "mountPath": SA_DIR}
    ]
    pod["spec"]["serviceAccountName"] = "nobody-here"
    missing = kubectl(minik, "create", "-f", "-", input=json.dumps(pod), check=False)
    assert missing.returncode != 0
    assert (
        'pods "x" is forbidden: error looking up service account default/nobody-here: serviceaccount '
        '"nobody-here" not found'
    ) in missing.stderr


# A pod that prints its projected token, then its namespace, and ends.
TOKEN_PRINTER = pod_yaml(
    "printer", busybox_spec(f'[sh, -c, "cat {SA_DIR}/token; echo; cat {SA_DIR}/namespace"]', grace=None)
)


def test_a_pod_s_token_works_while_the_pod_lives_and_dies_with_it(minik: Minik) -> None:
    minik.run("apply", "-f", "-", input=TOKEN_PRINTER)
    minik.wait_pod_phase("printer", "Succeeded")
    token, namespace = minik.logs("printer").split()[:2]
    assert namespace == "default"
    who = kubectl(minik, "--token", token, "auth", "whoami", "-o", "json")
    info = json.loads(who.stdout)["status"]["userInfo"]
    assert info["username"] == "system:serviceaccount:default:default"
    assert info["extra"]["authentication.kubernetes.io/pod-name"] == ["printer"]
    minik.run("delete", "pod", "printer")
    refused = kubectl(minik, "--token", token, "auth", "whoami", check=False)
    assert refused.returncode != 0 and "Unauthorized" in refused.stderr


def test_kubectl_create_token_whoami_and_can_i(minik: Minik) -> None:
    kubectl(minik, "create", "serviceaccount", "robot")
    token = kubectl(minik, "create", "token", "robot", "--duration=15m").stdout.strip()
    whoami = kubectl(minik, "--token", token, "auth", "whoami").stdout
    assert "system:serviceaccount:default:robot" in whoami and "system:serviceaccounts:default" in whoami
    admin = kubectl(minik, "auth", "whoami").stdout
    assert "kubernetes-admin" in admin and "system:masters" in admin
    assert kubectl(minik, "auth", "can-i", "delete", "nodes").stdout.strip() == "yes"

    as_robot = ("--as", "system:serviceaccount:default:robot")
    no = kubectl(minik, "auth", "can-i", "get", "pods", *as_robot, check=False)
    assert (no.returncode, no.stdout.strip()) == (1, "no")
    refused = kubectl(minik, "--token", token, "get", "pods", check=False)
    assert (
        refused.returncode != 0
        and (
            'User "system:serviceaccount:default:robot" cannot list resource "pods" in API group "" in the '
            'namespace "default"'
        )
        in refused.stderr
    )
    kubectl(
        minik, "create", "rolebinding", "robot-views", "--clusterrole=view", "--serviceaccount=default:robot"
    )
    assert kubectl(minik, "auth", "can-i", "get", "pods", *as_robot).stdout.strip() == "yes"
    assert (
        kubectl(minik, "auth", "can-i", "get", "pods", "-n", "kube-system", *as_robot, check=False).returncode
        == 1
    )
    assert kubectl(minik, "--token", token, "get", "pods").returncode == 0
    delete = kubectl(minik, "--token", token, "delete", "pod", "nope", check=False)
    assert delete.returncode != 0 and "cannot delete resource" in delete.stderr
    listed = kubectl(minik, "auth", "can-i", "--list", *as_robot).stdout
    assert "pods" in listed and "selfsubjectaccessreviews.authorization.k8s.io" in listed

    bound = kubectl(
        minik,
        "create",
        "token",
        "robot",
        "--bound-object-kind=Secret",
        "--bound-object-name=nope",
        check=False,
    )
    assert bound.returncode != 0 and 'secrets "nope" not found' in bound.stderr
    kubectl(minik, "delete", "serviceaccount", "robot")
    gone = kubectl(minik, "--token", token, "get", "pods", check=False)
    assert gone.returncode != 0 and "Unauthorized" in gone.stderr


@pytest.mark.parametrize("name", ["kube-root-ca.crt"])
def test_the_root_ca_configmap_is_in_every_namespace_and_comes_back(minik: Minik, name: str) -> None:
    kubectl(minik, "create", "namespace", "fresh")
    for ns in ("default", "kube-system", "fresh"):
        cm = eventually(f"{name} in {ns}", lambda ns=ns: minik.json("get", "configmap", name, "-n", ns))
        assert cm["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----")
    kubectl(minik, "delete", "configmap", name, "-n", "fresh")
    kubectl(minik, "delete", "serviceaccount", "default", "-n", "fresh")
    eventually(
        "the ConfigMap back",
        lambda: kubectl(minik, "get", "configmap", name, "-n", "fresh", check=False).returncode == 0,
    )
    eventually(
        "the default SA back",
        lambda: kubectl(minik, "get", "sa", "default", "-n", "fresh", check=False).returncode == 0,
    )
    kubectl(minik, "delete", "namespace", "fresh", "--wait=false")


KUBECTL_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: inside
spec:
  serviceAccountName: lister
  restartPolicy: Never
  volumes:
  - name: kubectl
    hostPath: {path: /usr/bin/kubectl, type: File}
  containers:
  - name: c
    image: busybox:latest
    volumeMounts: [{name: kubectl, mountPath: /usr/local/bin/kubectl, readOnly: true}]
    command: [sh, -c]
    args:
    - |
      for i in $(seq 40); do kubectl get pods -o name && break; sleep 0.5; done
      kubectl get secrets 2>&1 || true
"""


def test_kubectl_in_a_pod_works_without_flags_as_the_pods_service_account(minik: Minik) -> None:
    minik.run("apply", "-f", "-", input=ROLE)
    minik.run("apply", "-f", "-", input=KUBECTL_POD)
    minik.wait_pod_phase("inside", "Succeeded", timeout=120)
    out = minik.logs("inside")
    pod = minik.json("get", "pod", "inside")
    env = {e["name"] for e in pod["spec"]["containers"][0].get("env") or []}
    assert "pod/inside" in out, out  # in-cluster config: the kubernetes Service, the token, the CA
    assert (
        'secrets is forbidden: User "system:serviceaccount:default:lister" cannot list resource "secrets"'
        in out
    ), out
    assert not env & {"KUBERNETES_SERVICE_HOST", "KUBECONFIG"}  # nothing told it where the API is
