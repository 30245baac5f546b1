"""The unit harness of the kubelet beside its fake runtime: one Kubelet over a FakeRuntime, driven by a test.

- :func:`drive` runs a :class:`~minik.kubelet.kubelet.Kubelet` over the
  fake while an async ``body`` drives it (10 s at the most), then stops it;
  :func:`run` is the common case: sync one pod, wait for a state, then
  optionally do more (``then``).
- :class:`Sink` stands in for the API: it keeps every status and event the
  kubelet reports; :func:`poll` waits (async) until a condition over it holds.
- :func:`pod`, :func:`container`, :func:`never_pod` build the objects; :func:`deleted` is a
  pod as the API shows it once deleted; :func:`delete_and_wait` deletes a
  pod and waits until its status is terminal.

The pod-worker, probe and pod-network tests over the fake all use it.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio

from minik.kubelet.kubelet import Kubelet
from minik.kubelet.network.ipam import MemoryLedger
from tests.unit.kubelet.fake_runtime import FakeRuntime

Obj = dict[str, Any]
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DELETED_AT = "2026-12-01T10:00:01Z"


def moving_clock() -> Callable[[], datetime]:
    """A clock that starts at NOW (the fake runtime's timestamps) and moves with real time:
    back-offs measured from a container's exit end."""
    t0 = time.monotonic()
    return lambda: NOW + timedelta(seconds=time.monotonic() - t0)


class Sink:
    def __init__(self) -> None:
        self.statuses: list[Obj] = []
        self.events: list[tuple[str, str, str]] = []

    async def update_pod_status(self, pod: Obj, status: Obj) -> None:
        self.statuses.append(copy.deepcopy(status))

    async def record_event(self, involved: Obj, type: str, reason: str, message: str, component: str) -> None:
        self.events.append((type, reason, message))

    @property
    def last(self) -> Obj:
        return self.statuses[-1] if self.statuses else {}


class Objects:
    def get(self, resource: str, namespace: str, name: str) -> Obj | None:
        return None

    def list(self, resource: str, namespace: str | None) -> list[Obj]:
        return []


def container(name: str, **extra: Any) -> Obj:
    return {"name": name, "image": "busybox:latest", "imagePullPolicy": "IfNotPresent", **extra}


def pod(spec: Obj, **meta: Any) -> Obj:
    return {
        "metadata": {"name": "p", "namespace": "default", "uid": "u1", **meta},
        "spec": spec,
        "status": {},
    }


def never_pod(*apps: str, inits: tuple[str, ...] = ()) -> Obj:
    """A ``restartPolicy: Never`` pod of busybox containers ``apps`` after the init containers ``inits``."""
    spec: Obj = {"restartPolicy": "Never"}
    if inits:
        spec["initContainers"] = [container(name) for name in inits]
    spec["containers"] = [container(name) for name in apps]
    return pod(spec)


def deleted(p: Obj) -> Obj:
    """``p`` as the API shows it once deleted (a deletionTimestamp set)."""
    out = copy.deepcopy(p)
    out["metadata"]["deletionTimestamp"] = DELETED_AT
    return out


def terminal(status: Obj) -> bool:
    return status.get("phase") in ("Succeeded", "Failed")


def reasons(sink: Sink) -> list[str]:
    return [r for _, r, _ in sink.events]


async def poll(done: Callable[[], bool]) -> None:
    """Until ``done()``: the worker reports through the sink, which has no event to wait on."""
    while not done():  # noqa: ASYNC110 - polling a plain list the worker appends to
        await anyio.sleep(0.005)


def delete_and_wait(p: Obj) -> Callable[[Kubelet, Sink], Awaitable[None]]:
    """A ``then`` for :func:`run`: delete ``p`` and wait until its status is terminal."""

    async def delete(k: Kubelet, sink: Sink) -> None:
        await k.sync_pod(deleted(p))
        await poll(lambda: terminal(sink.last))

    return delete


def drive(
    fake: FakeRuntime,
    tmp: Path,
    body: Callable[[Kubelet, Sink], Awaitable[None]],
    *,
    ledger: MemoryLedger | None = None,
    sink: Sink | None = None,
    time_scale: float = 0.001,
) -> Sink:
    """Run a kubelet over ``fake`` while ``body`` drives it (10 s at the most); its sink."""
    sink = sink if sink is not None else Sink()

    async def main() -> None:
        k = Kubelet(
            fake, Objects(), sink, instance="t", clock=moving_clock(), time_scale=time_scale,
            state_dir=tmp, pause_image="pause", ip_ledger=ledger,
        )  # fmt: skip
        async with anyio.create_task_group() as tg:
            tg.start_soon(k.run)
            with anyio.fail_after(10):
                await body(k, sink)
            tg.cancel_scope.cancel()

    anyio.run(main)
    return sink


def run(
    fake: FakeRuntime,
    p: Obj,
    until: Callable[[Sink], bool] = lambda s: terminal(s.last),
    *,
    then: Callable[[Kubelet, Sink], Any] | None = None,
    tmp: Path,
    ledger: MemoryLedger | None = None,
    time_scale: float = 0.001,
) -> Sink:
    """Sync ``p`` and wait until ``until(sink)`` (by default: its status is terminal), then ``then``;
    ``time_scale`` shortens the kubelet's back-offs (10 s x 0.001 = 10 ms by default)."""

    async def body(k: Kubelet, sink: Sink) -> None:
        await k.sync_pod(p)
        await poll(lambda: until(sink))
        if then is not None:
            await then(k, sink)

    return drive(fake, tmp, body, ledger=ledger, time_scale=time_scale)
