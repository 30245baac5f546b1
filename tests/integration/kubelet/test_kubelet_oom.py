"""A container over its memory limit is terminated OOMKilled (exit 137), as Docker saw it."""

from __future__ import annotations

from tests.support import Cluster, container_status


def test_container_over_its_memory_limit_is_terminated_oom_killed(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        """  restartPolicy: Never
  containers:
  - name: c
    image: python:3.11-slim
    imagePullPolicy: IfNotPresent
    command: ["python3", "-c", "b = bytearray(256 * 1024 * 1024); print(len(b))"]
    resources:
      limits:
        memory: 32Mi
""",
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), timeout=60)
    assert pod["status"]["phase"] == "Failed"
    terminated = container_status(pod, "c")["state"]["terminated"]  # type: ignore[index]
    assert (terminated["reason"], terminated["exitCode"]) == ("OOMKilled", 137)
    minik.delete("pod", pod_name)
