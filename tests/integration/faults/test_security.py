"""Let no one in: loopback only, a token on every route, private files, no path escapes, no leaked secrets.

What these tests pin down is the threat model of docs/security.md: the API is
reachable from this host only, and only with the per-instance bearer token;
the files that hold the token are private to the user; manifests cannot name
paths that escape a volume; a Secret's value never shows up in minik's own
log, events or describe output.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import shutil
import socket
import ssl
import stat
import subprocess
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import docker
import httpx
import pytest

from minik.kubelet import subnets
from tests.support import Minik, eventually
from tests.support.host import non_loopback_addresses

# -- the network ------------------------------------------------------------------------------


def server_url(minik: Minik) -> str:
    minik.run("get", "pods")  # make sure the server runs
    return str(json.loads((minik.home / "server.json").read_text())["url"])


def test_the_api_listens_on_loopback_and_for_pods_on_its_network_s_gateway_only(minik: Minik) -> None:
    url = urlsplit(server_url(minik))
    assert url.scheme == "https" and url.hostname == "127.0.0.1", url
    nets = eventually(  # the pods' side starts once the network is made
        "the instance network",
        lambda: minik.engine.networks.list(filters={"label": f"minik.io/instance={minik.instance}"}),
    )
    # Docker 20.10 does not report the gateway of a network made with an explicit pool: its default
    gateway = subnets.gateway(ipaddress.IPv4Network(nets[0].attrs["IPAM"]["Config"][0]["Subnet"]))
    others = [a for a in non_loopback_addresses() if a != gateway]
    if not others:
        pytest.skip("this host has no other non-loopback IPv4 address to try")
    for addr in others:
        with pytest.raises(OSError), socket.create_connection((addr, url.port or 443), timeout=2):
            pass
    with socket.create_connection(("127.0.0.1", url.port or 443), timeout=2):
        pass  # and it does listen there, and at the gateway (pods need a token too)

    def at_gateway() -> bool:
        try:
            socket.create_connection((gateway, url.port or 443), timeout=2).close()
        except OSError:
            return False
        return True

    eventually("listening at the gateway", at_gateway)


# -- the token ----------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/version"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/livez"),
    ("GET", "/api"),
    ("GET", "/apis"),
    ("GET", "/api/v1"),
    ("GET", "/apis/batch/v1"),
    ("GET", "/openapi/v3"),
    ("GET", "/openapi/v3/apis/batch/v1"),
    ("GET", "/api/v1/namespaces/default/pods"),
    ("GET", "/api/v1/pods?watch=true&timeoutSeconds=1"),
    ("GET", "/apis/batch/v1/namespaces/default/jobs?watch=1"),
    ("GET", "/api/v1/namespaces/default/pods/nope/log"),
    ("GET", "/api/v1/namespaces/default/secrets"),
    ("POST", "/apis/batch/v1/namespaces/default/jobs"),
    ("PATCH", "/apis/batch/v1/namespaces/default/jobs/x"),
    ("DELETE", "/api/v1/namespaces/default/pods"),
    ("GET", "/no/such/path"),
]


def client(minik: Minik) -> httpx.Client:
    ctx = ssl.create_default_context(cafile=str(minik.home / "tls.crt"))
    return httpx.Client(base_url=server_url(minik), verify=ctx, timeout=10)


@pytest.mark.parametrize("auth", [None, "Bearer wrong", "Bearer", "Basic eDp5", "token", "Bearer {token} x"])
def test_every_route_answers_401_without_the_right_token(minik: Minik, auth: str | None) -> None:
    token = (minik.home / "token").read_text().strip()
    headers = {"Authorization": auth.format(token=token)} if auth else {}
    with client(minik) as c:
        for method, path in ROUTES:
            resp = c.request(method, path, headers=headers, content=b"{}")
            assert resp.status_code == 401, (method, path, resp.status_code, resp.text[:200])
            body = resp.json()
            assert body["kind"] == "Status" and body["reason"] == "Unauthorized", body
            assert token not in resp.text


def test_the_right_token_opens_watch_logs_and_openapi(minik: Minik) -> None:
    token = (minik.home / "token").read_text().strip()
    with client(minik) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        assert c.get("/api/v1/pods", params={"watch": "true", "timeoutSeconds": "1"}).status_code == 200
        assert c.get("/openapi/v3").status_code == 200
        assert c.get("/api/v1/namespaces/default/pods/nope/log").status_code == 404


def test_token_kubeconfig_and_key_are_private(minik: Minik) -> None:
    server_url(minik)
    assert stat.S_IMODE(minik.home.stat().st_mode) == 0o700
    for name in ("token", "kubeconfig", "tls.key", "sa.key"):
        mode = stat.S_IMODE((minik.home / name).stat().st_mode)
        assert mode == 0o600, f"{name} has mode {mode:o}"


# -- paths that could escape -----------------------------------------------------------------------


def _pod(volumes: list[Any] | None = None, mounts: list[Any] | None = None, **meta: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": meta.pop("container", "c"), "image": "busybox"}
    if mounts:
        container["volumeMounts"] = mounts
    spec: dict[str, Any] = {"restartPolicy": "Never", "containers": [container]}
    if volumes:
        spec["volumes"] = volumes
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", **meta}, "spec": spec}


def _items(path: str) -> list[dict[str, str]]:
    return [{"key": "k", "path": path}]


def _field(path: str) -> list[dict[str, Any]]:
    return [{"path": path, "fieldRef": {"fieldPath": "metadata.name"}}]


EMPTY = [{"name": "v", "emptyDir": {}}]
ESCAPES: dict[str, tuple[str, dict[str, Any]]] = {
    "configMap item ..": (
        "pods",
        _pod([{"name": "v", "configMap": {"name": "cm", "items": _items("../x")}}]),
    ),
    "configMap item absolute": (
        "pods",
        _pod([{"name": "v", "configMap": {"name": "cm", "items": _items("/etc/x")}}]),
    ),
    "secret item ..": (
        "pods",
        _pod([{"name": "v", "secret": {"secretName": "s", "items": _items("a/../../b")}}]),
    ),
    "secret item absolute": (
        "pods",
        _pod([{"name": "v", "secret": {"secretName": "s", "items": _items("/root/x")}}]),
    ),
    "downwardAPI item ..": ("pods", _pod([{"name": "v", "downwardAPI": {"items": _field("..")}}])),
    "downwardAPI item absolute": ("pods", _pod([{"name": "v", "downwardAPI": {"items": _field("/x")}}])),
    "projected configMap item ..": (
        "pods",
        _pod(
            [{"name": "v", "projected": {"sources": [{"configMap": {"name": "c", "items": _items("../x")}}]}}]
        ),
    ),
    "projected secret item absolute": (
        "pods",
        _pod([{"name": "v", "projected": {"sources": [{"secret": {"name": "s", "items": _items("/x")}}]}}]),
    ),
    "projected downwardAPI item ..": (
        "pods",
        _pod([{"name": "v", "projected": {"sources": [{"downwardAPI": {"items": _field("../x")}}]}}]),
    ),
    "subPath ..": ("pods", _pod(EMPTY, [{"name": "v", "mountPath": "/m", "subPath": "a/../.."}])),
    "subPath absolute": ("pods", _pod(EMPTY, [{"name": "v", "mountPath": "/m", "subPath": "/etc"}])),
    "subPathExpr ..": ("pods", _pod(EMPTY, [{"name": "v", "mountPath": "/m", "subPathExpr": "$(X)/../.."}])),
    "subPathExpr absolute": ("pods", _pod(EMPTY, [{"name": "v", "mountPath": "/m", "subPathExpr": "/etc"}])),
    "hostPath with ..": ("pods", _pod([{"name": "v", "hostPath": {"path": "/tmp/../etc"}}])),
    "pod name ..": ("pods", _pod(name="..")),
    "pod name with a slash": ("pods", _pod(name="a/b")),
    "pod name not DNS-1123": ("pods", _pod(name="Evil_Pod")),
    "container name ..": ("pods", _pod(container="../c")),
    "volume name ..": ("pods", _pod([{"name": "../v", "emptyDir": {}}])),
    "configMap name ..": (
        "configmaps",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": ".."}},
    ),
    "configMap key ..": (
        "configmaps",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"..": "x"}},
    ),
    "secret key with a slash": (
        "secrets",
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"a/b": "x"}},
    ),
    "secret name with a slash": (
        "secrets",
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a/b"}, "stringData": {"a": "x"}},
    ),
    "job name ..": (
        "jobs",
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": ".."},
            "spec": {
                "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "b"}]}}
            },
        },
    ),
}


@pytest.mark.parametrize("case", sorted(ESCAPES))
def test_names_and_paths_that_could_escape_are_rejected_before_anything_is_stored(
    minik: Minik, case: str
) -> None:
    resource, obj = ESCAPES[case]
    group = "/apis/batch/v1" if resource == "jobs" else "/api/v1"
    token = (minik.home / "token").read_text().strip()
    with client(minik) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        before = c.get(f"{group}/namespaces/default/{resource}").json()["metadata"]["resourceVersion"]
        resp = c.post(f"{group}/namespaces/default/{resource}", json=copy.deepcopy(obj))
        assert resp.status_code == 422, (case, resp.status_code, resp.text[:300])
        assert resp.json()["reason"] == "Invalid"
        after = c.get(f"{group}/namespaces/default/{resource}").json()["metadata"]["resourceVersion"]
        assert after == before, f"{case}: something was stored"


# -- secrets stay secret ---------------------------------------------------------------------------

SECRET_JOB = """apiVersion: v1
kind: Secret
metadata:
  name: leak-check
