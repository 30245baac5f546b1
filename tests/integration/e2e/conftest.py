"""A private minik instance per test module, driven through the real CLI.

Each module gets its own ``MINIK_HOME`` (so its own server, store, token and
``minik.io/instance`` Docker label). Afterwards the server is stopped and
every Docker object carrying that instance label is removed; the test fails
if anything is left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from minik.kubelet.docker_api import remove_labelled_sync

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"


def minik_command() -> list[str]:
    exe = shutil.which("minik", path=str(Path(sys.executable).parent)) or shutil.which("minik")
    return [exe] if exe else [sys.executable, "-m", "minik"]


@dataclass
class Minik:
    home: Path
    env: dict[str, str]

    def run(
        self, *args: str, check: bool = True, timeout: float = 300, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
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
                f"minik {' '.join(args)} exited {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"
            )
        return res

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)

    @property
    def instance(self) -> str:
        return (self.home / "instance").read_text().strip()

    def server_log(self) -> str:
        try:
            return (self.home / "server.log").read_text()
        except FileNotFoundError:
            return ""


@pytest.fixture(scope="module")
def real_time() -> Iterator[None]:
    """Request before ``minik``: the module's server runs with ``MINIK_TIME_SCALE=1`` (upstream's timing)."""
    old = os.environ.get("MINIK_TIME_SCALE")
    os.environ["MINIK_TIME_SCALE"] = "1"
    yield
    if old is None:
        del os.environ["MINIK_TIME_SCALE"]
    else:
        os.environ["MINIK_TIME_SCALE"] = old


@pytest.fixture(scope="module")
def minik(docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Minik]:
    home = tmp_path_factory.mktemp("minik-home")
    env = dict(os.environ, MINIK_HOME=str(home))
    env.setdefault("MINIK_TIME_SCALE", "0.1")
    m = Minik(home=home, env=env)
    log = open(home / "server.log", "ab")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "minik.server", "run"], env=env, stdout=log, stderr=log, start_new_session=True
    )
    deadline = time.monotonic() + 20
    while not (home / "server.json").exists():
        if server.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"minik server did not start:\n{m.server_log()}")
        time.sleep(0.02)
    try:
        yield m
    finally:
        instance = m.instance if (home / "instance").exists() else None
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        m.run("server", "stop", check=False)  # a server the CLI started after a kill
        if instance:
            removed = remove_labelled_sync(docker_client, {"minik.io/instance": instance})
            del removed
            left = docker_client.api.containers(
                all=True, filters={"label": [f"minik.io/instance={instance}"]}
            )
            assert not left, f"minik left containers behind: {[c['Names'] for c in left]}"
