"""Helpers shared by benchmarks: a private minik instance (the test suite's harness, tests/support)."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker

from tests.support import Minik, minik_command, private_minik

Instance = Minik
minik_cmd = minik_command


@contextmanager
def instance(start: bool = True) -> Iterator[Minik]:
    """A private instance at upstream's timing (no ``MINIK_TIME_SCALE``), removed afterwards."""
    home = Path(tempfile.mkdtemp(prefix="minik-bench-"))
    try:
        with private_minik(home, docker.from_env(timeout=120), start=start, scaled=False) as inst:
            yield inst
    finally:
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
