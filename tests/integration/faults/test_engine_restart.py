"""The Docker engine restarted mid-Job, on a private dockerd (never the main engine).

A second dockerd with its own data root, exec root (and so its own managed
containerd), socket and address pool (10.213.0.0/16, so its bridges never
overlap the main engine's) runs for this module; busybox and pause are
copied into it with ``docker save | docker load``. A private minik server
uses it through ``DOCKER_HOST``. Mid-Job the engine is stopped with SIGTERM
(live-restore off, shutdown timeout 1 s, so the running containers die) and
started again. The control plane must survive, reconnect, count the killed
pods against the Job's ``backoffLimit`` and bring the Job to the right end.
``MINIK_FAULT_ENGINE_RESTARTS`` sets how many restarts one Job goes through.
The fixture stops that dockerd and deletes its directories afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.faults.conftest import ENGINE_RESTARTS, no_traceback
from tests.support import Minik, eventually, job_yaml, private_minik
from tests.support.process import stop_process

NAME = "minik-faults"
DATA_ROOT = Path(f"/var/lib/{NAME}-docker")
EXEC_ROOT = Path(f"/var/run/{NAME}-exec")
SOCKET = Path(f"/var/run/{NAME}.sock")
PIDFILE = Path(f"/var/run/{NAME}.pid")
IMAGES = ["busybox:latest", "registry.k8s.io/pause:3.10"]
DOWNTIME = float(os.environ.get("MINIK_FAULT_ENGINE_DOWNTIME", "4"))


def job(name: str, backoff: int) -> str:
    # A worker that dies when the engine restarts: the restarted dockerd
    # (live-restore off) stops the containers it finds running with SIGTERM. The engine is
    # crashed as soon as two are seen running, so 10 s is ample; it is also how long each of
    # the replacements runs (three rounds of two), the test's wall time.
    command = "trap 'exit 143' TERM; sleep 10 & wait"
    return job_yaml(name, command, completions=6, parallelism=2, backoff_limit=backoff)


@dataclass
class Engine:
    """A private dockerd that can be restarted."""

    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"unix://{SOCKET}"

    def start(self) -> None:
        for d in (DATA_ROOT, EXEC_ROOT):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        # In a network namespace of its own: a dockerd restarted on an existing data
        # root deletes the host's docker0 (the main engine's default bridge) otherwise.
        args = [
            "unshare",
            "--net",
            "dockerd",
            f"--data-root={DATA_ROOT}",
            f"--exec-root={EXEC_ROOT}",
            f"--host={self.host}",
            f"--pidfile={PIDFILE}",
            "--iptables=false",
            "--ip-masq=false",
            "--ip-forward=false",
            "--userland-proxy=false",
            "--shutdown-timeout=1",
            "--default-address-pool=base=10.213.0.0/16,size=24",
            f"--containerd-namespace={NAME}",
            f"--containerd-plugins-namespace={NAME}-plugins",
        ]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=out, start_new_session=True)
        client = docker.DockerClient(base_url=self.host, version="1.41", timeout=10)
        try:
            eventually("the private dockerd to answer", lambda: self._pings(client), timeout=60, every=0.2)
        finally:
            client.close()

    def _pings(self, client: docker.DockerClient) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-2000:]
        try:
            return bool(client.ping())
        except Exception:
            return False

    def stop(self, *, crash: bool = False) -> None:
        """SIGTERM (a clean stop, which lets running containers finish), or SIGKILL (a crash)."""
        stop_process(self.proc, sig=signal.SIGKILL if crash else signal.SIGTERM, timeout=60)
        self.proc = None


def _remove_tree(path: Path) -> None:
    """Delete a dockerd directory, unmounting anything left mounted under it first."""
    mounts = [
        line.split()[1] for line in Path("/proc/mounts").read_text().splitlines() if len(line.split()) > 1
    ]
    for m in sorted((m for m in mounts if m == str(path) or m.startswith(f"{path}/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", m], check=False)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def engine(docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if os.geteuid() != 0 or shutil.which("dockerd") is None:
        pytest.skip("a private dockerd needs root and the dockerd binary")
    if SOCKET.exists() or PIDFILE.exists():
        pytest.fail(f"{SOCKET} or {PIDFILE} exists: is another private engine test running?", pytrace=False)
    eng = Engine(log=tmp_path_factory.mktemp("dockerd") / "dockerd.log")
    try:
        eng.start()
        save = subprocess.Popen(["docker", "save", *IMAGES], stdout=subprocess.PIPE)
        subprocess.run(["docker", "-H", eng.host, "load"], stdin=save.stdout, check=True, capture_output=True)
        assert save.wait(120) == 0
        yield eng
    finally:
        eng.stop()
        for d in (DATA_ROOT, EXEC_ROOT):
            _remove_tree(d)
        for f in (SOCKET, PIDFILE):
            f.unlink(missing_ok=True)
        assert not DATA_ROOT.exists() and not EXEC_ROOT.exists()


def job_status(minik: Minik, name: str) -> dict[str, Any]:
    status: dict[str, Any] = minik.json("get", "job", name)["status"]
    return status


def pod_summary(minik: Minik, job: str) -> str:
    """One line per pod of ``job``: name, phase, and the container's terminated reason and message."""
    lines = []
    for pod in minik.json("get", "pods", "-l", f"job-name={job}")["items"]:
        st = pod.get("status") or {}
        cs = (st.get("containerStatuses") or [{}])[0]
        term = (cs.get("state") or {}).get("terminated") or {}
        lines.append(
            f"{pod['metadata']['name']} {st.get('phase')} {st.get('reason', '')} {st.get('message', '')} "
            f"{term.get('reason', '')} {term.get('exitCode', '')} {term.get('message', '')}"
        )
    return "\n".join(lines)


