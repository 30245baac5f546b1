"""Issue 31: what a Service's proxy adds to each connection, against connecting to the pod directly.

A pod runs a TCP echo server on 8080; a ClusterIP Service maps port 80 to
it. A client pod on the same instance network makes N short connections
(connect, send 16 bytes, read the echo, close), alternating one straight to
the pod's address at 8080 and one to the Service's virtual IP at 80, and
prints every round trip. Reported: the median of each and their difference
(the proxy's added latency per connection), and the 90th percentiles.
Timing happens inside the client pod, so the host's load matters only as
noise; run it alternately with anything it is compared with.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

from benchmarks._minik import instance
from minik.errors import NotFound
from tests.support.polling import eventually

SERVER = """
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 8080)); s.listen(512)
def serve(c):
    with c:
        while True:
            d = c.recv(4096)
            if not d: break
            c.sendall(d)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""

CLIENT = """
import json, socket, sys, time
direct, vip, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def once(host, port):
    t = time.perf_counter()
    with socket.create_connection((host, port), timeout=5) as c:
        c.sendall(b"0123456789abcdef")
        got = b""
        while len(got) < 16:
            got += c.recv(16)
    return time.perf_counter() - t
for _ in range(20):  # warm both paths (ARP, the proxy's first accept)
    once(direct, 8080); once(vip, 80)
out = {"direct": [], "vip": []}
for _ in range(n):
    out["direct"].append(once(direct, 8080))
    out["vip"].append(once(vip, 80))
print(json.dumps(out))
"""


def _yaml(n: int) -> str:
    def block(text: str) -> str:
        return "\n".join("      " + line for line in text.strip().splitlines())

    return f"""apiVersion: v1
kind: Pod
metadata: {{name: echo, labels: {{app: echo}}}}
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
{block(SERVER)}
    readinessProbe: {{tcpSocket: {{port: 8080}}, periodSeconds: 1}}
---
apiVersion: v1
kind: Service
metadata: {{name: echo}}
spec:
  selector: {{app: echo}}
  ports: [{{port: 80, targetPort: 8080}}]
"""


def _client(direct: str, vip: str, n: int) -> str:
    lines = "\n".join("      " + line for line in CLIENT.strip().splitlines())
    return f"""apiVersion: v1
kind: Pod
metadata: {{name: client}}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: python:3.11-slim
    imagePullPolicy: IfNotPresent
    args: ["{direct}", "{vip}", "{n}"]
    command:
    - python3
    - -c
    - |
{lines}
"""


def _p90(xs: list[float]) -> float:
    return sorted(xs)[int(len(xs) * 0.9)]


def run(quick: bool) -> list[dict[str, Any]]:
    n = 200 if quick else 1000
    with instance() as m:
        m.run("apply", "-f", "-", input=_yaml(n))
        m.wait_container("echo", "c", "running")
        pod_ip = m.pod("echo")["status"]["podIP"]
        vip = m.get("service", "echo")["spec"]["clusterIP"]

        def endpoint_listed() -> bool:
            try:
                ep = m.api.get("/api/v1/namespaces/default/endpoints/echo")
            except NotFound:
                return False
            return any(
                a.get("ip") == pod_ip for s in ep.get("subsets") or [] for a in s.get("addresses") or []
            )

        eventually("the echo pod in the Service's endpoints", endpoint_listed, 60)
        m.run("apply", "-f", "-", input=_client(pod_ip, vip, n))
        pod = m.wait_pod_phase("client", ("Succeeded", "Failed"), 600)
        assert pod["status"]["phase"] == "Succeeded", m.logs("client")
        got = json.loads(m.logs("client").strip().splitlines()[-1])
    direct, via = got["direct"], got["vip"]
    md, mv = statistics.median(direct), statistics.median(via)
    return [
        {"name": f"connection round trip, direct to the pod (median of {n})", "value": md * 1000, "unit": "ms"},
        {"name": f"connection round trip, through the Service's VIP (median of {n})", "value": mv * 1000, "unit": "ms"},
        {"name": "added by the proxy per connection (difference of medians)", "value": (mv - md) * 1000, "unit": "ms"},
        {"name": "p90 direct / through the VIP", "value": _p90(direct) * 1000, "unit": "ms",
         "baseline": _p90(via) * 1000},
    ]  # fmt: skip
