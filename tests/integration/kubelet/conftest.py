"""Fixtures for the pod-runtime (kubelet) integration tests.

Each test module gets a private minik control plane (its own ``MINIK_HOME``,
so its own store, token and ``minik.io/instance`` Docker label), driven only
through minik's public interfaces: the ``minik`` CLI (``apply``, ``get -o
json``, ``logs``, ``delete``) and the Kubernetes-shaped HTTP API. Docker is
read (never written) to check what the kubelet made, by the
``minik.io/pod-uid`` label.

After the module the server is stopped and every Docker object carrying the
instance label is removed; the module fails if any container, volume or
network of the instance was left behind *before* that sweep would have been
needed — i.e. deleting every pod must have removed its containers and
volumes (the network is the instance's and goes with the server).

Fixtures here are shared with other test modules; keep their names and
signatures stable:

- ``minik`` (module): a :class:`Cluster` — ``apply(yaml_text)`` (CLI),
  ``create(obj)`` / ``get(kind, name)`` / ``pod(name)`` / ``events(name)`` /
  ``delete(kind, name, grace_seconds=…)`` (API), ``wait_pod(name, what,
  predicate, timeout)``, ``wait_pod_phase(name, phases, timeout)``,
  ``wait_container(pod, container, state)``, ``logs(pod, container,
  previous=…)`` (CLI), ``pod_containers(uid)`` / ``container_of(uid, name)`` /
  ``pod_volumes(uid)`` (Docker inspect by ``minik.io/pod-uid``),
  ``kill_server()`` (SIGKILL) and ``start_server()``.
- Module helpers: ``pod_yaml(name, spec_body, **metadata)``,
  ``container_status(pod, name)``, ``condition(pod, type)``,
  ``poll(what, probe, timeout)``.
- ``docker_client`` (session, from ``tests/integration/conftest.py``).
- ``pod_name`` (function): a fresh DNS-safe pod name per test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest
import yaml

from minik.cli.client import Client
from minik.errors import NotFound
from minik.kubelet.docker_api import remove_labelled_sync

Obj = dict[str, Any]

TERMINAL = ("Succeeded", "Failed")

_KINDS = ("pod", "service", "configmap", "secret", "event", "job", "namespace")
PLURALS = {name: f"{kind}s" for kind in _KINDS for name in (kind, f"{kind}s")}


def minik_command() -> list[str]:
    exe = shutil.which("minik", path=str(Path(sys.executable).parent)) or shutil.which("minik")
    return [exe] if exe else [sys.executable, "-m", "minik"]


class WaitTimeout(AssertionError):
    """A condition polled for did not hold before its deadline."""


def poll(what: str, probe: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """Call ``probe`` until it returns something truthy; that value is returned.

    Raises :class:`WaitTimeout` naming ``what`` and the last value seen, so a
    failing test says what it was waiting for instead of just timing out.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise WaitTimeout(f"timed out after {timeout}s waiting for {what}; last seen: {last!r}")
        time.sleep(interval)


