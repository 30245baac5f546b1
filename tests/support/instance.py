"""One minik instance under test: its state directory, server process, CLI, API and Docker objects.

:class:`Minik` drives an instance only through minik's public interfaces:
the ``minik`` CLI (``run``, ``json``, ``apply``, ``logs``), the
Kubernetes-shaped HTTP API (``create``, ``get``, ``pod``, ``events``,
``delete``, the ``wait_*`` helpers) and the server process
(:class:`~tests.support.process.Server`: ``python -m minik.server run``, as the CLI starts it).
Docker is read, never written, to check what the kubelet made (by the
``minik.io/pod-uid`` label).

:func:`private_minik` makes one in a fresh state directory whose instance id
is in this run's scope (:mod:`tests.support.engine`) and removes everything
it made afterwards, failing if anything of it is left. Tests, fixtures and
benchmarks all use these two.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import yaml

from minik.cli.client import Client
from minik.errors import NotFound
from tests.support import engine
from tests.support.kube import container_status, pod_yaml, run_command, server_running
from tests.support.polling import WaitTimeout, eventually
from tests.support.process import Server, alive, minik_command

Obj = dict[str, Any]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures"

_KINDS = ("pod", "service", "configmap", "secret", "event", "job", "namespace")
PLURALS = {name: f"{kind}s" for kind in _KINDS for name in (kind, f"{kind}s")}


def new_home(path: Path) -> Path:
    """A state directory at ``path`` whose instance id is in this run's scope."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path / "instance", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(engine.instance_id() + "\n")
    return path


def new_instance(made: list[Minik], base: Path, **env: str) -> Minik:
    """An instance in a fresh home under ``base`` whose server the first CLI command starts, as a user's does.

    It is appended to ``made`` (the ``instances`` fixture), which removes what it leaves.
    """
    home = new_home(base / f"home-{len(made)}")
    inst = Minik(home=home, env={"MINIK_TIME_SCALE": "0.1", **os.environ, "MINIK_HOME": str(home), **env})
    made.append(inst)
    return inst


