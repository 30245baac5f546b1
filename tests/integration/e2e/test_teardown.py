"""Nothing is left behind, and nothing from the caller's directory runs (issue 15).

Each test makes its own instances through the real CLI, so they start the
server the way a user's first command does (``minik`` spawns it).
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import docker

from tests.support import Minik, engine, eventually, new_instance

JOB = """apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
spec:
  completions: {completions}
  parallelism: {parallelism}
  completionMode: Indexed
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 2
      volumes:
      - name: scratch
        emptyDir: {{}}
      containers:
      - name: c
        image: busybox:latest
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "sleep {sleep}"]
        volumeMounts:
        - name: scratch
          mountPath: /scratch
"""


def labelled(client: docker.DockerClient, instance: str) -> dict[str, list[str]]:
    return engine.labelled(client, f"minik.io/instance={instance}")


def kill_server(inst: Minik) -> None:
    """SIGKILL the server as a crash would: its ``server.json`` stays."""
    inst.kill_server(unlink_state=False)


def test_the_server_never_imports_modules_from_the_callers_directory(
    instances: list[Minik], tmp_path: Path
) -> None:
    here = tmp_path / "project"
    here.mkdir()
    marker = tmp_path / "imported"
    for mod in ("yaml", "docker", "anyio", "uvicorn"):
        (here / f"{mod}.py").write_text(f"open({str(marker)!r}, 'a').write({mod!r})\nraise SystemExit(3)\n")
    inst = new_instance(instances, tmp_path)
    inst.run(
        "apply", "-f", "-", cwd=here, input=JOB.format(name="safe", completions=1, parallelism=1, sleep=0)
    )
    inst.run("wait", "--for=condition=complete", "job/safe", "--timeout=60s", cwd=here)
    assert not marker.exists(), f"the server imported {marker.read_text()} from the caller's directory"
    inst.run("server", "delete", cwd=here)


def test_sigkills_mid_job_then_delete_and_stop_leave_no_container(
    instances: list[Minik], tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    inst = new_instance(instances, tmp_path)
    inst.run("apply", "-f", "-", input=JOB.format(name="killed", completions=20, parallelism=5, sleep=3))
    for _ in range(3):
        time.sleep(1.0)
        kill_server(inst)
        inst.run("get", "pods")  # the CLI starts the server again
    inst.run("delete", "job/killed")
    res = inst.run("server", "stop", timeout=120)
    assert "minik server stopped" in res.stdout
    left = labelled(docker_client, inst.instance)
    assert left["containers"] == [] and left["volumes"] == [], left
    assert left["networks"] == [], "an instance with no pod left keeps no network after stop"
    inst.run("server", "delete")
    assert labelled(docker_client, inst.instance if inst.home.exists() else "none") == {
        "containers": [],
        "volumes": [],
        "networks": [],
    }


def test_a_pod_whose_network_cannot_be_made_waits_pending_then_runs(
    instances: list[Minik], tmp_path: Path, docker_client: docker.DockerClient, test_labels: dict[str, str]
) -> None:
    blocker = docker_client.api.create_network(
        f"minik-blocker-{uuid.uuid4().hex[:8]}",
        driver="bridge",
        labels=test_labels,
        ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="10.251.77.0/24")]),
    )
    inst = new_instance(instances, tmp_path, MINIK_SUBNET_POOL="10.251.77.0/24", MINIK_SUBNET_PREFIX="24")
    try:
        inst.run("apply", "-f", "-", input=JOB.format(name="netless", completions=1, parallelism=1, sleep=0))
        deadline = time.monotonic() + 30
        reasons: set[str] = set()
        while time.monotonic() < deadline and "FailedCreatePodSandBox" not in reasons:
            reasons = {e["reason"] for e in inst.json("get", "events")["items"]}
            time.sleep(0.3)
        assert "FailedCreatePodSandBox" in reasons
        pods = inst.json("get", "pods")["items"]
        assert [p["status"]["phase"] for p in pods] == ["Pending"]
        waiting = pods[0]["status"]["containerStatuses"][0]["state"]["waiting"]
        assert waiting["reason"] == "ContainerCreating"
        job = inst.json("get", "job", "netless")
        assert not job["status"].get("failed")
    finally:
        docker_client.api.remove_network(blocker["Id"])
    inst.run("wait", "--for=condition=complete", "job/netless", "--timeout=90s")
    assert inst.json("get", "job", "netless")["status"].get("failed", 0) == 0
    inst.run("server", "delete")


class EngineProxy:
    """A unix socket in front of the engine's that the test can cut: the engine seems down to minik."""

    def __init__(self, path: Path, target: str = "/var/run/docker.sock") -> None:
        self.path, self.target = path, target
        self.up = True
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen(64)
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.up = False
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self._stop = True
        self.cut()
        self._server.close()


