"""A pod's spec.activeDeadlineSeconds: the kubelet kills the pod once it is exceeded."""

from __future__ import annotations

import time

from tests.support import Cluster, container_status


def test_pod_past_its_active_deadline_is_killed_and_failed_deadline_exceeded(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(
        pod_name,
        """  restartPolicy: Never
  activeDeadlineSeconds: 2
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["sleep", "60"]
""",
    )
    t0 = time.monotonic()
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), timeout=30)
    assert time.monotonic() - t0 < 20  # killed, not waited out
    status = pod["status"]
    assert (status["phase"], status.get("reason")) == ("Failed", "DeadlineExceeded")
    assert status["message"] == "Pod was active on the node longer than the specified deadline"
    terminated = container_status(pod, "c")["state"]["terminated"]  # type: ignore[index]
    assert terminated["exitCode"] != 0
    events = {(e["type"], e["reason"], e["message"]) for e in minik.events(pod_name)}
    assert ("Normal", "DeadlineExceeded", status["message"]) in events
    minik.delete("pod", pod_name)


def test_pod_finishing_before_its_deadline_succeeds(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        """  restartPolicy: Never
  activeDeadlineSeconds: 30
  containers:
  - name: c
    image: busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["true"]
""",
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), timeout=30)
    assert pod["status"]["phase"] == "Succeeded"
    assert "reason" not in pod["status"]
    minik.delete("pod", pod_name)