@dataclass
class Minik:
    """One minik instance: CLI, API client, server process and Docker read-outs."""

    home: Path
    env: dict[str, str]
    docker: docker.DockerClient | None = None
    server: Server = field(init=False, repr=False)
    _client: Client | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.server = Server(self)

    # -- the CLI ---------------------------------------------------------------
    def run(
        self,
        *args: str,
        check: bool = True,
        timeout: float = 300,
        input: str | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """``minik <args>``; fails the test with stdout/stderr when it exits non-zero and ``check``."""
        return run_command(
            [*minik_command(), *args], env=self.env, input=input, check=check, timeout=timeout, cwd=cwd
        )

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)

    def apply(self, yaml_text: str) -> list[Obj]:
        """``minik apply -f -``; returns the stored objects (read back through the API)."""
        self.run("apply", "-f", "-", input=yaml_text)
        out = []
        for doc in yaml.safe_load_all(yaml_text):
            if doc:
                out.append(self.get(doc["kind"], doc["metadata"]["name"], doc["metadata"].get("namespace")))
        return out

    def apply_pod(self, name: str, spec_body: str, **metadata: str) -> Obj:
        """Apply a bare Pod (:func:`~tests.support.kube.pod_yaml`); returns it as stored."""
        return self.apply(pod_yaml(name, spec_body, **metadata))[0]

    def logs(
        self, pod: str, container: str | None = None, *, previous: bool = False, ns: str = "default"
    ) -> str:
        args = ["logs", pod, "-n", ns]
        if container:
            args += ["-c", container]
        if previous:
            args.append("--previous")
        return self.run(*args).stdout

    # -- the HTTP API ----------------------------------------------------------
    @property
    def api(self) -> Client:
        """A client of this instance's API (re-made after a server restart)."""
        if self._client is None:
            info = json.loads((self.home / "server.json").read_text())
            cert = self.home / "tls.crt"
            self._client = Client(
                str(info["url"]),
                (self.home / "token").read_text().strip(),
                cafile=str(cert) if str(info["url"]).startswith("https") and cert.exists() else None,
            )
        return self._client

    @staticmethod
    def path(kind: str, namespace: str | None, name: str | None = None) -> str:
        """The REST path of ``kind`` (``Pod``, ``pod`` or ``pods``) in ``namespace``."""
        plural = PLURALS[kind.lower()]
        group = "/apis/batch/v1" if plural == "jobs" else "/api/v1"
        base = f"{group}/namespaces/{namespace or 'default'}/{plural}"
        return f"{base}/{name}" if name else base

    def create(self, obj: Obj) -> Obj:
        """POST one object through the API; returns it as stored."""
        ns = (obj.get("metadata") or {}).get("namespace")
        body: Obj = self.api.request("POST", self.path(obj["kind"], ns), body=obj).body
        return body

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj:
        body: Obj = self.api.get(self.path(kind, namespace, name))
        return body

    def pod(self, name: str, namespace: str | None = None) -> Obj:
        return self.get("pod", name, namespace)

    def pod_or_none(self, name: str, namespace: str | None = None) -> Obj | None:
        try:
            return self.pod(name, namespace)
        except NotFound:
            return None

    def events(self, name: str, namespace: str | None = None) -> list[Obj]:
        """Events whose involvedObject is ``name``, oldest first."""
        items: list[Obj] = self.api.get(self.path("event", namespace))["items"]
        return [e for e in items if (e.get("involvedObject") or {}).get("name") == name]

    def delete(
        self,
        kind: str,
        name: str,
        *,
        wait: bool = True,
        timeout: float = 60,
        namespace: str | None = None,
        grace_seconds: int | None = None,
    ) -> None:
        """DELETE through the API (``gracePeriodSeconds`` when given); with ``wait`` until the object is gone."""
        query = {"gracePeriodSeconds": grace_seconds} if grace_seconds is not None else None
        try:
            self.api.request("DELETE", self.path(kind, namespace, name), query=query)
        except NotFound:
            return
        if wait:

            def gone() -> bool:
                try:
                    self.get(kind, name, namespace)
                except NotFound:
                    return True
                return False

            eventually(f"{kind} {name} to be deleted", gone, timeout)

    # -- waiting ----------------------------------------------------------------
    def wait_pod(
        self,
        name: str,
        what: str,
        predicate: Callable[[Obj], bool],
        timeout: float = 60,
        namespace: str | None = None,
    ) -> Obj:
        """Poll the pod until ``predicate(pod)`` holds; returns that pod."""

        def probe() -> Obj | None:
            pod = self.pod_or_none(name, namespace)
            return pod if pod is not None and predicate(pod) else None

        def status() -> str:
            pod = self.pod_or_none(name, namespace)
            return f"status: {json.dumps((pod or {}).get('status'), indent=1)}"

        result = eventually(f"pod {name}: {what}", probe, timeout, context=status)
        assert result is not None
        return result

    def wait_pod_phase(
        self, name: str, phases: str | Iterable[str], timeout: float = 60, namespace: str | None = None
    ) -> Obj:
        wanted = {phases} if isinstance(phases, str) else set(phases)
        return self.wait_pod(
            name,
            f"phase in {sorted(wanted)}",
            lambda p: (p.get("status") or {}).get("phase") in wanted,
            timeout,
            namespace,
        )

    def wait_container(
        self, pod: str, container: str, state: str, timeout: float = 60, namespace: str | None = None
    ) -> Obj:
        """Wait until ``container``'s state has key ``state`` (running/terminated/waiting)."""
        return self.wait_pod(
            pod,
            f"container {container} {state}",
            lambda p: state in (container_status(p, container) or {}).get("state", {}),
            timeout,
            namespace,
        )

    def eventually(self, what: str, probe: Callable[[], Any], timeout: float = 60, every: float = 0.1) -> Any:
        """:func:`eventually`, with the tail of this instance's server log in the failure."""
        return eventually(what, probe, timeout, every=every, context=lambda: self.server_log()[-3000:])

    # -- Docker read-outs -------------------------------------------------------
    @property
    def instance(self) -> str:
        return (self.home / "instance").read_text().strip()

    @property
    def engine(self) -> docker.DockerClient:
        if self.docker is None:
            self.docker = docker.from_env(timeout=120)
        return self.docker

    def pod_containers(self, uid: str) -> list[Obj]:
        """``docker inspect`` of every container (sandbox included) labelled with the pod uid."""
        api = self.engine.api
        found = api.containers(all=True, filters={"label": [f"minik.io/pod-uid={uid}"]})
        out = []
        for c in found:
            try:
                out.append(api.inspect_container(c["Id"]))
            except docker.errors.NotFound:  # removed between the list and the inspect
                continue
        return out

    def container_of(self, uid: str, container: str) -> Obj:
        """The newest Docker container of one pod container (``POD`` = the sandbox)."""
        mine = [
            c
            for c in self.pod_containers(uid)
            if c["Config"]["Labels"].get("minik.io/container") == container
        ]
        assert mine, f"no Docker container for {container} of pod {uid}"
        return max(mine, key=lambda c: int(c["Config"]["Labels"].get("minik.io/attempt", "0")))

    def pod_volumes(self, uid: str) -> list[Obj]:
        vols = self.engine.api.volumes(filters={"label": [f"minik.io/pod-uid={uid}"]}) or {}
        return list(vols.get("Volumes") or [])

    def exec(self, uid: str, container: str, *cmd: str) -> tuple[int, str]:
        """Run ``cmd`` in a running pod container (a read-out, like ``kubectl exec``)."""
        api = self.engine.api
        cid = self.container_of(uid, container)["Id"]
        res = api.exec_create(cid, list(cmd))
        out = api.exec_start(res["Id"]).decode(errors="replace")
        code = api.exec_inspect(res["Id"])["ExitCode"]
        return int(code), out

    # -- the server process -------------------------------------------------------
    def server_log(self) -> str:
        try:
            return (self.home / "server.log").read_text()
        except FileNotFoundError:
            return ""

    def server_pid(self) -> int:
        return int(json.loads((self.home / "server.json").read_text())["pid"])

    def kill_server(self, *, unlink_state: bool = True) -> None:
        """SIGKILL the control plane (as a crash would) and wait until it is gone.

        With ``unlink_state`` its ``server.json`` is removed too; without, it
        stays as a crash leaves it, for the next CLI command to find stale.
        """
        pid = self.server_pid()
        os.kill(pid, signal.SIGKILL)
        proc = self.server.proc
        if proc is not None and proc.pid == pid:
            proc.wait(10)
        else:
            eventually("the server to die", lambda: not alive(pid), 10, every=0.02)
        if unlink_state:
            (self.home / "server.json").unlink(missing_ok=True)
        self.forget_client()

    def start_server(self) -> None:
        """Start a control plane on this home the way a user does (``minik server start``)."""
        self.forget_client()
        self.run("server", "start")

    def forget_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