def running(client: docker.DockerClient, minik: Minik) -> int:
    label = [f"minik.io/instance={minik.instance}", "minik.io/container=c"]
    return len(client.api.containers(filters={"label": label, "status": "running"}))


def restart(engine: Engine) -> float:
    """Crash the engine (its containers die), keep it down a while, start it again; returns the downtime.

    The pause (``MINIK_FAULT_ENGINE_DOWNTIME``, default 4 s) is longer than the
    Job's first pod-failure backoffs at MINIK_TIME_SCALE=0.1, so the controller
    asks for replacement pods while the engine is down.
    """
    started = time.monotonic()
    # A crash: a clean SIGTERM stop of dockerd 20.10 waits for running containers to
    # finish, so nothing would be killed; after a crash the restarted engine (live-restore
    # off) kills the containers it finds running.
    engine.stop(crash=True)
    time.sleep(DOWNTIME)
    engine.start()
    return time.monotonic() - started


@pytest.mark.parametrize(
    ("backoff", "outcome"),
    [(6, "Complete"), (0, "Failed")],
)
def test_an_engine_restart_mid_job_is_survived_and_counted_by_the_job_policy(
    engine: Engine, tmp_path: Path, backoff: int, outcome: str
) -> None:
    client = docker.DockerClient(base_url=engine.host, version="1.41", timeout=60)
    restarts = ENGINE_RESTARTS if outcome == "Complete" else 1
    try:
        with private_minik(tmp_path / "home", client, env={"DOCKER_HOST": engine.host}) as minik:
            server = minik.server
            name = f"engine-{outcome.lower()}"
            minik.run("apply", "-f", "-", input=job(name, backoff))
            figures: list[dict[str, Any]] = []
            for _ in range(restarts):
                eventually("two running pods", lambda: running(client, minik) == 2, timeout=60)
                down = restart(engine)
                back = time.monotonic()
                eventually(
                    "the killed pods to be counted",
                    lambda: (
                        job_status(minik, name).get("failed", 0) >= len(figures) * 2 + 1
                        or job_status(minik, name).get("conditions")
                    ),
                    timeout=60,
                )
                figures.append(
                    {"downtime_s": round(down, 1), "counted_after_s": round(time.monotonic() - back, 1)}
                )
            condition = "complete" if outcome == "Complete" else "failed"
            res = minik.run(
                "wait", f"--for=condition={condition}", f"job/{name}", "--timeout=120s", check=False
            )
            assert res.returncode == 0, (
                f"{res.stderr}\n{pod_summary(minik, name)}\n{minik.server_log()[-4000:]}"
            )
            assert server.alive(), f"the control plane died:\n{minik.server_log()[-3000:]}"
            status = job_status(minik, name)
            print(
                json.dumps(
                    {
                        "outcome": outcome,
                        "restarts": figures,
                        "status": {k: status.get(k) for k in ("active", "succeeded", "failed")},
                    }
                )
            )
            if outcome == "Complete":
                assert status.get("succeeded") == 6, status
                assert status.get("failed") == 2 * restarts, status  # both running pods died each time
            else:
                reason = next(c["reason"] for c in status["conditions"] if c["type"] == "Failed")
                assert reason == "BackoffLimitExceeded", status
                assert status.get("failed", 0) >= 1 and not status.get("active"), status
            text = minik.run("describe", f"job/{name}").stdout
            assert f"{status.get('failed')} Failed" in text, text
            no_traceback(minik.server_log())
            minik.run("delete", f"job/{name}")
    finally:
        client.close()
