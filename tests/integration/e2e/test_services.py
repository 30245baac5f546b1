"""Services as on a cluster, through real kubectl: virtual IPs, port → targetPort, Endpoints and slices.

One python pod serves HTTP on 8080 (a container port named ``http``); a
long-lived client pod connects from inside the instance network with
``kubectl exec``. Each scenario is a short conversation with that client.
"""

from __future__ import annotations

import ipaddress
import json
import time
from urllib.parse import urlparse

import pytest

from tests.support import Minik, kubectl
from tests.support.kube import kubeconfig
from tests.support.polling import eventually

PY = "image: python:3.11-slim\n    imagePullPolicy: IfNotPresent"


def web_pod(name: str, app: str) -> str:
    """A pod serving HTTP on 8080 (port ``http``), ready while ``/tmp/ready`` exists."""
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, labels: {{app: {app}}}}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: web
    {PY}
    command: ["sh", "-c", "touch /tmp/ready; exec python3 -m http.server 8080"]
    ports: [{{name: http, containerPort: 8080}}]
    readinessProbe:
      exec: {{command: ["cat", "/tmp/ready"]}}
      periodSeconds: 1
"""


CLIENT = f"""\
apiVersion: v1
kind: Pod
metadata: {{name: client}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    {PY}
    command: ["sleep", "3600"]
"""

SERVICES = """\
apiVersion: v1
kind: Service
metadata: {name: websvc}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: named}
spec:
  selector: {app: web}
  ports: [{name: web, port: 8081, targetPort: http}]
"""

# Prints one line per URL: "<url> <status>" or "<url> refused" / "<url> error <what>".
FETCH = """
import sys, urllib.request, urllib.error
for url in sys.argv[1:]:
    try:
        print(url, urllib.request.urlopen(url, timeout=5).status)
    except urllib.error.URLError as e:
        print(url, "refused" if isinstance(e.reason, ConnectionRefusedError) else f"error {e.reason}")
"""


@pytest.fixture(scope="module")
def web(minik: Minik) -> Minik:
    """The web pod, its two Services and the client pod, all ready."""
    kubectl(
        minik,
        "apply",
        "-f",
        "-",
        input=web_pod("web", "web") + "---\n" + SERVICES + "---\n" + CLIENT,
    )
    kubectl(minik, "wait", "--for=condition=Ready", "pod/web", "pod/client", "--timeout=90s")
    return minik


def fetch(minik: Minik, *urls: str) -> dict[str, str]:
    out = kubectl(minik, "exec", "client", "--", "python3", "-c", FETCH, *urls).stdout
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def fetch_until(minik: Minik, want: dict[str, str], timeout: float = 30) -> None:
    """Fetch ``want``'s URLs until each gives the status wanted (endpoints follow within a second or two)."""
    got: dict[str, str] = {}

    def done() -> bool:
        nonlocal got
        got = fetch(minik, *want)
        return got == want

    try:
        eventually("the Service's answers", done, timeout, every=0.5)
    except AssertionError as exc:
        raise AssertionError(f"wanted {want}, got {got}") from exc


def cluster_ip(minik: Minik, name: str) -> str:
    return kubectl(minik, "get", "svc", name, "-o", "jsonpath={.spec.clusterIP}").stdout


def test_port_80_reaches_target_port_8080_by_every_name_and_by_the_virtual_ip(web: Minik) -> None:
    vip = cluster_ip(web, "websvc")
    ok = {
        f"http://{host}/": "200"
        for host in (
            "websvc",
            "websvc.default",
            "websvc.default.svc",
            "websvc.default.svc.cluster.local",
            vip,
        )
    }
    fetch_until(web, {**ok, "http://named:8081/": "200"})
    # The Service's port is 80, not 8080: as on a cluster, 8080 at the Service is refused.
    assert fetch(web, "http://websvc:8080/") == {"http://websvc:8080/": "refused"}


