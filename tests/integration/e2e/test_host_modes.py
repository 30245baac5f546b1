"""Node ports, host ports, host namespaces, seccomp and a tty, on the real engine.

One Job pod serves ``/srv`` with busybox ``httpd`` on 8080, behind a NodePort and a
LoadBalancer Service and with a hostPort: all three answer on 127.0.0.1, and the
node port closes when its Service is deleted. Two pods asking for one hostPort: the
second waits Pending with the scheduler's FailedScheduling (NodePorts) until the first
is deleted; a Job of two such pods runs one at a time. One pod with hostNetwork, hostPID
and hostIPC sees the host's hostname and PID 1, reports the node's address as
its IP, and runs Unconfined (pod-level seccompProfile) beside a container whose
RuntimeDefault wins and one under a Localhost profile that forbids mkdir. A pod with ``tty``/``stdin`` is driven with ``kubectl attach``.
"""

from __future__ import annotations

import functools
import json
import socket
import time
import urllib.request
from typing import Any

import docker
import pytest

from minik.controllers.scheduling import NO_FREE_PORTS
from tests.support import Minik
from tests.support import kubectl as support_kubectl
from tests.support.host import free_port, non_loopback_addresses

# Callers read the exit status themselves.
kubectl = functools.partial(support_kubectl, check=False, timeout=60)


def get(port: int, path: str = "/hello.txt", *, within: float = 20) -> str:
    """The body of an HTTP GET on 127.0.0.1:port, retried while the port is not up yet."""
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
                return str(resp.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def refused(port: int, *, within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except ConnectionRefusedError:
            return True
        time.sleep(0.2)
    return False


WEB = """\
apiVersion: batch/v1
kind: Job
metadata: {{name: web}}
spec:
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: busybox:latest
        command: [sh, -c, "mkdir -p /srv && echo hello from the job > /srv/hello.txt && exec timeout 120 httpd -f -p 8080 -h /srv"]
        ports:
        - {{name: http, containerPort: 8080, hostPort: {host_port}}}
---
apiVersion: v1
kind: Service
metadata: {{name: web-np}}
spec:
  type: NodePort
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: http}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web-lb}}
spec:
  type: LoadBalancer
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 8080}}]
"""


def test_node_ports_and_a_host_port_answer_on_loopback(
    minik: Minik, docker_client: docker.DockerClient
) -> None:
    host_port = free_port()
    res = minik.run("apply", "-f", "-", input=WEB.format(host_port=host_port))
    assert "spec.template.spec.containers[0].ports[0].hostPort: Host access" in res.stderr, res.stderr
    assert "Warning: " in res.stderr and "EXTERNAL-IP <pending>" in res.stderr
    try:
        res = kubectl(minik, "wait", "--for=condition=Ready", "pod", "-l", "job-name=web", "--timeout=60s")
        assert res.returncode == 0, res.stderr + minik.server_log()
        np: dict[str, Any] = minik.json("get", "service", "web-np")
        lb: dict[str, Any] = minik.json("get", "service", "web-lb")
        assert np["status"] == {"loadBalancer": {}} and lb["status"] == {"loadBalancer": {}}
        for svc in (np, lb):
            node_port = svc["spec"]["ports"][0]["nodePort"]
            assert 30000 <= node_port <= 32767
            assert get(node_port) == "hello from the job\n", minik.server_log()
        assert get(host_port) == "hello from the job\n"
        # The hostPort is bound on loopback only (no hostIP given), on the pod's sandbox.
        uid = minik.json("get", "pods", "-l", "job-name=web")["items"][0]["metadata"]["uid"]
        wanted = [f"minik.io/instance={minik.instance}", f"minik.io/pod-uid={uid}", "minik.io/container=POD"]
        (sandbox,) = docker_client.api.containers(filters={"label": wanted})
        bindings = docker_client.api.inspect_container(sandbox["Id"])["HostConfig"]["PortBindings"]
        assert bindings == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(host_port)}]}
        # Neither answers on the host's other addresses (its LAN, Docker's bridges).
        for addr in non_loopback_addresses():
            for port in (host_port, np["spec"]["ports"][0]["nodePort"]):
                with pytest.raises(OSError), socket.create_connection((addr, port), timeout=2):
                    pass
        node_port = np["spec"]["ports"][0]["nodePort"]
        minik.run("delete", "service", "web-np")
        assert refused(node_port), "the deleted Service's node port still accepts connections"
    finally:
        minik.run(
            "delete", "job", "web", "service", "web-lb", "--ignore-not-found", "--wait=false", check=False
        )