Cluster = Minik  # the name the kubelet tests know it by


def _delete_every_pod(minik: Minik) -> None:
    """Delete (API) every pod still stored, then wait until the store has none."""
    for pod in minik.api.get("/api/v1/pods")["items"]:
        m = pod["metadata"]
        minik.delete("pod", m["name"], namespace=m.get("namespace"), wait=False)
    eventually("every pod to be deleted", lambda: not minik.api.get("/api/v1/pods")["items"], 60)


def _pods_outlived(minik: Minik, client: docker.DockerClient) -> dict[str, list[str]]:
    """Delete every pod; what Docker still holds of them after 30 s ({} when clean)."""
    label = f"minik.io/instance={minik.instance}"

    def pod_objects() -> dict[str, list[str]]:
        left = engine.labelled(client, label)
        left.pop("networks")  # the instance's, it goes with the server
        proxies = set(engine.labelled(client, "minik.io/role=service-proxy")["containers"])
        left["containers"] = [c for c in left["containers"] if c not in proxies]  # Services', not pods'
        return {k: v for k, v in left.items() if v}

    try:
        _delete_every_pod(minik)
        try:
            eventually("no container or volume of a deleted pod", lambda: not pod_objects(), 30, every=0.2)
        except WaitTimeout:
            return pod_objects()
    except (WaitTimeout, OSError, AssertionError) as exc:
        return {"error": [str(exc)[:2000]], **engine.labelled(client, label)}
    return {}


@contextmanager
def private_minik(
    home: Path,
    client: docker.DockerClient,
    *,
    env: dict[str, str] | None = None,
    start: bool = True,
    pods_clean_up: bool = False,
    scaled: bool = True,
) -> Iterator[Minik]:
    """A minik instance in ``home`` (its server started unless ``start=False``), cleaned up afterwards.

    Afterwards the server is stopped (and one the CLI started), every Docker
    object labelled with the instance is removed, and the test fails if any
    remains. With ``pods_clean_up`` every pod is first deleted through the
    API and Docker must then hold no container or volume of the instance:
    deleting a pod removes all of its objects. ``scaled`` runs the server's
    delays at ``MINIK_TIME_SCALE`` (0.1 unless the environment sets it);
    without it, at upstream's timing (benchmarks).
    """
    new_home(home)
    full_env = dict(os.environ, MINIK_HOME=str(home), **(env or {}))
    if scaled:
        full_env.setdefault("MINIK_TIME_SCALE", "0.1")
    minik = Minik(home=home, env=full_env, docker=client)
    try:
        if start:
            minik.server.start()
        yield minik
    finally:
        outlived = _pods_outlived(minik, client) if pods_clean_up and server_running(home) else {}
        minik.server.stop()
        minik.run("server", "stop", check=False, timeout=60)  # a server the CLI started itself
        minik.forget_client()
        if (home / "instance").exists():
            left = engine.remove_instance(client, minik.instance)
            assert not any(left.values()), f"minik left Docker objects behind even after cleanup: {left}"
        assert not outlived, f"deleting the pods did not remove their Docker objects: {outlived}"