def test_get_endpoints_and_endpointslices_show_the_pod_at_its_target_port(web: Minik) -> None:
    ip = kubectl(web, "get", "pod", "web", "-o", "jsonpath={.status.podIP}").stdout

    def listed() -> bool:
        out = kubectl(web, "get", "endpoints,endpointslices", "-o", "wide").stdout
        return f"{ip}:8080" in out and "websvc-" in out

    eventually("endpoints and slices listed", listed, 30, every=0.5)
    described = kubectl(web, "describe", "svc", "websvc").stdout  # kubectl reads the slices here
    assert f"Endpoints:         {ip}:8080" in described, described
    out = kubectl(web, "get", "endpoints", "websvc").stdout.splitlines()
    assert out[0].split() == ["NAME", "ENDPOINTS", "AGE"]
    assert out[1].split()[:2] == ["websvc", f"{ip}:8080"]
    slices = json.loads(
        kubectl(web, "get", "endpointslices", "-l", "kubernetes.io/service-name=named", "-o", "json").stdout
    )["items"]
    assert len(slices) == 1
    assert slices[0]["addressType"] == "IPv4"
    assert slices[0]["ports"] == [{"name": "web", "port": 8080, "protocol": "TCP"}]
    (ep,) = slices[0]["endpoints"]
    assert ep["addresses"] == [ip]
    assert ep["conditions"] == {"ready": True, "serving": True, "terminating": False}
    assert ep["targetRef"]["name"] == "web"
    assert slices[0]["metadata"]["ownerReferences"][0]["kind"] == "Service"


def test_a_service_made_by_kubectl_expose_after_its_pod_started(web: Minik) -> None:
    kubectl(web, "apply", "-f", "-", input=web_pod("late", "late"))
    kubectl(web, "wait", "--for=condition=Ready", "pod/late", "--timeout=60s")
    res = kubectl(web, "expose", "pod", "late", "--port=80", "--target-port=8080", "--name=latesvc")
    assert res.stdout.strip() == "service/latesvc exposed"
    vip = cluster_ip(web, "latesvc")
    assert ipaddress.IPv4Address(vip)
    fetch_until(web, {"http://latesvc/": "200", f"http://{vip}/": "200"})


def test_endpoints_follow_a_pod_that_becomes_unready_and_ready_again(web: Minik) -> None:
    kubectl(web, "apply", "-f", "-", input=web_pod("flip", "flip"))
    kubectl(web, "expose", "pod", "flip", "--port=80", "--target-port=http", "--name=flipsvc")
    kubectl(web, "wait", "--for=condition=Ready", "pod/flip", "--timeout=60s")
    fetch_until(web, {"http://flipsvc/": "200"})

    kubectl(web, "exec", "flip", "--", "rm", "/tmp/ready")
    kubectl(web, "wait", "--for=condition=Ready=false", "pod/flip", "--timeout=30s")

    def not_ready() -> bool:
        ep = json.loads(kubectl(web, "get", "endpoints", "flipsvc", "-o", "json").stdout)
        subsets = ep.get("subsets") or []
        return bool(subsets) and "addresses" not in subsets[0] and bool(subsets[0].get("notReadyAddresses"))

    eventually("the address to move to notReadyAddresses", not_ready, 30, every=0.5)
    # No ready endpoint: the connection is refused, as kube-proxy's reject rule does.
    fetch_until(web, {"http://flipsvc/": "refused"})

    kubectl(web, "exec", "flip", "--", "touch", "/tmp/ready")
    kubectl(web, "wait", "--for=condition=Ready", "pod/flip", "--timeout=30s")
    fetch_until(web, {"http://flipsvc/": "200"})