stringData:
  password: {value}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: leak-check
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      volumes:
      - name: creds
        secret:
          secretName: leak-check
      containers:
      - name: c
        image: busybox:latest
        imagePullPolicy: IfNotPresent
        volumeMounts:
        - name: creds
          mountPath: /creds
        env:
        - name: PASSWORD
          valueFrom:
            secretKeyRef: {{name: leak-check, key: password}}
        command: ["sh", "-c", "test \\"$PASSWORD\\" = \\"$(cat /creds/password)\\" && test -n \\"$PASSWORD\\""]
"""


def test_a_secret_value_never_appears_in_the_log_events_or_describe(
    minik: Minik, docker_client: docker.DockerClient
) -> None:
    value = f"s3cr3t-{uuid.uuid4().hex}"
    minik.run("apply", "-f", "-", input=SECRET_JOB.format(value=value))
    minik.run("wait", "--for=condition=complete", "job/leak-check", "--timeout=90s")
    pods = minik.json("get", "pods", "-l", "job-name=leak-check")["items"]
    assert pods, "the Job made no pod"
    pod = pods[0]["metadata"]["name"]
    seen = {
        "server.log": minik.server_log(),
        "events": minik.run("get", "events", "-o", "json").stdout,
        "describe pod": minik.run("describe", f"pod/{pod}").stdout,
        "describe job": minik.run("describe", "job/leak-check").stdout,
        "get pod -o yaml": minik.run("get", "pod", pod, "-o", "yaml").stdout,
        "logs": minik.run("logs", f"pod/{pod}").stdout,
    }
    describe_secret = minik.run("describe", "secret/leak-check", check=False)
    if describe_secret.returncode == 0:
        seen["describe secret"] = describe_secret.stdout
    for where, text in seen.items():
        assert value not in text, f"the secret's value appears in {where}"
    assert "leak-check" in seen["describe pod"]  # the reference is shown, the value is not
    minik.run("delete", "job/leak-check", "secret/leak-check")


# -- the pod's address --------------------------------------------------------------------------

ADDRESSED = """\
apiVersion: v1
kind: Pod
metadata: {{name: addressed, labels: {{app: addressed}}}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: web
    image: busybox:latest
    command: [sh, -c, "mkdir -p /srv && echo from the pod > /srv/who && exec httpd -f -p {port} -h /srv"]
    ports: [{{containerPort: {port}}}]
---
apiVersion: v1
kind: Service
metadata: {{name: addressed}}
spec:
  type: NodePort
  selector: {{app: addressed}}
  ports: [{{port: 80, targetPort: {port}}}]
"""


def _get_who(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /who HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    return data.decode(errors="replace").split("\r\n\r\n", 1)[-1].strip()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_a_client_written_pod_ip_never_aims_port_forward_or_node_ports_at_the_host(minik: Minik) -> None:
    """``kubectl patch pod --subresource=status`` of ``podIP: 127.0.0.1`` used to send both port-forward and
    the node-port relay to the host's loopback; they follow the kubelet's record, and the kubelet puts its
    address back in the status."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    decoy = socket.create_server(("127.0.0.1", port))  # a host service on the pod's port
    decoy.settimeout(0.2)
    stop = threading.Event()

    def serve_decoy() -> None:
        while not stop.is_set():
            try:
                conn, _ = decoy.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nfrom the host\n")

    thread = threading.Thread(target=serve_decoy, daemon=True)
    thread.start()
    env = dict(minik.env, KUBECONFIG=str(minik.home / "kubeconfig"))
    forward: subprocess.Popen[str] | None = None
    minik.run("apply", "-f", "-", input=ADDRESSED.format(port=port))
    try:
        res = subprocess.run(
            ["kubectl", "wait", "--for=condition=Ready", "pod/addressed", "--timeout=90s"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr + minik.server_log()[-3000:]
        pod_ip = minik.json("get", "pod", "addressed")["status"]["podIP"]
        assert pod_ip != "127.0.0.1"
        res = subprocess.run(
            ["kubectl", "patch", "pod", "addressed", "--subresource=status", "--type=merge",
             "-p", '{"status":{"podIP":"127.0.0.1","podIPs":[{"ip":"127.0.0.1"}]}}'],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        node_port = minik.json("get", "service", "addressed")["spec"]["ports"][0]["nodePort"]
        assert _get_who(node_port) == "from the pod"
        forward = subprocess.Popen(
            ["kubectl", "port-forward", "pod/addressed", f":{port}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert forward.stdout is not None
        line = forward.stdout.readline()  # Forwarding from 127.0.0.1:NNNNN -> PORT
        local = int(line.split("127.0.0.1:", 1)[1].split()[0])
        assert _get_who(local) == "from the pod"
        # The kubelet's address is back in the status.
        deadline = time.monotonic() + 20
        while minik.json("get", "pod", "addressed")["status"]["podIP"] != pod_ip:
            assert time.monotonic() < deadline, "the kubelet did not put its address back"
            time.sleep(0.2)
        assert minik.json("get", "pod", "addressed")["status"]["podIPs"] == [{"ip": pod_ip}]
    finally:
        if forward is not None:
            forward.terminate()
            forward.communicate(timeout=10)
        stop.set()
        thread.join(5)
        decoy.close()
        minik.run("delete", "pod", "addressed", "service", "addressed", "--ignore-not-found", "--wait=false",
                  check=False)  # fmt: skip
