"""Fixtures for the fault tests: private minik servers, optionally on a private Docker engine.

Each server gets its own ``MINIK_HOME`` (its own store, token and
``minik.io/instance`` label) and is driven through the real CLI (the
:class:`Minik` helper of tests/integration/e2e). Teardown stops the server
and removes every Docker object carrying its instance label from the engine
it used; the test fails if anything is left. Trial counts and sizes come
from environment variables so ``tox -e faults`` can run them longer.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from minik.kubelet.docker_api import remove_labelled_sync
from tests.integration.e2e.conftest import Minik

KILL_TRIALS = int(os.environ.get("MINIK_FAULT_POD_KILL_TRIALS", "1"))
ENGINE_RESTARTS = int(os.environ.get("MINIK_FAULT_ENGINE_RESTARTS", "1"))
LOAD_JOBS = int(os.environ.get("MINIK_FAULT_LOAD_JOBS", "20"))
LOAD_PODS = int(os.environ.get("MINIK_FAULT_LOAD_PODS", "10"))


def wait_for(what: str, check: Any, timeout: float = 60, every: float = 0.1) -> Any:
    """Poll ``check()`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(every)


class Server:
    """One ``python -m minik.server run`` process for a state directory."""

    def __init__(self, minik: Minik) -> None:
        self.minik = minik
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 30) -> None:
        home = self.minik.home
        (home / "server.json").unlink(missing_ok=True)
        with open(home / "server.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "minik.server", "run"],
                env=self.minik.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        proc = self.proc
        wait_for(
            "the minik server to start",
            lambda: (home / "server.json").exists() or proc.poll() is not None,
            timeout=timeout,
            every=0.02,
        )
        if proc.poll() is not None:
            raise AssertionError(f"minik server exited {proc.returncode}:\n{self.minik.server_log()[-3000:]}")

    @property
    def pid(self) -> int:
        return int(json.loads((self.minik.home / "server.json").read_text())["pid"])

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def detach_sandboxes(client: docker.DockerClient, instance: str) -> None:
    """Disconnect every network owner (a sandbox, or a sandbox-less pod's container) from the
    instance's networks before removal.

    Docker 20.10 can keep the endpoint of a container removed while it is
    busy, and then refuses to remove the (empty) network; a disconnect while
    the container still exists removes the endpoint properly.
    """
    label = f"minik.io/instance={instance}"
    networks = client.api.networks(filters={"label": [label]})
    names = {n["Name"] for n in networks}
    for c in client.api.containers(all=True, filters={"label": [label]}):
        attached = set((c.get("NetworkSettings") or {}).get("Networks") or {})
        for n in networks:
            if n["Name"] not in attached & names:
                continue
            try:
                client.api.disconnect_container_from_network(c["Id"], n["Id"], force=True)
            except docker.errors.APIError:
                pass  # not attached


@contextmanager
def private_minik(
    home: Path, client: docker.DockerClient, *, env: dict[str, str] | None = None, start: bool = True
) -> Iterator[tuple[Minik, Server]]:
    """A minik instance in ``home`` (server started unless ``start=False``), cleaned up afterwards."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    full_env = dict(os.environ, MINIK_HOME=str(home), **(env or {}))
    full_env.setdefault("MINIK_TIME_SCALE", "0.1")
    minik = Minik(home=home, env=full_env)
    server = Server(minik)
    try:
        if start:
            server.start()
        yield minik, server
    finally:
        server.stop()
        minik.run("server", "stop", check=False, timeout=60)  # a server the CLI started itself
        instance_file = home / "instance"
        if instance_file.exists():
            instance = instance_file.read_text().strip()
            detach_sandboxes(client, instance)
            remove_labelled_sync(client, {"minik.io/instance": instance})
            left = client.api.containers(all=True, filters={"label": [f"minik.io/instance={instance}"]})
            assert not left, f"minik left containers behind: {[c['Names'] for c in left]}"


@pytest.fixture(scope="module")
def minik_server(
    docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Minik, Server]]:
    """A private minik server on the main engine, shared by a module's tests."""
    with private_minik(tmp_path_factory.mktemp("minik-home"), docker_client) as pair:
        yield pair


@pytest.fixture(scope="module")
def minik(minik_server: tuple[Minik, Server]) -> Minik:
    return minik_server[0]


def no_traceback(*texts: str) -> None:
    """A fault must read as sentences, never as a Python traceback."""
    for text in texts:
        assert "Traceback (most recent call last)" not in text, text[-3000:]