HEADLESS_JOB = """\
apiVersion: v1
kind: Service
metadata: {name: peers}
spec:
  clusterIP: None
  selector: {job-name: talk}
  ports: [{port: 9000}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: talk}
spec:
  completions: 2
  parallelism: 2
  completionMode: Indexed
  template:
    spec:
      subdomain: peers
      restartPolicy: Never
      containers:
      - name: c
        image: python:3.11-slim
        imagePullPolicy: IfNotPresent
        command:
        - python3
        - -c
        - |
          import socket, time
          for i in range(300):
              try:
                  print(socket.gethostbyname("talk-0.peers"), socket.gethostbyname("talk-1.peers.default.svc"))
                  break
              except OSError:
                  time.sleep(0.2)
          else:
              raise SystemExit("no peer names")
          time.sleep(1)
"""


def test_a_headless_service_gives_an_indexed_jobs_pods_their_names(web: Minik) -> None:
    kubectl(web, "apply", "-f", "-", input=HEADLESS_JOB)
    assert cluster_ip(web, "peers") == "None"
    res = kubectl(web, "wait", "--for=condition=Complete", "job/talk", "--timeout=180s", check=False)
    assert res.returncode == 0, (
        kubectl(web, "get", "pods", "-o", "wide").stdout + kubectl(web, "describe", "job", "talk").stdout
    )
    pods = json.loads(kubectl(web, "get", "pods", "-l", "job-name=talk", "-o", "json").stdout)["items"]
    ips = {
        p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"]: p["status"]["podIP"]
        for p in pods
    }
    for pod in pods:
        out = kubectl(web, "logs", pod["metadata"]["name"]).stdout.split()
        assert out == [ips["0"], ips["1"]]


def test_the_kubernetes_service_points_at_the_api(web: Minik) -> None:
    svc = json.loads(kubectl(web, "get", "svc", "kubernetes", "-n", "default", "-o", "json").stdout)
    port = urlparse(kubeconfig_server(web)).port
    assert svc["spec"]["ports"] == [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}]
    vip = ipaddress.IPv4Address(svc["spec"]["clusterIP"])
    ep = json.loads(kubectl(web, "get", "endpoints", "kubernetes", "-o", "json").stdout)
    (subset,) = ep["subsets"]
    assert subset["ports"] == [{"name": "https", "port": port, "protocol": "TCP"}]
    gateway = ipaddress.IPv4Address(subset["addresses"][0]["ip"])
    # The VIP is the Service range's first address, the gateway the instance subnet's first host.
    assert int(vip) % 256 == 0 and int(gateway) % 4 == 1 and int(vip) > int(gateway)


def kubeconfig_server(minik: Minik) -> str:
    return kubectl(minik, "config", "view", "-o", "jsonpath={.clusters[0].cluster.server}").stdout


def test_a_cluster_ip_is_kept_immutable_and_a_taken_one_is_refused(web: Minik) -> None:
    vip = cluster_ip(web, "websvc")
    taken = """apiVersion: v1
kind: Service
metadata: {name: clash}
spec:
  clusterIP: %s
  ports: [{port: 80}]
"""
    res = kubectl(web, "apply", "-f", "-", input=taken % vip, check=False)
    assert res.returncode != 0
    assert (
        f'The Service "clash" is invalid: spec.clusterIPs: Invalid value: ["{vip}"]: '
        f"failed to allocate IP {vip}: provided IP is already allocated"
    ) in res.stderr
    res = kubectl(
        web,
        "patch",
        "svc",
        "websvc",
        "-p",
        '{"spec":{"clusterIP":"None","clusterIPs":["None"]}}',
        check=False,
    )
    assert res.returncode != 0
    assert 'spec.clusterIPs[0]: Invalid value: ["None"]: may not change once set' in res.stderr
    # A replace that leaves the address out keeps it, as the API server's strategy does.
    svc = json.loads(kubectl(web, "get", "svc", "websvc", "-o", "json").stdout)
    for key in ("clusterIP", "clusterIPs"):
        svc["spec"].pop(key)
    svc["metadata"].pop("resourceVersion")
    kubectl(web, "replace", "-f", "-", input=json.dumps(svc))
    assert cluster_ip(web, "websvc") == vip


PRUNE = """apiVersion: v1
kind: ConfigMap
metadata: {name: %s, labels: {set: prune}}
"""