def test_a_pod_whose_cleanup_failed_while_the_engine_was_down_is_cleaned_on_the_next_start(
    instances: list[Minik], tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    proxy = EngineProxy(tmp_path / "engine.sock")
    try:
        inst = new_instance(instances, tmp_path, DOCKER_HOST=f"unix://{proxy.path}")
        inst.run("apply", "-f", "-", input=JOB.format(name="orphaned", completions=2, parallelism=2, sleep=0))
        inst.run("wait", "--for=condition=complete", "job/orphaned", "--timeout=60s")
        assert labelled(docker_client, inst.instance)["containers"]
        proxy.cut()  # the engine is "down": the pods leave the store, their containers stay
        inst.run("delete", "job/orphaned")
        deadline = time.monotonic() + 30
        while inst.json("get", "pods")["items"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert inst.json("get", "pods")["items"] == []
        time.sleep(1.0)
        assert labelled(docker_client, inst.instance)["containers"], "nothing could have removed them"
        kill_server(inst)
        proxy.up = True
        inst.run("server", "start")
        assert labelled(docker_client, inst.instance)["containers"] == []
        assert not list((inst.home / "pods").glob("*"))
    finally:
        proxy.close()


def test_server_delete_removes_every_object_and_the_state_directory(
    instances: list[Minik], tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    inst = new_instance(instances, tmp_path)
    inst.run("apply", "-f", "-", input=JOB.format(name="kept", completions=2, parallelism=2, sleep=30))
    instance = inst.instance
    mains = {"label": [f"minik.io/instance={instance}", "minik.io/container=c"], "status": "running"}
    eventually(
        "both pods' containers running", lambda: len(docker_client.api.containers(filters=mains)) == 2, 30
    )
    out = inst.run("server", "delete").stdout
    assert (
        "stopped the minik server" in out and "removed container" in out and "removed state directory" in out
    )
    assert labelled(docker_client, instance) == {"containers": [], "volumes": [], "networks": []}
    assert not inst.home.exists()


def test_server_delete_all_removes_an_instance_whose_state_directory_was_deleted_by_hand(
    instances: list[Minik], tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    lost = new_instance(instances, tmp_path)
    lost.run("apply", "-f", "-", input=JOB.format(name="lost", completions=1, parallelism=1, sleep=0))
    lost.run("wait", "--for=condition=complete", "job/lost", "--timeout=60s")
    instance = lost.instance
    kill_server(lost)
    subprocess.run(["rm", "-rf", str(lost.home)], check=True)
    assert labelled(docker_client, instance)["containers"]
    # Scoped to this test's directory: another run sharing the engine keeps its instances.
    other = new_instance(instances, tmp_path, MINIK_DELETE_ALL_UNDER=str(tmp_path))
    out = other.run("server", "delete", "--all").stdout
    assert f"removed network minik-{instance}" in out
    assert labelled(docker_client, instance) == {"containers": [], "volumes": [], "networks": []}
