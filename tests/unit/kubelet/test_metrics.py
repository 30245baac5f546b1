"""Resource metrics: the math (minik.kubelet.metrics), the background sampler over the fake
runtime (minik.kubelet.sampler) and the metrics.k8s.io API (minik.api.metrics)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest
from starlette.testclient import TestClient

from minik.api import create_app
from minik.kubelet import metrics
from minik.kubelet.runtime import ContainerStats
from minik.kubelet.sampler import MetricsSampler, Snapshot
from minik.registry import Registry
from tests.unit.api.conftest import TOKEN, FakeHooks, a_pod
from tests.unit.kubelet.fake_runtime import RUNS, FakeRuntime

WALL = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


def reading(at: float, cpu_ns: int, memory: int = 0, container: str = "c", pod: str = "p") -> metrics.Reading:
    return metrics.Reading(at, cpu_ns, memory, "default", pod, "uid-" + pod, container)


USAGE_CASES = [
    (
        "CPU is the growth of CPU time over the time between readings",
        reading(0, 0),
        reading(2, 1_000_000_000),
        500_000_000,
    ),
    ("an idle container uses zero nanocores", reading(0, 5), reading(15, 5), 0),
    ("a quarter core over 15 s", reading(0, 0), reading(15, 3_750_000_000), 250_000_000),
]


@pytest.mark.parametrize(
    ("spec", "before", "after", "nanocores"), USAGE_CASES, ids=[c[0] for c in USAGE_CASES]
)
def test_cpu_from_two_readings(
    spec: str, before: metrics.Reading, after: metrics.Reading, nanocores: int
) -> None:
    [u] = metrics.usage({"id": before}, {"id": after})
    assert u.nanocores == nanocores and u.window == after.at - before.at


@pytest.mark.parametrize(
    ("spec", "previous", "current"),
    [
        ("a container read once has no figure yet", {}, {"id": reading(1, 10)}),
        (
            "a counter that went back (a restart) waits for the next reading",
            {"id": reading(0, 50)},
            {"id": reading(1, 10)},
        ),
    ],
    ids=["read once", "restarted"],
)
def test_no_figure_without_two_comparable_readings(spec: str, previous: dict, current: dict) -> None:
    assert metrics.usage(previous, current) == []


def test_working_set_is_usage_minus_inactive_file() -> None:
    raw = {
        "cpu_stats": {"cpu_usage": {"total_usage": 7}},
        "memory_stats": {"usage": 10_240, "stats": {"inactive_file": 2_048}},
    }
    assert ContainerStats.from_raw(raw) == ContainerStats(cpu_ns=7, working_set=8_192)
    v1 = {"memory_stats": {"usage": 4_096, "stats": {"total_inactive_file": 1_024}}}
    assert ContainerStats.from_raw(v1).working_set == 3_072
    assert ContainerStats.from_raw({}) == ContainerStats(cpu_ns=0, working_set=0)


def test_pod_and_node_metrics_objects() -> None:
    usages = metrics.usage(
        {"a": reading(0, 0, container="a"), "b": reading(0, 0, container="b")},
        {"a": reading(15, 1_500_000_000, 2 * 1024 * 1024, "a"), "b": reading(15, 0, 1024 * 1024, "b")},
    )
    [pod] = metrics.pod_metrics(usages, timestamp="T")
    assert (
        pod["kind"] == "PodMetrics"
        and pod["apiVersion"] == "metrics.k8s.io/v1beta1"
        and pod["window"] == "15s"
    )
    assert pod["containers"] == [
        {"name": "a", "usage": {"cpu": "100000000n", "memory": "2048Ki"}},
        {"name": "b", "usage": {"cpu": "0n", "memory": "1024Ki"}},
    ]
    node = metrics.node_metrics(usages, node="minik", timestamp="T", window=15.0)
    assert node["usage"] == {"cpu": "100000000n", "memory": "3072Ki"}


# -- the sampler -----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _running(rt: FakeRuntime, name: str) -> str:
    rt.exit_codes[name] = [RUNS]
    labels = {"minik.io/instance": "i", "minik.io/pod-uid": "u1", "minik.io/pod-name": "p",
              "minik.io/namespace": "default", "minik.io/container": name}  # fmt: skip
    cid = await rt.create_container(image="busybox:latest", name=f"x-{name}", labels=labels)
    await rt.start(cid)
    return cid


def test_the_sampler_reads_running_containers_but_not_the_sandbox(tmp_path: Path) -> None:
    async def main() -> None:
        rt, clock = FakeRuntime(tmp_path), Clock()
        cid = await _running(rt, "c")
        sandbox = await _running(rt, "POD")
        rt.usage[sandbox] = ContainerStats(cpu_ns=10**12, working_set=10**9)
        sampler = MetricsSampler(rt, instance="i", wall=lambda: WALL, clock=clock)
        rt.usage[cid] = ContainerStats(cpu_ns=0, working_set=4096)
        await sampler.sample()
        assert sampler.latest is None  # one reading: nothing to say yet
        clock.now += 15
        rt.usage[cid] = ContainerStats(cpu_ns=3_000_000_000, working_set=8192)
        await sampler.sample()
        assert sampler.latest == Snapshot(
            [metrics.Usage("default", "p", "u1", "c", 200_000_000, 8192, 15.0)], "2026-12-01T20:00:00Z", 15.0
        )

    anyio.run(main)


def test_the_sampler_samples_only_while_metrics_were_asked_for(tmp_path: Path) -> None:
    async def main() -> None:
        rt, clock = FakeRuntime(tmp_path), Clock()
        sampler = MetricsSampler(
            rt, instance="i", wall=lambda: WALL, clock=clock, interval=0.01, idle_after=60
        )
        calls = 0
        real = rt.list_containers

        async def counted(labels: dict) -> list:
            nonlocal calls
            calls += 1
            return await real(labels)

        rt.list_containers = counted  # type: ignore[method-assign]

        async def until(check: Callable[[], bool]) -> None:
            for _ in range(1000):  # up to 10 s on a loaded machine
                if check():
                    return
                await anyio.sleep(0.01)
            raise AssertionError("timed out")

        async with anyio.create_task_group() as tg:
            tg.start_soon(sampler.run)
            await anyio.sleep(0.05)
            assert calls == 0  # nobody asked: the engine is left alone
            sampler.touch()
            await until(lambda: calls >= 2)  # asked: it samples every interval
            clock.now += 61  # nobody asked for a minute: it stops at its next turn
            await anyio.sleep(0.2)
            stopped = calls
            await anyio.sleep(0.2)
            assert calls == stopped and sampler.latest is None
            sampler.touch()  # and a request wakes it again
            await until(lambda: calls > stopped)
            tg.cancel_scope.cancel()

    anyio.run(main)


# -- the API ---------------------------------------------------------------------------------


class FakeSource:
    def __init__(self, latest: Snapshot | None) -> None:
        self.latest = latest
        self.touched = 0

    def touch(self) -> None:
        self.touched += 1


def test_the_metrics_api(tmp_path: Path) -> None:
    store = Registry.open(tmp_path / "db")
    pod = a_pod()
    pod["metadata"]["labels"] = {"app": "x"}
    uid = store.create("pods", pod)["metadata"]["uid"]
    usages = [
        metrics.Usage("default", "p", uid, "c", 5_000_000, 1024 * 1024, 15.0),
        metrics.Usage("default", "gone", "other", "c", 1, 1024, 15.0),
    ]
    source = FakeSource(Snapshot(usages, "2026-12-01T20:00:00Z", 15.0))
    app = create_app(registry=store, token=TOKEN, hooks=FakeHooks(), metrics=source)
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        groups = [g["name"] for g in c.get("/apis").json()["groups"]]
        assert "metrics.k8s.io" in groups
        kinds = {r["name"]: r["kind"] for r in c.get("/apis/metrics.k8s.io/v1beta1").json()["resources"]}
        assert kinds == {"nodes": "NodeMetrics", "pods": "PodMetrics"}
        base = "/apis/metrics.k8s.io/v1beta1"
        listed = c.get(f"{base}/namespaces/default/pods").json()
        assert listed["kind"] == "PodMetricsList" and [i["metadata"]["name"] for i in listed["items"]] == [
            "p"
        ]
        one = c.get(f"{base}/namespaces/default/pods/p").json()
        assert one["metadata"]["labels"] == {"app": "x"}
        assert one["containers"] == [{"name": "c", "usage": {"cpu": "5000000n", "memory": "1024Ki"}}]
        assert c.get(f"{base}/pods?labelSelector=app%3Dy").json()["items"] == []
        missing = c.get(f"{base}/namespaces/default/pods/nope")
        assert (
            missing.status_code == 404
            and missing.json()["message"] == 'podmetrics.metrics.k8s.io "default/nope" not found'
        )
        node = c.get(f"{base}/nodes/minik").json()
        assert node["kind"] == "NodeMetrics" and node["usage"] == {"cpu": "5000001n", "memory": "1025Ki"}
        assert c.post(f"{base}/nodes", json={}).status_code == 405
        assert source.touched >= 5
    store.close()


def test_no_metrics_group_without_a_source(tmp_path: Path) -> None:
    store = Registry.open(tmp_path / "db")
    app = create_app(registry=store, token=TOKEN, hooks=FakeHooks())
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        assert "metrics.k8s.io" not in [g["name"] for g in client.get("/apis").json()["groups"]]
        assert client.get("/apis/metrics.k8s.io/v1beta1/nodes").status_code == 404
    store.close()
