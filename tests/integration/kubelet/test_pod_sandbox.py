"""A pod that runs two containers at once is a sandbox that owns the network namespace and hostname.

Containers of one pod share localhost; the pod's hostname (and subdomain) is
what the containers see; the pod's address is ``status.podIP``; and every
Docker object carries minik's labels. A pod whose containers run one at a
time has no sandbox (``test_pod_sandboxless.py``).
"""

from __future__ import annotations

import ipaddress

from tests.support import BUSYBOX, Cluster, busybox_spec, container_status, empty_dir_spec


def test_containers_of_a_pod_share_localhost(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  containers:
  - name: server
    {BUSYBOX}
    command: ["sh", "-c", "echo hello-from-server | nc -l -p 7070"]
  - name: client
    {BUSYBOX}
    command: ["sh", "-c", "for i in $(seq 100); do nc 127.0.0.1 7070 && exit 0; sleep 0.1; done; exit 1"]
""",
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), 60)
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    assert "hello-from-server" in minik.logs(pod_name, "client")
    minik.delete("pod", pod_name)


def test_sandbox_owns_the_network_namespace_and_hostname(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: a
    {BUSYBOX}
    command: ["sh", "-c", "hostname; sleep 30"]
  - name: b
    {BUSYBOX}
    command: ["sleep", "30"]
""",
    )
    pod = minik.wait_container(pod_name, "b", "running")
    pod = minik.wait_container(pod_name, "a", "running")
    uid = pod["metadata"]["uid"]
    sandbox = minik.container_of(uid, "POD")
    assert sandbox["Config"]["Image"].startswith("registry.k8s.io/pause")
    assert sandbox["Config"]["Hostname"] == pod_name
    for c in ("a", "b"):
        mode = minik.container_of(uid, c)["HostConfig"]["NetworkMode"]
        assert mode == f"container:{sandbox['Id']}", (c, mode)
    # The sandbox holds the pod's address from minik's IPAM, as a sandbox-less pod's containers do.
    (endpoint,) = sandbox["NetworkSettings"]["Networks"].values()
    assert endpoint["IPAMConfig"]["IPv4Address"] == minik.pod(pod_name)["status"]["podIP"]
    minik.delete("pod", pod_name)


def test_pod_ip_is_the_sandbox_address_and_reported_in_status(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        busybox_spec(
            '["sh", "-c", "ip -4 -o addr show eth0 | awk \'{print $4}\' | cut -d/ -f1"]', grace=None
        ),
    )
    pod = minik.wait_pod_phase(pod_name, "Succeeded")
    ip = pod["status"]["podIP"]
    ipaddress.ip_address(ip)
    assert pod["status"]["podIPs"] == [{"ip": ip}]
    assert minik.logs(pod_name).strip() == ip
    minik.delete("pod", pod_name)


def _web_0_ran(minik: Cluster, pod_name: str, script: str) -> dict:  # type: ignore[type-arg]
    """A pod with hostname web-0 and subdomain web that ran ``sh -c script``, finished."""
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  hostname: web-0
  subdomain: web
  containers:
  - name: c
    {BUSYBOX}
    command: ["sh", "-c", "{script}"]
""",
    )
    return minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))


def test_hostname_and_subdomain_are_honoured(minik: Cluster, pod_name: str) -> None:
    pod = _web_0_ran(minik, pod_name, "hostname; cat /etc/hostname")
    assert pod["status"]["phase"] == "Succeeded"
    lines = minik.logs(pod_name).split()
    assert lines[0] == "web-0"
    minik.delete("pod", pod_name)


def test_hostname_with_subdomain_gives_the_pod_its_fully_qualified_name(
    minik: Cluster, pod_name: str
) -> None:
    pod = _web_0_ran(minik, pod_name, "hostname -f; grep -w web-0 /etc/hosts")
    fqdn = "web-0.web.default.svc.cluster.local"
    lines = minik.logs(pod_name).splitlines()
    assert lines[0] == fqdn
    assert lines[1].split() == [pod["status"]["podIP"], fqdn, "web-0"]
    minik.delete("pod", pod_name)


def test_every_docker_object_of_a_pod_carries_minik_labels(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(pod_name, empty_dir_spec('["true"]', mount="/scratch", grace=None), namespace="default")
    pod = minik.wait_pod_phase(pod_name, "Succeeded")
    uid = pod["metadata"]["uid"]
    containers = minik.pod_containers(uid)
    assert {c["Config"]["Labels"]["minik.io/container"] for c in containers} == {"c"}  # no sandbox needed
    for c in containers:
        labels = c["Config"]["Labels"]
        assert labels["minik.io/managed"] == "true"
        assert labels["minik.io/instance"] == minik.instance
        assert labels["minik.io/pod-uid"] == uid
        assert labels["minik.io/pod-name"] == pod_name
        assert labels["minik.io/namespace"] == "default"
        assert "minik.io/job-uid" not in labels  # a bare pod has no Job
    volumes = minik.pod_volumes(uid)
    assert volumes, "the emptyDir volume should be a labelled Docker volume"
    for v in volumes:
        assert v["Labels"]["minik.io/managed"] == "true"
        assert v["Labels"]["minik.io/instance"] == minik.instance
    networks = minik.docker.api.networks(filters={"label": [f"minik.io/instance={minik.instance}"]})
    assert [n["Labels"].get("minik.io/managed") for n in networks] == ["true"]
    owner_networks = minik.container_of(uid, "c")["NetworkSettings"]["Networks"]
    assert list(owner_networks) == [networks[0]["Name"]]
    assert container_status(pod, "c") is not None
    minik.delete("pod", pod_name)


def test_job_pods_carry_job_uid_and_completion_index_labels(minik: Cluster, pod_name: str) -> None:
    name = pod_name[:30]
    minik.apply(
        f"""apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
spec:
  completions: 2
  parallelism: 2
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        {BUSYBOX.replace(chr(10) + "    ", chr(10) + "        ")}
        command: ["true"]
"""
    )
    minik.run("wait", "--for=condition=complete", f"job/{name}", "--timeout=60s")
    job = minik.get("job", name)
    found = minik.docker.api.containers(
        all=True, filters={"label": [f"minik.io/job-uid={job['metadata']['uid']}"]}
    )
    indexes = {
        c["Labels"]["minik.io/completion-index"] for c in found if c["Labels"]["minik.io/container"] == "c"
    }
    assert indexes == {"0", "1"}
    for c in found:
        assert c["Labels"]["minik.io/instance"] == minik.instance
        assert c["Labels"]["minik.io/pod-name"].startswith(f"{name}-")
    minik.run("delete", f"job/{name}")
