"""Helpers shared by benchmarks: a private minik instance driven by its CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker


def minik_cmd() -> list[str]:
    exe = shutil.which("minik", path=str(Path(sys.executable).parent)) or shutil.which("minik")
    return [exe] if exe else [sys.executable, "-m", "minik"]


class Instance:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = dict(os.environ, MINIK_HOME=str(home))

    def run(self, *args: str, input: str | None = None) -> str:
        res = subprocess.run(
            [*minik_cmd(), *args], env=self.env, input=input, capture_output=True, text=True, check=False
        )
        if res.returncode != 0:
            raise RuntimeError(f"minik {' '.join(args)}: {res.stderr.strip()}")
        return res.stdout

    @property
    def instance(self) -> str:
        return (self.home / "instance").read_text().strip()


@contextmanager
def instance(start: bool = True) -> Iterator[Instance]:
    home = Path(tempfile.mkdtemp(prefix="minik-bench-"))
    inst = Instance(home)
    try:
        if start:
            inst.run("server", "start")
        yield inst
    finally:
        subprocess.run([*minik_cmd(), "server", "stop"], env=inst.env, capture_output=True, check=False)
        if (home / "instance").exists():
            from minik.kubelet.docker_api import remove_labelled_sync

            try:
                remove_labelled_sync(docker.from_env(), {"minik.io/instance": inst.instance})
            except docker.errors.DockerException as exc:  # keep the measurement; say what is left
                print(f"warning: cleanup of instance {inst.instance} failed: {exc}", file=sys.stderr)
        shutil.rmtree(home, ignore_errors=True)


def indexed_job(name: str, completions: int, parallelism: int, command: str = "true") -> str:
    return f"""apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
spec:
  completions: {completions}
  parallelism: {parallelism}
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox:latest
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "{command}"]
"""


def timed(fn: object) -> float:
    t = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t
