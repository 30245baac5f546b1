"""Resource limits and securityContext map onto the Docker container.

Limits become the container's HostConfig (CpuPeriod/CpuQuota, Memory); runAsUser /
runAsGroup set the process ids; readOnlyRootFilesystem makes writes to the
image fail; capabilities add/drop and privileged are what the process gets.
"""

from __future__ import annotations

import docker
import docker.errors
import pytest

from tests.support import BUSYBOX, Cluster, busybox_spec, container_status

CAP_NET_ADMIN = 12
CAP_CHOWN = 0


def _run(minik: Cluster, pod_name: str, body: str) -> dict:  # type: ignore[type-arg]
    minik.apply_pod(pod_name, body)
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    return pod


def _succeeded(minik: Cluster, pod_name: str, command: str, more: str) -> dict:  # type: ignore[type-arg]
    """Runs busybox_spec(command, more=more) (no grace period set) to its end, which must be Succeeded."""
    pod = _run(minik, pod_name, busybox_spec(command, grace=None, more=more))
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    return pod


CAP_EFF = '["grep", "CapEff", "/proc/self/status"]'  # prints the effective capability set


def _cap_eff(log: str) -> int:
    for line in log.splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    raise AssertionError(f"no CapEff in {log!r}")


def test_resource_limits_become_docker_cpu_and_memory_limits(minik: Cluster, pod_name: str) -> None:
    pod = _succeeded(minik, pod_name, '["true"]', "    resources:\n      limits: {cpu: 250m, memory: 96Mi}\n")
    host = minik.container_of(pod["metadata"]["uid"], "c")["HostConfig"]
    assert (host["CpuPeriod"], host["CpuQuota"]) == (100_000, 25_000)
    assert host["Memory"] == 96 * 2**20
    minik.delete("pod", pod_name)


def test_run_as_user_and_group_set_the_process_ids(minik: Cluster, pod_name: str) -> None:
    pod = _run(
        minik,
        pod_name,
        f"""  restartPolicy: Never
  securityContext: {{runAsUser: 1000, runAsGroup: 3000}}
  containers:
  - name: pod-level
    {BUSYBOX}
    command: ["sh", "-c", "echo $(id -u) $(id -g)"]
  - name: own
    {BUSYBOX}
    command: ["sh", "-c", "echo $(id -u) $(id -g)"]
    securityContext: {{runAsUser: 2000}}
""",
    )
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    assert minik.logs(pod_name, "pod-level").strip() == "1000 3000"
    assert minik.logs(pod_name, "own").strip() == "2000 3000"
    minik.delete("pod", pod_name)


def test_read_only_root_filesystem_makes_writes_fail(minik: Cluster, pod_name: str) -> None:
    touch = '["sh", "-c", "touch /probe 2>/dev/null && echo wrote || echo refused"]'
    pod = _succeeded(minik, pod_name, touch, "    securityContext: {readOnlyRootFilesystem: true}\n")
    assert minik.logs(pod_name).strip().splitlines()[-1] == "refused"
    assert minik.container_of(pod["metadata"]["uid"], "c")["HostConfig"]["ReadonlyRootfs"] is True
    minik.delete("pod", pod_name)


def test_capabilities_add_and_drop_change_the_effective_set(minik: Cluster, pod_name: str) -> None:
    _succeeded(
        minik,
        pod_name,
        CAP_EFF,
        f"""    securityContext:
      capabilities: {{add: [NET_ADMIN], drop: [CHOWN]}}
  - name: plain
    {BUSYBOX}
    command: {CAP_EFF}
""",
    )
    changed, plain = _cap_eff(minik.logs(pod_name, "c")), _cap_eff(minik.logs(pod_name, "plain"))
    assert changed & (1 << CAP_NET_ADMIN) and not plain & (1 << CAP_NET_ADMIN)
    assert plain & (1 << CAP_CHOWN) and not changed & (1 << CAP_CHOWN)
    minik.delete("pod", pod_name)


@pytest.fixture(scope="module")
def engine_runs_privileged(docker_client: docker.DockerClient) -> None:
    """Skip where the engine itself cannot start privileged containers (e.g. a sandboxed dockerd)."""
    probe = docker_client.containers.create("busybox:latest", ["true"], privileged=True, network_mode="none")
    try:
        probe.start()
    except docker.errors.APIError as exc:
        pytest.skip(f"this Docker engine cannot run privileged containers: {exc.explanation}")
    finally:
        probe.remove(force=True)


@pytest.mark.usefixtures("engine_runs_privileged")
def test_privileged_container_gets_every_capability_and_devices(minik: Cluster, pod_name: str) -> None:
    pod = _succeeded(minik, pod_name, CAP_EFF, "    securityContext: {privileged: true}\n")
    assert bin(_cap_eff(minik.logs(pod_name))).count("1") >= 38
    assert minik.container_of(pod["metadata"]["uid"], "c")["HostConfig"]["Privileged"] is True
    assert container_status(pod, "c") is not None
    minik.delete("pod", pod_name)
