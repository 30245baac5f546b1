"""Deleting a pod: graceful termination, then every Docker object of it is gone.

SIGTERM first (a shell that traps it runs its handler), SIGKILL after
``terminationGracePeriodSeconds`` (or the delete's ``gracePeriodSeconds``)
for a process that ignores it; afterwards no container or volume labelled
with the pod's uid is left.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.support import BUSYBOX, Cluster, busybox_spec, eventually, pod_yaml


def _start(minik: Cluster, pod_name: str, body: str) -> dict:  # type: ignore[type-arg]
    minik.apply_pod(pod_name, body)
    minik.wait_container(pod_name, "c", "running")
    eventually("the trap to be set", lambda: "ready" in minik.logs(pod_name), 20)
    return minik.pod(pod_name)


def _timed_delete(minik: Cluster, pod_name: str, grace_seconds: int | None = None) -> float:
    t = time.monotonic()
    minik.delete("pod", pod_name, timeout=90, grace_seconds=grace_seconds)
    return time.monotonic() - t


def test_sigterm_trapped_by_a_shell_runs_its_handler_before_the_pod_goes(
    minik: Cluster, pod_name: str, tmp_path: Path
) -> None:
    tmp_path.chmod(0o777)
    _start(
        minik,
        pod_name,
        f"""  restartPolicy: Never
  terminationGracePeriodSeconds: 30
  volumes:
  - name: out
    hostPath: {{path: {tmp_path}, type: Directory}}
  containers:
  - name: c
    {BUSYBOX}
    command: ["sh", "-c", "trap 'echo handled > /out/term; exit 0' TERM; echo ready; while true; do sleep 0.1; done"]
    volumeMounts: [{{name: out, mountPath: /out}}]
""",
    )
    took = _timed_delete(minik, pod_name)
    assert (tmp_path / "term").read_text() == "handled\n"
    assert took < 15, f"a handled SIGTERM should end the pod long before the 30 s grace (took {took:.1f}s)"


def test_process_ignoring_sigterm_is_killed_when_the_grace_period_ends(minik: Cluster, pod_name: str) -> None:
    _start(
        minik,
        pod_name,
        busybox_spec('["sh", "-c", "trap \'\' TERM; echo ready; while true; do sleep 0.1; done"]', grace=3),
    )
    took = _timed_delete(minik, pod_name)
    assert 2.5 <= took < 12, f"expected SIGKILL after the 3 s grace, pod went after {took:.1f}s"


def test_delete_grace_period_overrides_the_pod_spec(minik: Cluster, pod_name: str) -> None:
    _start(
        minik,
        pod_name,
        busybox_spec('["sh", "-c", "trap \'\' TERM; echo ready; while true; do sleep 0.1; done"]', grace=60),
    )
    took = _timed_delete(minik, pod_name, grace_seconds=1)
    assert took < 10, f"gracePeriodSeconds=1 on the delete should win over the spec's 60 s (took {took:.1f}s)"


def test_deleting_a_pod_removes_all_its_containers_and_volumes(minik: Cluster, pod_name: str) -> None:
    cm = f"{pod_name}-cm"
    minik.apply(
        f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {cm}
data:
  k: v
---
"""
        + pod_yaml(
            pod_name,
            f"""  restartPolicy: Never
  volumes:
  - name: scratch
    emptyDir: {{}}
  - name: conf
    configMap: {{name: {cm}}}
  initContainers:
  - name: init
    {BUSYBOX}
    command: ["true"]
    volumeMounts: [{{name: scratch, mountPath: /s}}]
  containers:
  - name: c
    {BUSYBOX}
    command: ["true"]
    volumeMounts: [{{name: scratch, mountPath: /s}}, {{name: conf, mountPath: /conf}}]
""",
        )
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    uid = pod["metadata"]["uid"]
    names = {c["Config"]["Labels"]["minik.io/container"] for c in minik.pod_containers(uid)}
    assert names == {"POD", "init", "c"}  # init + app: a sandbox is cheaper (plan.uses_sandbox)
    assert minik.pod_volumes(uid)
    minik.delete("pod", pod_name)
    eventually(
        "the pod's Docker objects to be removed",
        lambda: not minik.pod_containers(uid) and not minik.pod_volumes(uid),
        20,
    )
    minik.delete("configmap", cm, wait=False)