@dataclass
class Cluster:
    """One private minik instance: CLI, API client, and Docker read-outs."""

    home: Path
    env: dict[str, str]
    docker: docker.DockerClient
    server: subprocess.Popen[bytes] | None = None
    _client: Client | None = field(default=None, repr=False)

    # -- the CLI ---------------------------------------------------------------
    def run(
        self, *args: str, check: bool = True, timeout: float = 120, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``minik <args>``; fails the test with stdout/stderr when it exits non-zero and ``check``."""
        res = subprocess.run(
            [*minik_command(), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            check=False,
        )
        if check and res.returncode != 0:
            raise AssertionError(
                f"minik {' '.join(args)} exited {res.returncode}\n"
                f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}"
            )
        return res

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
        """POST one object (a dict or YAML text) through the API; returns it as stored."""
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

        try:
            result: Obj = poll(f"pod {name}: {what}", probe, timeout)
        except WaitTimeout as exc:
            pod = self.pod_or_none(name, namespace)
            raise WaitTimeout(f"{exc}\nstatus: {json.dumps((pod or {}).get('status'), indent=1)}") from None
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

            poll(f"{kind} {name} to be deleted", gone, timeout)

    # -- Docker read-outs -------------------------------------------------------
    @property
    def instance(self) -> str:
        return (self.home / "instance").read_text().strip()

    def pod_containers(self, uid: str) -> list[Obj]:
        """``docker inspect`` of every container (sandbox included) labelled with the pod uid."""
        api = self.docker.api
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
        vols = self.docker.api.volumes(filters={"label": [f"minik.io/pod-uid={uid}"]}) or {}
        return list(vols.get("Volumes") or [])

    def exec(self, uid: str, container: str, *cmd: str) -> tuple[int, str]:
        """Run ``cmd`` in a running pod container (a read-out, like ``kubectl exec``)."""
        cid = self.container_of(uid, container)["Id"]
        res = self.docker.api.exec_create(cid, list(cmd))
        out = self.docker.api.exec_start(res["Id"]).decode(errors="replace")
        code = self.docker.api.exec_inspect(res["Id"])["ExitCode"]
        return int(code), out

    # -- the server process -------------------------------------------------------
    def server_log(self) -> str:
        try:
            return (self.home / "server.log").read_text()
        except FileNotFoundError:
            return ""

    def server_pid(self) -> int:
        return int(json.loads((self.home / "server.json").read_text())["pid"])

    def kill_server(self) -> None:
        """SIGKILL the control plane (as a crash would) and wait until it is gone."""
        pid = self.server_pid()
        os.kill(pid, signal.SIGKILL)
        if self.server is not None and self.server.pid == pid:
            self.server.wait(10)
        else:
            poll("server to die", lambda: not _alive(pid), 10, 0.02)
        (self.home / "server.json").unlink(missing_ok=True)
        self._forget_client()

    def start_server(self) -> None:
        """Start a control plane on this home (after :meth:`kill_server`)."""
        self._forget_client()
        self.run("server", "start")

    def _forget_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def container_status(pod: Obj, name: str) -> Obj | None:
    """The (init or app) container status called ``name`` in ``pod``'s status."""
    status = pod.get("status") or {}
    for s in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        if s.get("name") == name:
            return dict(s)
    return None


def condition(pod: Obj, type_: str) -> Obj | None:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return dict(c)
    return None


def pod_yaml(name: str, body: str, **meta: str) -> str:
    """A bare Pod manifest: ``body`` is the indented text under ``spec:``."""
    extra = "".join(f"  {k}: {v}\n" for k, v in meta.items())
    return f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n{extra}spec:\n{body}"


def _start_server(home: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = open(home / "server.log", "ab")  # noqa: SIM115 - the child keeps it
    server = subprocess.Popen(
        [sys.executable, "-m", "minik.server", "run"], env=env, stdout=log, stderr=log, start_new_session=True
    )
    log.close()
    deadline = time.monotonic() + 20
    while not (home / "server.json").exists():
        if server.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"minik server did not start:\n{(home / 'server.log').read_text()}")
        time.sleep(0.02)
    return server


def _stop(cluster: Cluster) -> None:
    server = cluster.server
    if server is not None and server.poll() is None:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    cluster.run("server", "stop", check=False)  # one the CLI started after a kill
    cluster._forget_client()


def _leftovers(client: docker.DockerClient, label: str) -> dict[str, list[str]]:
    api = client.api
    filters = {"label": [label]}
    return {
        "containers": [c["Names"][0] for c in api.containers(all=True, filters=filters)],
        "volumes": [v["Name"] for v in (api.volumes(filters=filters) or {}).get("Volumes") or []],
        "networks": [n["Name"] for n in api.networks(filters=filters)],
    }


def _delete_every_pod(cluster: Cluster) -> None:
    """Delete (API) every pod still stored, then wait until the store has none."""
    items = cluster.api.get("/api/v1/pods")["items"]
    for pod in items:
        m = pod["metadata"]
        cluster.delete("pod", m["name"], namespace=m.get("namespace"), wait=False)
    poll("every pod to be deleted", lambda: not cluster.api.get("/api/v1/pods")["items"], 60)


def _wait_no_pod_objects(client: docker.DockerClient, label: str, timeout: float) -> dict[str, list[str]]:
    """Wait until no container or volume carries ``label``; returns what is left ({} when clean)."""
    deadline = time.monotonic() + timeout
    while True:
        left = _leftovers(client, label)
        left.pop("networks")
        if not any(left.values()) or time.monotonic() > deadline:
            return {k: v for k, v in left.items() if v}
        time.sleep(0.2)


@pytest.fixture(scope="module")
def minik(docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A private minik control plane for the module; everything it made is gone afterwards.

    Teardown deletes every pod through the API and then requires Docker to
    hold no container or volume of the instance any more (deleting a pod
    removes all of its Docker objects); after the server stops, the
    instance's network is removed too and nothing labelled with the instance
    may remain. Anything left is swept, then reported as a failure.
    """
    home = tmp_path_factory.mktemp("minik-home")
    env = dict(os.environ, MINIK_HOME=str(home))
    env.setdefault("MINIK_TIME_SCALE", "0.1")
    cluster = Cluster(home=home, env=env, docker=docker_client)
    cluster.server = _start_server(home, env)
    try:
        yield cluster
    finally:
        instance = cluster.instance if (home / "instance").exists() else None
        label = f"minik.io/instance={instance}"
        outlived: dict[str, list[str]] = {}
        try:
            _delete_every_pod(cluster)
            outlived = _wait_no_pod_objects(docker_client, label, 30)
        except (WaitTimeout, OSError, AssertionError) as exc:
            outlived = {"error": [str(exc)[:2000]], **_leftovers(docker_client, label)}
        _stop(cluster)
        if instance:
            remove_labelled_sync(docker_client, {"minik.io/instance": instance})
            after = _leftovers(docker_client, label)
            assert not any(after.values()), f"minik left Docker objects behind even after cleanup: {after}"
        assert not outlived, f"deleting the pods did not remove their Docker objects: {outlived}"


@pytest.fixture
def pod_name(request: pytest.FixtureRequest) -> str:
    """A fresh pod name per test (tests of one module share a server)."""
    stem = request.node.name.removeprefix("test_").replace("_", "-")[:40].strip("-")
    return f"{stem}-{uuid.uuid4().hex[:5]}"
