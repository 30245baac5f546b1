"""A pod's network over the in-memory runtime, both ways: with a sandbox, and without one (issue 22).

A one-container pod gets no sandbox: each run of its container is created on
the instance network with the pod's hostname, domain, Service aliases and
fixed address. A pod that can run two containers at once, or has init
containers (``plan.uses_sandbox``), gets a sandbox holding that address, its
containers joined to it. Either way the
pod keeps one address from its start until it has finished, across restarts
and a server restart (the address ledger is read back); a finished pod gives
it back, so an instance runs any number of pods (issue 37).
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from minik.kubelet.kubelet import Kubelet
from minik.kubelet.network.ipam import MemoryLedger
from minik.kubelet.runtime import Endpoint

from .fake_runtime import RUNS, FakeRuntime
from .harness import Sink, container, deleted, drive, never_pod, pod, poll, reasons, run, terminal

Obj = dict[str, Any]
NETWORK = "minik-t"
FQDN_DOMAIN = "db.default.svc.cluster.local"
SERVICE = {"metadata": {"name": "db", "namespace": "default"}, "spec": {"selector": {"app": "db"}}}


def until(sink: Sink, done: Callable[[Sink], bool]) -> Awaitable[None]:
    return poll(lambda: done(sink))


def configs(fake: FakeRuntime, name: str) -> list[dict[str, Any]]:
    """The create configs of every run of the pod container ``name``, in creation order."""
    return [c.config for c in fake.containers.values() if c.info.labels.get("minik.io/container") == name]


def conditions(status: Obj) -> dict[str, str]:
    return {c["type"]: c["status"] for c in status.get("conditions") or []}


def test_a_one_container_pod_has_no_sandbox_and_every_run_owns_the_pods_one_address(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"app": [1, 0]})
    p = pod(
        {
            "restartPolicy": "OnFailure",
            "hostname": "db-0",
            "subdomain": "db",
            "containers": [container("app")],
        }
    )

    async def body(k: Kubelet, sink: Sink) -> None:
        await k.sync_pod(p)
        await until(sink, lambda s: terminal(s.last))

    sink = drive(fake, tmp_path, body)
    assert sink.last["phase"] == "Succeeded"
    assert [c.info.labels["minik.io/container"] for c in fake.containers.values()] == ["app", "app"]
    ip = sink.last["podIP"]
    assert ipaddress.ip_address(ip) in ipaddress.ip_network("10.208.2.0/23")  # the fake subnet's upper half
    runs = configs(fake, "app")
    assert len(runs) == 2
    for cfg in runs:
        assert cfg["endpoint"] == Endpoint(network=NETWORK, ip=ip, aliases=())
        assert cfg["host_config"]["network_mode"] == NETWORK
        assert (cfg["hostname"], cfg["domainname"]) == ("db-0", FQDN_DOMAIN)
    assert all(s.get("podIP") == ip for s in sink.statuses if s.get("podIP"))
    # Nothing holds a sandbox-less pod's network once it ended: its terminal report says so.
    assert conditions(sink.last)["PodReadyToStartContainers"] == "False"
    assert conditions(sink.statuses[1])["PodReadyToStartContainers"] == "True"


def test_init_containers_then_the_app_share_a_sandbox_holding_the_pods_address(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path)
    p = pod(
        {"restartPolicy": "Never", "initContainers": [container("init")], "containers": [container("app")]}
    )

    async def body(k: Kubelet, sink: Sink) -> None:
        await k.sync_pod(p)
        await until(sink, lambda s: terminal(s.last))

    sink = drive(fake, tmp_path, body)
    (sandbox,) = configs(fake, "POD")
    assert sandbox["endpoint"].ip == sink.last["podIP"]
    for name in ("init", "app"):
        (cfg,) = configs(fake, name)
        assert cfg["endpoint"] is None and cfg["host_config"]["network_mode"].startswith("container:")


def test_two_app_containers_get_a_sandbox_that_holds_the_pods_address(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path)
    p = pod({"restartPolicy": "Never", "hostname": "db-0", "containers": [container("a"), container("b")]})

    async def body(k: Kubelet, sink: Sink) -> None:
        await k.sync_pod(p)
        await until(sink, lambda s: conditions(s.last).get("PodReadyToStartContainers", "True") != "True")

    sink = drive(fake, tmp_path, body)
    assert sink.last["phase"] == "Succeeded"
    assert [n.split("-")[-2] for n in fake.created] == ["POD", "a", "b"]
    (sandbox,) = configs(fake, "POD")
    ip = sink.last["podIP"]
    assert sandbox["endpoint"] == Endpoint(network=NETWORK, ip=ip, aliases=())
    assert sandbox["hostname"] == "db-0" and "domainname" not in sandbox
    sandbox_id = next(c.info.id for c in fake.containers.values() if c.config is sandbox)
    for name in ("a", "b"):
        (cfg,) = configs(fake, name)
        assert cfg["endpoint"] is None and "hostname" not in cfg
        assert cfg["host_config"]["network_mode"] == f"container:{sandbox_id}"


def test_services_known_before_the_container_is_created_are_its_aliases_then_changes_reconnect_it(
    tmp_path: Path,
) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"app": [RUNS]})
    p = pod(
        {"restartPolicy": "Never", "hostname": "db-0", "subdomain": "db", "containers": [container("app")]},
        labels={"app": "db"},
    )
    names = ("db", "db-0.db", "db-0.db.default", "db-0.db.default.svc", "db-0.db.default.svc.cluster.local")
    names += ("db.default", "db.default.svc", "db.default.svc.cluster.local")

    async def body(k: Kubelet, sink: Sink) -> None:
        await k.sync_pod(p)
        await k.sync_services([SERVICE], [p])  # before its container exists: kept for it
        await until(sink, lambda s: s.last.get("phase") == "Running")
        assert k.network_target("u1") == next(iter(fake.containers))
        await k.sync_services([], [p])  # the Service is deleted: the running owner is reconnected
        await k.sync_services([], [p])  # nothing changed: no engine call

    sink = drive(fake, tmp_path, body)
    (cfg,) = configs(fake, "app")
    ip = sink.last["podIP"]
    assert cfg["endpoint"] == Endpoint(network=NETWORK, ip=ip, aliases=tuple(sorted(names)))
    cid = next(iter(fake.containers))
    assert fake.alias_calls == [(cid, (), ip)]  # the same fixed address: no new IP to report


def test_deleting_the_pod_releases_its_address(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path)
    ledger = MemoryLedger()
    p = never_pod("app")

    async def forget(k: Kubelet, sink: Sink) -> None:
        assert ledger.rows == {"u1": sink.last["podIP"]}
        await k.forget_pod(p)
        assert ledger.rows == {} and k.ipam.get("u1") == ""
        assert not fake.containers

    run(fake, p, then=forget, tmp=tmp_path, ledger=ledger)


def test_a_restarted_server_adopts_the_running_pod_with_its_address_and_gives_others_new_ones(
    tmp_path: Path,
) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"app": [RUNS]})
    ledger = MemoryLedger()
    p = pod({"restartPolicy": "Never", "terminationGracePeriodSeconds": 1, "containers": [container("app")]})
    first = Sink()

    async def before(k: Kubelet, sink: Sink) -> None:
        await k.sync_pod(p)
        await until(sink, lambda s: s.last.get("phase") == "Running")

    drive(fake, tmp_path, before, ledger=ledger, sink=first)  # then the server is killed
    ip = first.last["podIP"]
    adopted = copy.deepcopy(p)
    adopted["status"] = first.last
    other = pod({"restartPolicy": "Never", "containers": [container("app")]}, uid="u2", name="q")

    async def after(k: Kubelet, sink: Sink) -> None:
        await k.sweep({"u1", "u2"})
        await k.sync_pod(adopted)
        await poll(lambda: k.network_target("u1") == next(iter(fake.containers)))
        await k.sync_pod(other)
        await until(sink, lambda s: len([x for x in s.statuses if x.get("podIP")]) >= 1)
        await k.sync_pod(deleted(adopted))
        await until(sink, lambda s: any(x.get("podIP") == ip and terminal(x) for x in s.statuses))
        await poll(lambda: "u1" not in ledger.rows)

    sink = drive(fake, tmp_path, after, ledger=ledger)
    assert len([n for n in fake.created if n.startswith("minik-t-default-p-app")]) == 1  # never twice
    assert any(s.get("podIP") == ip and terminal(s) for s in sink.statuses)
    assert "u1" not in ledger.rows  # it finished: its address went back to the pool
    assert len({s["podIP"] for s in sink.statuses if s.get("podIP")}) == 2  # the other pod got another


def test_no_address_left_leaves_the_pod_pending_as_a_sandbox_the_engine_refuses(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path, subnet="10.208.0.0/29")  # pod range 10.208.0.4 - .6
    ledger = MemoryLedger({"x": "10.208.0.4", "y": "10.208.0.5", "z": "10.208.0.6"})
    p = never_pod("app")

    async def body(k: Kubelet, sink: Sink) -> None:
        await k.sync_pod(p)
        await until(sink, lambda s: "FailedCreatePodSandBox" in reasons(s))
        assert sink.last["phase"] == "Pending" and "podIP" not in sink.last
        k.ipam.release("y")  # a pod is deleted
        await until(sink, lambda s: terminal(s.last))

    sink = drive(fake, tmp_path, body, ledger=ledger)
    failed = next(m for _, r, m in sink.events if r == "FailedCreatePodSandBox")
    assert failed == (
        "Failed to create pod sandbox: no free pod address left in 10.208.0.4-10.208.0.6: "
        "each of the instance's 3 pod addresses is held by a pod that has not finished yet"
    )
    assert sink.last["phase"] == "Succeeded" and sink.last["podIP"] == "10.208.0.5"


def test_a_finished_pod_gives_its_address_back_and_keeps_it_in_its_status(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path)
    ledger = MemoryLedger()
    p = never_pod("app")

    async def released(k: Kubelet, sink: Sink) -> None:
        # The ledger row goes a moment before the worker does: wait for both (seen under load).
        await poll(lambda: not ledger.rows and "u1" not in k.workers)
        assert k.ipam.get("u1") == ""

    sink = run(fake, p, then=released, tmp=tmp_path, ledger=ledger)
    assert sink.last["phase"] == "Succeeded" and sink.last["podIP"] == "10.208.2.0"
    assert not fake.disconnected  # nothing asked of the engine: a stopped container holds no endpoint
    assert len(fake.containers) == 1  # kept for logs until the pod is deleted


def test_a_finished_pods_sandbox_stops_before_its_address_goes(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path)
    ledger = MemoryLedger()
    p = pod({"restartPolicy": "Never", "containers": [container("a"), container("b")]})

    async def body(k: Kubelet, sink: Sink) -> None:
        await k.sync_pod(p)
        await until(sink, lambda s: terminal(s.last))
        await poll(lambda: not ledger.rows)

    sink = drive(fake, tmp_path, body, ledger=ledger)
    sandbox = next(
        cid for cid, c in fake.containers.items() if c.info.labels.get("minik.io/container") == "POD"
    )
    assert ("POD", 0) in fake.stops and fake.containers[sandbox].info.status == "exited"
    assert conditions(sink.last)["PodReadyToStartContainers"] == "False"
    assert sink.last["podIP"] == "10.208.2.0"


def test_pods_many_times_the_address_range_run_one_after_another(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path, subnet="10.208.0.0/29")  # pod range 10.208.0.4 - .6: three addresses
    ledger = MemoryLedger()
    pods = [
        pod({"restartPolicy": "Never", "containers": [container("app")]}, uid=f"u{i}", name=f"p{i}")
        for i in range(10)
    ]

    async def body(k: Kubelet, sink: Sink) -> None:
        for i, p in enumerate(pods):
            await k.sync_pod(p)
            await until(
                sink, lambda s, i=i: len([x for x in s.statuses if x.get("phase") == "Succeeded"]) > i
            )
            await poll(lambda: not ledger.rows)

    sink = drive(fake, tmp_path, body, ledger=ledger)
    assert "FailedCreatePodSandBox" not in reasons(sink)
    ips = [s["podIP"] for s in sink.statuses if s.get("phase") == "Succeeded" and s.get("podIP")]
    assert set(ips) == {"10.208.0.4", "10.208.0.5", "10.208.0.6"}  # each reused, next-fit


def test_rendered_volumes_and_emptydir_contents_go_when_the_pod_finishes(tmp_path: Path) -> None:
    fake = FakeRuntime(tmp_path)
    p = pod(
        {
            "restartPolicy": "Never",
            "containers": [container("app")],
            "volumes": [
                {"name": "scratch", "emptyDir": {}},
                {
                    "name": "info",
                    "downwardAPI": {"items": [{"path": "name", "fieldRef": {"fieldPath": "metadata.name"}}]},
                },
            ],
        }
    )
    seen: dict[str, bool] = {}

    async def body(k: Kubelet, sink: Sink) -> None:
        await k.sync_pod(p)
        await until(sink, lambda s: s.last.get("phase") in ("Running", "Succeeded"))
        scratch = Path(next(iter(fake.volumes.values())))
        (scratch / "data").write_text("x")
        seen["rendered"] = (tmp_path / "pods" / "u1" / "volumes" / "info" / "name").exists()
        await until(sink, lambda s: terminal(s.last))
        await poll(lambda: not any(scratch.iterdir()))
        await poll(lambda: not any((tmp_path / "pods" / "u1" / "volumes").iterdir()))

    drive(fake, tmp_path, body)
    assert seen["rendered"]
    assert len(fake.volumes) == 1  # the Docker volume stays until the pod is deleted


def test_a_pod_that_finished_before_a_restart_has_its_sandbox_stopped_and_address_released(
    tmp_path: Path,
) -> None:
    fake = FakeRuntime(tmp_path, exit_codes={"a": [RUNS], "b": [RUNS]})
    ledger = MemoryLedger()
    p = pod({"restartPolicy": "Never", "containers": [container("a"), container("b")]})
    first = Sink()

    async def before(k: Kubelet, sink: Sink) -> None:
        await k.sync_pod(p)
        await until(sink, lambda s: s.last.get("phase") == "Running")

    drive(fake, tmp_path, before, ledger=ledger, sink=first)  # killed while it runs
    for c in fake.containers.values():  # its apps end while no server runs; the sandbox stays up
        if c.info.labels.get("minik.io/container") != "POD":
            fake._exit(c, 0)
    finished = copy.deepcopy(p)
    finished["status"] = {**first.last, "phase": "Succeeded"}

    async def after(k: Kubelet, sink: Sink) -> None:
        await k.sweep({"u1"})
        await k.sync_pod(finished)
        await poll(lambda: not ledger.rows)

    drive(fake, tmp_path, after, ledger=ledger)
    sandbox = next(c for c in fake.containers.values() if c.info.labels.get("minik.io/container") == "POD")
    assert sandbox.info.status != "running" and ("POD", 0) in fake.stops
    assert len(fake.created) == 3  # nothing started again