def test_apply_prune_by_label_removes_what_the_files_no_longer_hold(web: Minik) -> None:
    kubectl(web, "apply", "-f", "-", input=PRUNE % "keep" + "---\n" + PRUNE % "drop")
    # kubectl's default prune list names kinds minik does not serve (Deployments, Ingresses, …),
    # so the allowlist names the kinds to prune, Endpoints among them.
    allow = ["--prune-allowlist=core/v1/ConfigMap", "--prune-allowlist=core/v1/Endpoints",
             "--prune-allowlist=core/v1/Service"]  # fmt: skip
    res = kubectl(web, "apply", "--prune", "-l", "set=prune", *allow, "-f", "-", input=PRUNE % "keep")
    assert "configmap/drop pruned" in res.stdout
    assert kubectl(web, "get", "cm", "drop", check=False).returncode != 0


def test_port_forward_to_a_service_uses_its_target_port(web: Minik) -> None:
    import socket
    import subprocess
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        local = s.getsockname()[1]
    cmd = ["kubectl", "--kubeconfig", kubeconfig(web), "port-forward", "svc/websvc", f"{local}:80"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert urllib.request.urlopen(f"http://127.0.0.1:{local}/", timeout=5).status == 200
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(10)


def test_containers_get_the_service_link_variables(web: Minik) -> None:
    env = dict(
        line.split("=", 1)
        for line in kubectl(web, "exec", "client", "--", "env").stdout.splitlines()
        if "=" in line
    )
    vip = cluster_ip(web, "websvc")
    assert env["WEBSVC_SERVICE_HOST"] == vip
    assert env["WEBSVC_SERVICE_PORT"] == "80"
    assert env["WEBSVC_PORT_80_TCP"] == f"tcp://{vip}:80"
    assert env["NAMED_SERVICE_PORT_WEB"] == "8081"
    assert env["KUBERNETES_SERVICE_HOST"] == cluster_ip(web, "kubernetes")
    assert env["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"


UDP = """\
apiVersion: v1
kind: Pod
metadata: {name: udpecho, labels: {app: udpecho}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: python:3.11-slim
    imagePullPolicy: IfNotPresent
    command:
    - python3
    - -c
    - |
      import socket
      s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
      s.bind(("", 5353))
      while True:
          data, addr = s.recvfrom(512)
          s.sendto(b"echo:" + data, addr)
---
apiVersion: v1
kind: Service
metadata: {name: udpsvc}
spec:
  selector: {app: udpecho}
  ports: [{name: dns, port: 53, targetPort: 5353, protocol: UDP}]
"""

ASK_UDP = """
import socket, sys, time
for _ in range(100):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    try:
        s.sendto(b"hi", ("udpsvc", 53))
        print(s.recvfrom(64)[0].decode())
        break
    except OSError:
        time.sleep(0.2)
"""


def test_udp_reaches_the_target_port_through_the_virtual_ip(web: Minik) -> None:
    kubectl(web, "apply", "-f", "-", input=UDP)
    kubectl(web, "wait", "--for=condition=Ready", "pod/udpecho", "--timeout=60s")
    out = kubectl(web, "exec", "client", "--", "python3", "-c", ASK_UDP).stdout
    assert out.strip() == "echo:hi"


def test_a_selectorless_service_follows_the_endpoints_its_user_writes(web: Minik) -> None:
    ip = kubectl(web, "get", "pod", "web", "-o", "jsonpath={.status.podIP}").stdout
    manual = f"""apiVersion: v1
kind: Service
metadata: {{name: manual}}
spec:
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: v1
kind: Endpoints
metadata: {{name: manual}}
subsets:
- addresses: [{{ip: {ip}}}]
  ports: [{{port: 8080}}]
"""
    kubectl(web, "apply", "-f", "-", input=manual)
    fetch_until(web, {"http://manual/": "200"})
    kubectl(web, "delete", "endpoints", "manual")
    fetch_until(web, {"http://manual/": "refused"})