HOST_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: on-host}
spec:
  hostNetwork: true
  hostPID: true
  hostIPC: true
  restartPolicy: Never
  securityContext:
    seccompProfile: {type: Unconfined}
  containers:
  - name: look
    image: busybox:latest
    command: [sh, -c, "hostname; cat /proc/1/comm; grep ^Seccomp: /proc/self/status"]
  - name: strict
    image: busybox:latest
    command: [sh, -c, "grep ^Seccomp: /proc/self/status"]
    securityContext:
      seccompProfile: {type: RuntimeDefault}
  - name: local
    image: busybox:latest
    command: [sh, -c, "mkdir /tmp/made 2>&1 || echo refused"]
    securityContext:
      seccompProfile: {type: Localhost, localhostProfile: profiles/no-mkdir.json}
"""
NO_MKDIR = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
}


def test_a_host_namespace_pod_sees_the_host_and_seccomp_follows_the_profiles(minik: Minik) -> None:
    profiles = minik.home / "seccomp" / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "no-mkdir.json").write_text(json.dumps(NO_MKDIR))
    res = minik.run("apply", "-f", "-", input=HOST_POD)
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        assert f"spec.{field}: Host access: the pod shares the host's" in res.stderr, res.stderr
    try:
        res = kubectl(
            minik, "wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/on-host", "--timeout=60s"
        )
        assert res.returncode == 0, res.stderr + str(minik.json("get", "pod", "on-host")["status"])
        pod = minik.json("get", "pod", "on-host")
        assert pod["status"]["podIP"] == "127.0.0.1" == pod["status"]["hostIP"]
        look = minik.run("logs", "on-host", "-c", "look").stdout.splitlines()
        with open("/proc/1/comm") as f:
            host_init = f.read().strip()
        assert look == [socket.gethostname(), host_init, "Seccomp:\t0"], look
        strict = minik.run("logs", "on-host", "-c", "strict").stdout
        assert strict == "Seccomp:\t2\n", strict
        local = minik.run("logs", "on-host", "-c", "local").stdout
        assert local == "mkdir: can't create directory '/tmp/made': Operation not permitted\nrefused\n", local
    finally:
        minik.run("delete", "pod", "on-host", "--wait=false", check=False)


TTY_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: shell}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: sh
    image: busybox:latest
    command: [sh]
    tty: true
    stdin: true
    stdinOnce: true
"""


def test_a_tty_pod_waits_for_its_attached_terminal(minik: Minik) -> None:
    assert kubectl(minik, "apply", "-f", "-", input=TTY_POD).returncode == 0
    try:
        res = kubectl(minik, "wait", "--for=condition=Ready", "pod/shell", "--timeout=60s")
        assert res.returncode == 0, res.stderr
        res = kubectl(minik, "attach", "-i", "shell", input="echo sum=$((40+2)); exit 0\n")
        assert "sum=42" in res.stdout, (res.returncode, res.stdout, res.stderr)
        res = kubectl(minik, "wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/shell", "--timeout=30s")
        assert res.returncode == 0, res.stderr
    finally:
        kubectl(minik, "delete", "pod", "shell", "--wait=false")


PORT_POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox:latest
    command: [sh, -c, "trap 'exit 0' TERM; {script}"]
    ports: [{{containerPort: 8080, hostPort: {host_port}}}]
