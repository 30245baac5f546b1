"""A one-container pod has no sandbox, and every pod keeps one IP for its life (issue 22).

Each run of a one-container pod's container is created on the instance
network with the pod's hostname, subdomain and fixed address from minik's
IPAM (the upper half of the instance subnet): ``status.podIP``, the downward
API, ``/etc/hosts`` and ``hostname -f`` stay the same across an OnFailure
restart, and an emptyDir outlives the first run. A pod with an init container
keeps its sandbox (cheaper on Docker: ``plan.uses_sandbox``), which holds the
same kind of address, and its init container hands the app an emptyDir.
Both pods run at once.
"""

from __future__ import annotations

import ipaddress

from minik.kubelet import subnets
from tests.support import BUSYBOX, Cluster, container_status, pod_yaml

MY_IP = "ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1"
FQDN = "db-0.db.default.svc.cluster.local"


def _fields(log: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in log.strip().splitlines())


def test_a_restart_keeps_the_pods_one_address_hostname_and_empty_dir_without_a_sandbox(
    minik: Cluster, pod_name: str
) -> None:
    with_init = f"{pod_name[:50]}-init"
    minik.apply(
        pod_yaml(
            pod_name,
            f"""  restartPolicy: OnFailure
  hostname: db-0
  subdomain: db
  volumes:
  - name: s
    emptyDir: {{}}
  containers:
  - name: app
    {BUSYBOX}
    env:
    - name: POD_IP
      valueFrom: {{fieldRef: {{fieldPath: status.podIP}}}}
    command:
    - sh
    - -c
    - |
      echo "ip $({MY_IP})"; echo "env $POD_IP"
      echo "fqdn $(hostname -f)"; echo "hosts $(grep -w db-0 /etc/hosts)"
      [ -e /s/ran ] || {{ touch /s/ran; exit 1; }}
    volumeMounts: [{{name: s, mountPath: /s}}]
""",
        )
        + "---\n"
        + pod_yaml(
            with_init,
            f"""  restartPolicy: Never
  volumes:
  - name: s
    emptyDir: {{}}
  initContainers:
  - name: init
    {BUSYBOX}
    command: ["sh", "-c", "{MY_IP} > /s/init-ip"]
    volumeMounts: [{{name: s, mountPath: /s}}]
  containers:
  - name: app
    {BUSYBOX}
    command: ["sh", "-c", "echo \\"ip $({MY_IP})\\"; echo \\"init $(cat /s/init-ip)\\""]
    volumeMounts: [{{name: s, mountPath: /s}}]
""",
        )
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), 60)
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    assert container_status(pod, "app")["restartCount"] == 1  # type: ignore[index]
    ip = pod["status"]["podIP"]
    for run in (minik.logs(pod_name, "app", previous=True), minik.logs(pod_name, "app")):
        assert _fields(run) == {"ip": ip, "env": ip, "fqdn": FQDN, "hosts": f"{ip}\t{FQDN} db-0"}, run

    uid = pod["metadata"]["uid"]
    containers = minik.pod_containers(uid)
    names = sorted(c["Config"]["Labels"]["minik.io/container"] for c in containers)
    assert names == ["app", "app"], "no sandbox for a one-container pod"
    network = minik.docker.api.networks(filters={"label": [f"minik.io/instance={minik.instance}"]})[0]
    for c in containers:
        assert c["HostConfig"]["NetworkMode"] == network["Name"]
        assert c["Config"]["Hostname"] == "db-0"
        endpoint = c["NetworkSettings"]["Networks"][network["Name"]]
        assert endpoint["IPAMConfig"]["IPv4Address"] == ip
    subnet = ipaddress.ip_network(network["IPAM"]["Config"][0]["Subnet"])
    lower, upper = subnet.subnets(prefixlen_diff=1)
    assert ipaddress.ip_address(ip) in upper, "pod addresses come from the half Docker does not hand out"
    assert network["IPAM"]["Config"][0]["IPRange"] == str(subnets.dynamic_range(subnet))
    assert subnets.dynamic_range(subnet).subnet_of(lower)  # Docker's addresses: in the lower half

    other = minik.wait_pod_phase(with_init, ("Succeeded", "Failed"), 60)
    assert other["status"]["phase"] == "Succeeded", other["status"]
    other_ip = other["status"]["podIP"]
    assert other_ip != ip and ipaddress.ip_address(other_ip) in upper
    assert _fields(minik.logs(with_init, "app")) == {"ip": other_ip, "init": other_ip}
    sandbox = minik.container_of(other["metadata"]["uid"], "POD")
    assert sandbox["NetworkSettings"]["Networks"][network["Name"]]["IPAMConfig"]["IPv4Address"] == other_ip
    minik.delete("pod", with_init)
    minik.delete("pod", pod_name)
