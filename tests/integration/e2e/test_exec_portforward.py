"""kubectl exec, exec -i, cp, port-forward, and the Python client's exec and port-forward, against real Docker.

One busybox pod serves ``/srv`` with ``httpd`` on port 8080 for the whole module; the
port-forward requests go to 127.0.0.1 (kubectl) or through the WebSocket (the
Python client), which the server relays to the pod's IP on the instance network.
"""

from __future__ import annotations

import functools
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Minik
from tests.support import kubectl as support_kubectl
from tests.support.host import free_port
from tests.support.kube import busybox_spec, pod_yaml

kubernetes = pytest.importorskip("kubernetes", reason="the official client is in the test extras")
from kubernetes import client, config  # noqa: E402
from kubernetes.stream import portforward, stream  # noqa: E402

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox:latest
    command: [sh, -c, "mkdir -p /srv && echo 'hello from the pod' > /srv/hello.txt && exec httpd -f -p 8080 -h /srv"]
"""


# Callers read the exit status themselves.
kubectl = functools.partial(support_kubectl, check=False, timeout=60)


@pytest.fixture(scope="module")
def web(minik: Minik) -> Iterator[str]:
    res = kubectl(minik, "apply", "-f", "-", input=POD)
    assert res.returncode == 0, res.stderr
    res = kubectl(minik, "wait", "--for=condition=Ready", "pod/web", "--timeout=60s")
    assert res.returncode == 0, res.stderr + minik.server_log()
    yield "web"
    kubectl(minik, "delete", "pod", "web", "--wait=false")


@pytest.fixture(scope="module")
def core(minik: Minik) -> Iterator[client.CoreV1Api]:
    with config.new_client_from_config(config_file=minik.run("kubeconfig").stdout.strip()) as api:
        yield client.CoreV1Api(api)


def test_kubectl_exec_prints_a_files_content(minik: Minik, web: str) -> None:
    res = kubectl(minik, "exec", web, "--", "cat", "/srv/hello.txt")
    assert (res.returncode, res.stdout) == (0, "hello from the pod\n"), res.stderr


def test_kubectl_exec_exits_with_the_commands_exit_code(minik: Minik, web: str) -> None:
    res = kubectl(minik, "exec", web, "--", "sh", "-c", "echo to-stderr >&2; exit 3")
    assert res.returncode == 3
    assert "to-stderr" in res.stderr and "command terminated with exit code 3" in res.stderr


def test_kubectl_exec_i_passes_stdin_and_ends_it(minik: Minik, web: str) -> None:
    res = kubectl(minik, "exec", "-i", web, "--", "sh", "-c", "tr a-z A-Z; echo end", input="piped in\n")
    assert (res.returncode, res.stdout) == (0, "PIPED IN\nend\n"), res.stderr


def test_kubectl_exec_refuses_an_unknown_container_and_a_missing_pod(minik: Minik, web: str) -> None:
    res = kubectl(minik, "exec", web, "-c", "nope", "--", "true")
    assert res.returncode == 1
    assert res.stderr.strip() == "Error from server (BadRequest): container nope is not valid for pod web"
    res = kubectl(minik, "exec", "ghost", "--", "true")
    assert (
        res.returncode == 1 and res.stderr.strip() == 'Error from server (NotFound): pods "ghost" not found'
    )


def test_kubectl_cp_copies_a_file_out_of_and_into_the_pod(minik: Minik, web: str, tmp_path: Path) -> None:
    res = kubectl(minik, "cp", f"{web}:/srv/hello.txt", str(tmp_path / "out.txt"))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out.txt").read_text() == "hello from the pod\n"
    (tmp_path / "in.txt").write_text("from the host\n")
    res = kubectl(minik, "cp", str(tmp_path / "in.txt"), f"{web}:/srv/in.txt")
    assert res.returncode == 0, res.stderr
    assert kubectl(minik, "exec", web, "--", "cat", "/srv/in.txt").stdout == "from the host\n"


def test_the_python_clients_exec_returns_output_and_the_exit_code(core: client.CoreV1Api, web: str) -> None:
    out = stream(
        core.connect_get_namespaced_pod_exec, web, "default",
        command=["cat", "/srv/hello.txt"], stderr=True, stdin=False, stdout=True, tty=False,
    )  # fmt: skip
    assert out == "hello from the pod\n"
    resp = stream(
        core.connect_get_namespaced_pod_exec, web, "default",
        command=["sh", "-c", "read line; echo got $line; exit 4"],
        stderr=True, stdin=True, stdout=True, tty=False, _preload_content=False,
    )  # fmt: skip
    resp.write_stdin("abc\n")
    resp.run_forever(timeout=30)
    assert resp.read_stdout() == "got abc\n"
    assert resp.returncode == 4


def test_the_python_clients_port_forward_reaches_httpd_in_the_pod(core: client.CoreV1Api, web: str) -> None:
    pf = portforward(core.connect_get_namespaced_pod_portforward, web, "default", ports="8080")
    sock = pf.socket(8080)
    sock.settimeout(30)
    sock.sendall(b"GET /hello.txt HTTP/1.0\r\nHost: web\r\n\r\n")
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    assert data.startswith(b"HTTP/1.") and b" 200 " in data.split(b"\r\n", 1)[0]
    assert data.endswith(b"hello from the pod\n")
    assert pf.error(8080) is None


def test_kubectl_port_forward_serves_http_from_the_pod_on_127_0_0_1(minik: Minik, web: str) -> None:
    kubeconfig = minik.run("kubeconfig").stdout.strip()
    local = free_port()
    proc = subprocess.Popen(
        [
            "kubectl",
            "--kubeconfig",
            kubeconfig,
            "port-forward",
            f"pod/{web}",
            f"{local}:8080",
            "--address=127.0.0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith(f"Forwarding from 127.0.0.1:{local} -> 8080"), line
        for _ in range(2):  # two connections over the one forwarding session
            with urllib.request.urlopen(f"http://127.0.0.1:{local}/hello.txt", timeout=30) as resp:
                assert (resp.status, resp.read()) == (200, b"hello from the pod\n")
        time.sleep(0.2)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.terminate()
        proc.wait(10)


# A pod whose only process prints three ticks, after a pause long enough to attach in.
TICKER = pod_yaml(
    "ticker",
    busybox_spec('[sh, -c, "sleep 2; for i in 1 2 3; do echo tick $i; sleep 0.3; done"]', grace=None),
)


def test_kubectl_attach_streams_the_main_process_output_until_it_exits(minik: Minik) -> None:
    assert kubectl(minik, "apply", "-f", "-", input=TICKER).returncode == 0
    try:
        res = kubectl(minik, "wait", "--for=condition=Ready", "pod/ticker", "--timeout=60s")
        assert res.returncode == 0, res.stderr
        res = kubectl(minik, "attach", "ticker")
        assert res.returncode == 0, res.stderr
        assert res.stdout.endswith("tick 3\n"), res.stdout
    finally:
        kubectl(minik, "delete", "pod", "ticker", "--wait=false")