"""
SLEEPS = "sleep 120 & wait"
STOPPABLE = "while [ ! -e /tmp/stop ]; do sleep 0.2; done"
"""Runs until /tmp/stop exists in its container."""


def _two_pods_on_one_host_port(minik: Minik, first: str, second: str, script: str) -> None:
    """``first`` then ``second``, one ``kubectl apply``, both asking for one free host port."""
    host_port = free_port()
    docs = [PORT_POD.format(name=name, host_port=host_port, script=script) for name in (first, second)]
    res = kubectl(minik, "apply", "-f", "-", input="---\n".join(docs))
    assert res.returncode == 0, res.stderr


def _scheduled(pod: dict[str, Any]) -> dict[str, Any] | None:
    return next((c for c in pod["status"].get("conditions") or [] if c["type"] == "PodScheduled"), None)


def test_two_pods_for_one_host_port_the_second_waits_for_the_scheduler(minik: Minik) -> None:
    _two_pods_on_one_host_port(minik, "holder", "waiter", SLEEPS)
    try:
        minik.wait_pod_phase("holder", "Running", 60)
        held = minik.eventually(
            "the waiter's PodScheduled=False", lambda: _scheduled(minik.pod("waiter")), 30
        )
        assert (held["status"], held["reason"], held["message"]) == ("False", "Unschedulable", NO_FREE_PORTS)
        waiter = minik.pod("waiter")
        assert waiter["status"]["phase"] == "Pending" and not waiter["spec"].get("nodeName")
        events = [
            (e["type"], e["reason"], e["source"].get("component"), e["message"])
            for e in minik.events("waiter")
        ]
        assert events == [("Warning", "FailedScheduling", "default-scheduler", NO_FREE_PORTS)], events
        described = kubectl(minik, "describe", "pod", "waiter").stdout
        assert "Node:             <none>" in described and "PodScheduled   False" in described, described
        assert "FailedScheduling" in described and "didn't have free ports" in described, described
        assert "didn't have free ports" in minik.run("describe", "pod", "waiter").stdout

        minik.delete("pod", "holder")
        running = minik.wait_pod_phase("waiter", "Running", 60)
        assert running["spec"]["nodeName"] == "minik" and _scheduled(running)["status"] == "True"
    finally:
        minik.run("delete", "pod", "holder", "waiter", "--ignore-not-found", "--wait=false", check=False)


PORT_JOB = """\
apiVersion: batch/v1
kind: Job
metadata: {{name: one-port}}
spec:
  parallelism: 2
  completions: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox:latest
        command: [sleep, "3"]
        ports: [{{containerPort: 8080, hostPort: {host_port}}}]
"""


def test_a_jobs_pods_sharing_a_host_port_run_one_at_a_time(minik: Minik) -> None:
    assert kubectl(minik, "apply", "-f", "-", input=PORT_JOB.format(host_port=free_port())).returncode == 0
    try:

        def pods() -> list[dict[str, Any]]:
            return list(minik.json("get", "pods", "-l", "job-name=one-port")["items"])

        def one_bound_one_held() -> list[dict[str, Any]] | None:
            now = pods()
            held = [p for p in now if (_scheduled(p) or {}).get("status") == "False"]
            return now if len(now) == 2 and len(held) == 1 else None

        both = minik.eventually("one pod bound, one held", one_bound_one_held, 30)
        (held,) = [p for p in both if not p["spec"].get("nodeName")]
        assert _scheduled(held)["message"] == NO_FREE_PORTS  # type: ignore[index]
        minik.eventually(
            "the Job completes, its second pod once the first Succeeded",
            lambda: minik.json("get", "job", "one-port")["status"].get("succeeded") == 2,
            60,
        )
        assert all(p["spec"]["nodeName"] == "minik" for p in pods())
    finally:
        minik.run("delete", "job", "one-port", "--ignore-not-found", "--wait=false", check=False)


def test_a_held_pod_is_bound_after_a_restart_when_its_holder_ended_meanwhile(minik: Minik) -> None:
    """Level-triggered: the holder finishes while the control plane is down; the new one binds the waiter."""
    _two_pods_on_one_host_port(minik, "first", "second", STOPPABLE)
    try:
        first = minik.wait_pod_phase("first", "Running", 60)
        minik.eventually("the second pod held", lambda: _scheduled(minik.pod("second")), 30)
        minik.kill_server()
        uid = first["metadata"]["uid"]
        assert minik.exec(uid, "c", "touch", "/tmp/stop")[0] == 0
        minik.eventually(
            "the first pod's container to exit",
            lambda: not minik.container_of(uid, "c")["State"]["Running"],
            20,
        )
        minik.start_server()
        second = minik.wait_pod_phase("second", "Running", 60)
        assert second["spec"]["nodeName"] == "minik"
        assert minik.pod("first")["status"]["phase"] == "Succeeded"
    finally:
        minik.run("delete", "pod", "first", "second", "--ignore-not-found", "--wait=false", check=False)
