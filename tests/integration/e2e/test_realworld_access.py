"""Issue 18 through the real CLI and real kubectl: ``create -f`` with generateName,
a Namespace deleted with its Job (Terminating, then gone with its pods), RBAC
objects with kubectl get/describe/delete (no Warning: RBAC is enforced for service-account tokens).
"""

from __future__ import annotations

import json

import docker

from tests.support import FIXTURES, Minik, eventually, job_yaml, kubectl

GENERATED = job_yaml(
    "migrate-",
    "echo migrated",
    generate_name=True,
    labels={"run": "generated"},
    backoff_limit=0,
    container="migrate",
)

NAMESPACE_WITH_JOB = """\
apiVersion: v1
kind: Namespace
metadata:
  name: doomed
---
apiVersion: batch/v1
kind: Job
metadata:
  name: sleeper
  namespace: doomed
spec:
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 3
      containers:
      - name: sleep
        image: busybox:latest
        command: [sleep, "300"]
"""

RBAC = (FIXTURES / "rbac-lister.yaml").read_text()


def test_create_with_generate_name_twice_makes_two_jobs(minik: Minik) -> None:
    first = minik.run("create", "-f", "-", input=GENERATED).stdout.strip()
    second = kubectl(minik, "create", "-f", "-", input=GENERATED).stdout.strip()
    names = [line.split()[0].removeprefix("job.batch/") for line in (first, second)]
    assert all(line.endswith(" created") for line in (first, second))
    assert names[0] != names[1] and all(n.startswith("migrate-") for n in names)
    listed = minik.json("get", "jobs", "-l", "run=generated")["items"]
    assert sorted(j["metadata"]["name"] for j in listed) == sorted(names)
    again = minik.run("apply", "-f", "-", input=GENERATED, check=False)
    assert again.returncode != 0 and "cannot use generate name with apply" in again.stderr
    assert "minik create" in again.stderr
    minik.run("delete", "jobs", "-l", "run=generated")


def test_a_deleted_namespace_is_terminating_then_gone_with_its_pods(
    minik: Minik, docker_client: docker.DockerClient
) -> None:
    minik.run("apply", "-f", "-", input=NAMESPACE_WITH_JOB)
    assert minik.json("get", "serviceaccount", "default", "-n", "doomed")["metadata"]["name"] == "default"

    def pod_running() -> bool:
        pods = minik.json("get", "pods", "-n", "doomed")["items"]
        return bool(pods) and pods[0].get("status", {}).get("phase") == "Running"

    eventually("pod running", pod_running)
    pod = minik.json("get", "pods", "-n", "doomed")["items"][0]["metadata"]["name"]
    minik.run("delete", "namespace", "doomed", "--wait=false")
    # sleep ignores SIGTERM as PID 1: the pod takes its 3 s grace period, the namespace waits for it
    seen = json.loads(kubectl(minik, "get", "namespace", "doomed", "-o", "json").stdout)
    assert seen["status"]["phase"] == "Terminating"
    assert "Terminating" in minik.run("get", "namespaces").stdout

    def gone() -> bool:
        return minik.run("get", "namespace", "doomed", check=False).returncode != 0

    eventually("gone", gone)
    res = minik.run("get", "pod", pod, "-n", "doomed", check=False)
    assert res.returncode != 0 and "not found" in res.stderr
    created = minik.run("apply", "-f", "-", input=NAMESPACE_WITH_JOB.split("---\n")[1], check=False)
    assert created.returncode != 0 and 'namespaces "doomed" not found' in created.stderr
    left = docker_client.api.containers(
        all=True, filters={"label": [f"minik.io/instance={minik.instance}", "minik.io/namespace=doomed"]}
    )
    assert left == []


def test_rbac_objects_through_kubectl_without_a_warning(minik: Minik) -> None:
    applied = minik.run("apply", "-f", "-", input=RBAC)
    assert "RBAC" not in applied.stderr  # enforced for service-account tokens: nothing to warn about
    assert "rolebinding.rbac.authorization.k8s.io/lister-reads-pods created" in applied.stdout

    roles = kubectl(minik, "get", "roles,rolebindings").stdout
    assert "pod-reader" in roles and "Role/pod-reader" in roles
    cluster = kubectl(
        minik, "get", "clusterrolebinding", "lister-views-nodes", "-o", "wide"
    ).stdout.splitlines()
    assert cluster[0].split()[:3] == ["NAME", "ROLE", "AGE"]
    assert "ClusterRole/node-viewer" in cluster[1] and "default/lister" in cluster[1]
    described = kubectl(minik, "describe", "role", "pod-reader").stdout
    assert "PolicyRule:" in described and "pods" in described and "[get list]" in described
    binding = kubectl(minik, "describe", "rolebinding", "lister-reads-pods").stdout
    assert "ServiceAccount  lister" in binding
    accounts = kubectl(minik, "get", "serviceaccounts").stdout
    assert "default" in accounts and "lister" in accounts
    described_ns = kubectl(minik, "describe", "namespace", "default").stdout
    assert "kubernetes.io/metadata.name=default" in described_ns and "Active" in described_ns
    assert "lister" in minik.run("get", "sa", "-A").stdout
    namespaces = kubectl(minik, "get", "namespaces").stdout
    for ns in ("default", "kube-node-lease", "kube-public", "kube-system"):
        assert ns in namespaces

    # kubectl's typed create commands send protobuf
    assert kubectl(minik, "create", "namespace", "typed").stdout.strip() == "namespace/typed created"
    kubectl(minik, "create", "serviceaccount", "bot", "-n", "typed")
    kubectl(minik, "create", "role", "r", "--verb=get", "--resource=pods", "-n", "typed")
    kubectl(minik, "create", "rolebinding", "rb", "--role=r", "--serviceaccount=typed:bot", "-n", "typed")
    assert "typed/bot" in kubectl(minik, "get", "rolebinding", "rb", "-n", "typed", "-o", "wide").stdout
    kubectl(minik, "delete", "namespace", "typed")

    deleted = kubectl(minik, "delete", "-f", "-", input=RBAC).stdout
    assert 'clusterrole.rbac.authorization.k8s.io "node-viewer" deleted' in deleted
    res = kubectl(minik, "get", "role", "pod-reader", check=False)
    assert res.returncode != 0 and "NotFound" in res.stderr


def test_the_python_client_reads_rbac_objects_namespaces_and_node_ports(minik: Minik) -> None:
    from kubernetes import client, config

    kubeconfig = minik.run("kubeconfig").stdout.strip()
    with config.new_client_from_config(config_file=kubeconfig) as api:
        rbac, core = client.RbacAuthorizationV1Api(api), client.CoreV1Api(api)
        role = client.V1Role(
            metadata=client.V1ObjectMeta(name="py-reader"),
            rules=[client.V1PolicyRule(api_groups=[""], resources=["pods"], verbs=["get"])],
        )
        rbac.create_namespaced_role("default", role)
        try:
            assert [r.metadata.name for r in rbac.list_namespaced_role("default").items] == ["py-reader"]
            assert "kube-node-lease" in [n.metadata.name for n in core.list_namespace().items]
            svc = client.V1Service(
                metadata=client.V1ObjectMeta(name="py-nodeport"),
                spec=client.V1ServiceSpec(type="NodePort", ports=[client.V1ServicePort(port=80)]),
            )
            created = core.create_namespaced_service("default", svc)
            assert 30000 <= created.spec.ports[0].node_port <= 32767
            assert created.status.load_balancer is not None
            core.delete_namespaced_service("py-nodeport", "default")
        finally:
            rbac.delete_namespaced_role("py-reader", "default")
