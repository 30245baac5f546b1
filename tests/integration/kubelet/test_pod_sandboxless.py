"""A pod whose containers run one at a time has no sandbox, and keeps one IP for its life (issue 22).

Each container is created on the instance network with the pod's hostname,
subdomain and fixed address from minik's IPAM (the upper half of the
instance subnet): ``status.podIP``, the downward API, ``/etc/hosts`` and
``hostname -f`` stay the same across init → app → OnFailure restarts, and an
emptyDir carries what the init container wrote. One pod checks it all.
"""

from __future__ import annotations

import ipaddress

from tests.integration.kubelet.conftest import Cluster, container_status, pod_yaml

BUSYBOX = "image: busybox:latest\n    imagePullPolicy: IfNotPresent"
MY_IP = "ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1"
FQDN = "db-0.db.default.svc.cluster.local"


def test_init_app_and_a_restart_share_the_pods_one_address_hostname_and_empty_dir(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply(
        pod_yaml(
            pod_name,
            f"""  restartPolicy: OnFailure
  hostname: db-0
  subdomain: db
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
    env:
    - name: POD_IP
      valueFrom: {{fieldRef: {{fieldPath: status.podIP}}}}
    command:
    - sh
    - -c
    - |
      echo "ip $({MY_IP})"; echo "env $POD_IP"; echo "init $(cat /s/init-ip)"
      echo "fqdn $(hostname -f)"; echo "hosts $(grep -w db-0 /etc/hosts)"
      [ -e /s/ran ] || {{ touch /s/ran; exit 1; }}
    volumeMounts: [{{name: s, mountPath: /s}}]
""",
        )
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), 60)
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    assert container_status(pod, "app")["restartCount"] == 1  # type: ignore[index]
    ip = pod["status"]["podIP"]
    for run in (minik.logs(pod_name, "app", previous=True), minik.logs(pod_name, "app")):
        got = dict(line.split(" ", 1) for line in run.strip().splitlines())
        assert got == {"ip": ip, "env": ip, "init": ip, "fqdn": FQDN, "hosts": f"{ip}\t{FQDN} db-0"}, run

    uid = pod["metadata"]["uid"]
    containers = minik.pod_containers(uid)
    names = sorted(c["Config"]["Labels"]["minik.io/container"] for c in containers)
    assert names == ["app", "app", "init"], "no sandbox for a pod whose containers run one at a time"
    network = minik.docker.api.networks(filters={"label": [f"minik.io/instance={minik.instance}"]})[0]
    for c in containers:
        assert c["HostConfig"]["NetworkMode"] == network["Name"]
        assert c["Config"]["Hostname"] == "db-0"
        endpoint = c["NetworkSettings"]["Networks"][network["Name"]]
        assert endpoint["IPAMConfig"]["IPv4Address"] == ip
    subnet = ipaddress.ip_network(network["IPAM"]["Config"][0]["Subnet"])
    upper = list(subnet.subnets(prefixlen_diff=1))[1]
    assert ipaddress.ip_address(ip) in upper, "pod addresses come from the half Docker does not hand out"
    assert network["IPAM"]["Config"][0]["IPRange"] == str(next(subnet.subnets(prefixlen_diff=1)))
    minik.delete("pod", pod_name)
