"""Native sidecars: init containers with restartPolicy Always.

They start in order (the next init container waits until the sidecar has
started), keep running beside the app containers, do not hold back
Initialized, are restarted when they exit, and are stopped once the regular
containers are done; the pod's phase follows the regular containers.
"""

from __future__ import annotations

from tests.support import BUSYBOX, Cluster, condition, container_status


def test_sidecar_runs_beside_the_app_and_the_pod_succeeds_when_the_app_does(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  terminationGracePeriodSeconds: 2
  initContainers:
  - name: side
    {BUSYBOX}
    restartPolicy: Always
    command: ["sh", "-c", "echo up > /shared/side; exec sleep 300"]
    volumeMounts: [{{name: shared, mountPath: /shared}}]
  - name: after
    {BUSYBOX}
    command: ["sh", "-c", "cat /shared/side"]
    volumeMounts: [{{name: shared, mountPath: /shared}}]
  containers:
  - name: app
    {BUSYBOX}
    command: ["sh", "-c", "sleep 1; echo done"]
  volumes:
  - name: shared
    emptyDir: {{}}
""",
    )
    running = minik.wait_pod(
        pod_name,
        "app running beside the sidecar",
        lambda p: "running" in (container_status(p, "app") or {}).get("state", {}),
        60,
    )
    side = container_status(running, "side")
    assert side is not None and "running" in side["state"]
    assert (side["started"], side["ready"]) == (True, True)
    assert (condition(running, "Initialized") or {}).get("status") == "True"
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), timeout=60)
    assert pod["status"]["phase"] == "Succeeded"
    assert "terminated" in container_status(pod, "side")["state"]  # type: ignore[index]
    assert minik.logs(pod_name, "after").strip() == "up"  # it started after the sidecar
    minik.delete("pod", pod_name)


def test_sidecar_that_exits_is_restarted_while_the_app_runs(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: side
    {BUSYBOX}
    restartPolicy: Always
    command: ["sh", "-c", "sleep 0.3"]
  containers:
  - name: app
    {BUSYBOX}
    command: ["sleep", "4"]
""",
    )
    pod = minik.wait_pod(
        pod_name,
        "sidecar restarted",
        lambda p: (container_status(p, "side") or {}).get("restartCount", 0) >= 1,
        30,
    )
    assert pod["status"]["phase"] in ("Pending", "Running")
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), timeout=60)
    assert pod["status"]["phase"] == "Succeeded"
    minik.delete("pod", pod_name)
