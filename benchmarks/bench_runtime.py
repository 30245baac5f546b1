"""B-runtime: minik's pod runtime against docker-py doing the same work, in one run.

N one-container bare Pods (busybox ``sh -c true``, restartPolicy Never) are
started through the API of a private minik server with at most P in flight:
P client threads each create a Pod and wait (on one shared watch) until it
has reached ``Succeeded`` before creating the next. The clock runs from the
first create to the last ``Succeeded``.

The baseline (:func:`docker_pods`, B1's floor with a sandbox) is the same
containers created, started and waited for with docker-py at the same
concurrency, each behind its own pause container on a user-defined network
(what a minik pod is), the sandbox stopped afterwards as minik does. One
network serves every floor run, so no run pays for (or trips over) network
removal.
Runs alternate (floor, minik, floor, minik, …) so drift on a shared machine
hits both alike; the reported figure is the ratio of the medians. Floor to
beat (issue #4): 1.3× including the sandbox.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker

from benchmarks._minik import Instance, instance
from minik.cli.client import Client
from minik.errors import ServerUnavailable

FLOOR = 1.3
LABEL = "minik.io/bench"
PAUSE = "registry.k8s.io/pause:3.10"


def docker_pods(api: Any, network: str, n: int, parallelism: int) -> float:
    """Seconds for docker-py to run ``n`` sandboxed ``sh -c true`` containers, ``parallelism`` at a time."""
    tag = uuid.uuid4().hex[:8]

    def one(i: int) -> None:
        sb = api.create_container(
            PAUSE,
            name=f"bench-rt-{tag}-{i}-pod",
            labels={LABEL: tag},
            host_config=api.create_host_config(network_mode=network),
        )["Id"]
        api.start(sb)
        c = api.create_container(
            "busybox:latest",
            ["sh", "-c", "true"],
            name=f"bench-rt-{tag}-{i}",
            labels={LABEL: tag},
            host_config=api.create_host_config(network_mode=f"container:{sb}"),
        )["Id"]
        api.start(c)
        api.wait(c)
        api.stop(sb, timeout=0)

    t = time.perf_counter()
    with ThreadPoolExecutor(parallelism) as pool:
        list(pool.map(one, range(n)))
    elapsed = time.perf_counter() - t
    for c in api.containers(all=True, filters={"label": f"{LABEL}={tag}"}):
        api.remove_container(c["Id"], force=True)
    return elapsed


def _client(inst: Instance) -> Client:
    info = json.loads((inst.home / "server.json").read_text())
    url = str(info["url"])
    cert = inst.home / "tls.crt"
    return Client(
        url,
        (inst.home / "token").read_text().strip(),
        cafile=str(cert) if url.startswith("https") and cert.exists() else None,
        timeout=120,
    )


def _pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "c",
                    "image": "busybox:latest",
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["sh", "-c", "true"],
                }
            ],
        },
    }


class _Finished:
    """Names of pods seen terminal on a watch; waiters block on one name."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._phase: dict[str, str] = {}

    def feed(self, events: Iterator[dict[str, Any]]) -> None:
        """Consume a pod watch until it ends (the server stops after the measurement)."""
        with contextlib.suppress(ServerUnavailable):
            for ev in events:
                obj = ev.get("object") or {}
                phase = (obj.get("status") or {}).get("phase")
                if phase in ("Succeeded", "Failed"):
                    with self._cond:
                        self._phase[obj["metadata"]["name"]] = phase
                        self._cond.notify_all()

    def wait(self, name: str, timeout: float) -> str:
        with self._cond:
            if not self._cond.wait_for(lambda: name in self._phase, timeout):
                raise TimeoutError(f"pod {name} did not finish within {timeout}s")
            return self._phase[name]


def minik_pods(n: int, parallelism: int) -> float:
    """Seconds from the first Pod create to the last Succeeded, P in flight."""
    with instance() as inst:
        path = "/api/v1/namespaces/default/pods"
        watcher = _client(inst)
        rv = watcher.get(path)["metadata"]["resourceVersion"]
        finished = _Finished()
        threading.Thread(
            target=lambda: finished.feed(watcher.watch(path, {"resourceVersion": rv})), daemon=True
        ).start()
        tag = uuid.uuid4().hex[:5]
        names = iter(f"rt-{tag}-{i}" for i in range(n))
        lock = threading.Lock()

        def worker() -> None:
            client = _client(inst)
            while True:
                with lock:
                    name = next(names, None)
                if name is None:
                    return
                client.request("POST", path, body=_pod(name))
                phase = finished.wait(name, 300)
                if phase != "Succeeded":
                    raise RuntimeError(f"pod {name} ended {phase}")

        t = time.perf_counter()
        with ThreadPoolExecutor(parallelism) as pool:
            for f in [pool.submit(worker) for _ in range(parallelism)]:
                f.result()
        elapsed = time.perf_counter() - t
        watcher.close()
        return elapsed


def run(quick: bool) -> list[dict[str, Any]]:
    """Alternate floor and minik runs; report both medians and their ratio."""
    n, p, reps = (16, 8, 3) if quick else (40, 8, 5)
    client = docker.from_env(timeout=300)
    tag = uuid.uuid4().hex[:8]
    network = f"bench-rt-{tag}"
    client.api.create_network(network, labels={LABEL: tag})
    floors: list[float] = []
    miniks: list[float] = []
    try:
        for _ in itertools.repeat(None, reps):  # alternate so drift hits both alike
            floors.append(docker_pods(client.api, network, n, p))
            miniks.append(minik_pods(n, p))
    finally:
        from minik.kubelet.runtime.docker.api import remove_labelled_sync

        try:
            remove_labelled_sync(client, {LABEL: tag})
        except docker.errors.DockerException as exc:  # keep the figures; say what is left
            print(f"warning: could not remove network {network}: {exc}", file=sys.stderr)
        client.close()
    med = statistics.median
    return [
        {"name": f"runtime docker-py + sandbox, {n} pods, P={p}", "value": med(floors), "unit": "s"},
        {
            "name": f"runtime minik pods create→Succeeded, {n} pods, P={p}",
            "value": med(miniks),
            "unit": "s",
            "ratio": round(med(miniks) / med(floors), 3),
            "baseline": "docker-py + sandbox",
            "floor": FLOOR,
            "note": f"runs: minik {[round(x, 2) for x in miniks]} floor {[round(x, 2) for x in floors]}",
        },
    ]
