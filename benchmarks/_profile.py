"""A minik server run under py-spy, and where its samples went.

``profiled_instance()`` starts ``python -m minik.server run`` under
``py-spy record --idle --format raw`` (every thread, including the worker
threads that wait on the Docker engine) for a private ``MINIK_HOME``; when
the block ends the server is stopped and py-spy writes its samples.
``breakdown()`` sorts the samples of each stack by the innermost minik-side
layer it passes through, so the shares say where the control plane's wall
time went: serving the API, the store, the Job controller, the kubelet's own
Python, waiting on Docker, or idle. Benchmarks only: needs ``py-spy``
(``pip install py-spy``; the ``bench`` extra).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker

from tests.support import Minik, new_home, remove_instance

# (layer, substrings of a frame's file that put a sample in it), innermost match wins.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("Docker engine calls (waiting)", ("docker/", "requests/", "urllib3/", "http/client.py", "socket.py")),
    ("store (SQLite)", ("minik/store/",)),
    ("Job controller", ("minik/controllers/",)),
    ("validation/defaulting", ("minik/manifest/",)),
    ("API (Starlette/uvicorn/TLS)", ("minik/api/", "starlette/", "uvicorn/", "h11/", "ssl.py")),
    ("kubelet (Python side)", ("minik/kubelet/",)),
    ("control-plane loops", ("minik/server/",)),
    ("event loop (asyncio/anyio)", ("asyncio/", "anyio/")),
]
DOCKER = LAYERS[0][0]
IDLE = "idle (event loop / threads waiting)"
STARTUP = "startup (imports)"


def have_py_spy() -> bool:
    return shutil.which("py-spy") is not None


@contextmanager
def profiled_instance(rate: int = 200) -> Iterator[tuple[Minik, Path]]:
    """A started private server under py-spy; yields it and the raw output path."""
    home = new_home(Path(tempfile.mkdtemp(prefix="minik-prof-")))
    inst = Minik(home=home, env=dict(os.environ, MINIK_HOME=str(home)))
    out = home / "profile.txt"
    cmd = ["py-spy", "record", "--idle", "--nonblocking", "--format", "raw", "--rate", str(rate)]
    cmd += ["-o", str(out)]
    spy = subprocess.Popen(
        [*cmd, "--", sys.executable, "-m", "minik.server", "run"],
        env=inst.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (home / "server.json").exists():
            if spy.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the profiled minik server did not start")
            time.sleep(0.02)
        yield inst, out
    finally:
        server_pid = _server_pid(home)
        if server_pid:
            os.kill(server_pid, signal.SIGTERM)
        try:
            spy.wait(60)
        except subprocess.TimeoutExpired:
            spy.kill()
        inst.run("server", "stop", check=False)
        if (home / "instance").exists():
            try:
                remove_instance(docker.from_env(), inst.instance)
            except docker.errors.DockerException as exc:  # keep the measurement; say what is left
                print(f"warning: cleanup of instance {inst.instance} failed: {exc}", file=sys.stderr)


def _server_pid(home: Path) -> int | None:
    import json

    try:
        return int(json.loads((home / "server.json").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None


def breakdown(raw: Path) -> dict[str, float]:
    """Share of samples per layer (0..1), from py-spy's raw (collapsed) output."""
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        counts[_layer(stack)] += int(n)
    total = sum(counts.values()) or 1
    return {k: v / total for k, v in counts.most_common()}


def busy_breakdown(raw: Path) -> dict[str, float]:
    """Like :func:`breakdown` but over the samples that were not idle."""
    shares = breakdown(raw)
    busy = {k: v for k, v in shares.items() if k != IDLE}
    total = sum(busy.values()) or 1
    return {k: v / total for k, v in busy.items()}


def top_functions(raw: Path, n: int = 10) -> list[tuple[str, float]]:
    """The innermost minik frames that were on CPU most, as shares of busy samples."""
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, num = line.rpartition(" ")
        layer = _layer(stack)
        if not num.isdigit() or layer in (IDLE, STARTUP) or layer.startswith(DOCKER):
            continue
        minik_frames = [f for f in stack.split(";") if "minik/" in f]
        if minik_frames:
            counts[minik_frames[-1]] += int(num)
    total = sum(counts.values()) or 1
    return [(f, c / total) for f, c in counts.most_common(n)]


def _layer(stack: str) -> str:
    frames = stack.split(";")
    if _idle(frames[-1]):
        return IDLE
    if any("_find_and_load" in f for f in frames):
        return STARTUP
    for frame in reversed(frames):
        for layer, marks in LAYERS:
            if any(m in frame for m in marks):
                return f"{layer}: {_docker_op(frames)}" if layer == DOCKER else layer
    return "other Python"


def _docker_op(frames: list[str]) -> str:
    """Which minik Docker call a sample waits in (``start``, ``wait``, ``logs`` …)."""
    for frame in reversed(frames):
        m = re.match(r"(?:DockerAPI\.)?(\w+)", frame)
        if "docker_api.py" in frame and m and m.group(1) not in ("_call", "call", "run", "_docker"):
            return m.group(1)
    for frame in reversed(frames):
        if "minik/" in frame and "docker_api.py" not in frame:
            return frame.split(" (")[0]
    return "other"


def _idle(frame: str) -> bool:
    return any(
        s in frame
        for s in (
            "select (selectors.py",
            "_wait_for_tstate_lock",
            "wait (threading.py",
            "_worker (concurrent",
        )
    )
