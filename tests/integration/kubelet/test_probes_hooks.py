"""Probes and lifecycle hooks on the real engine (MINIK_TIME_SCALE shortens probe periods).

- an httpGet readiness probe (busybox httpd, reached from the host on the
  pod's IP) gates the container's ``ready``, the pod's Ready condition and
  so the Job's ``status.ready``;
- an exec liveness probe that starts failing restarts the container with
  upstream's Unhealthy and Killing events, and its preStop hook's output is
  in the log of the run it stopped, before the container stopped;
- a postStart hook that fails is a FailedPostStartHook event and kills the
  container (the pod, restartPolicy Never, fails).
"""

from __future__ import annotations

from tests.support import BUSYBOX, Cluster, busybox_spec, condition, container_status, eventually


def _reasons(minik: Cluster, name: str) -> list[tuple[str, str]]:
    return [(e["reason"], e["message"]) for e in minik.events(name)]


def test_a_readiness_probe_gates_ready_and_the_jobs_status_ready(minik: Cluster, pod_name: str) -> None:
    job = pod_name
    minik.apply(
        f"""apiVersion: batch/v1
kind: Job
metadata:
  name: {job}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: web
        {BUSYBOX.replace("    ", "        ")}
        command: ["sh", "-c", "mkdir -p /www && httpd -p 8080 -h /www && until [ -f /www/done ]; do sleep 0.1; done"]
        readinessProbe:
          httpGet:
            path: /ready
            port: 8080
          periodSeconds: 1
"""
    )
    pod = eventually(
        "the Job's pod",
        lambda: next(iter(minik.json("get", "pods", "-l", f"job-name={job}")["items"]), None),
        60,
    )
    name, uid = pod["metadata"]["name"], pod["metadata"]["uid"]
    failed = ("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 404")
    eventually("a failed readiness probe", lambda: failed in _reasons(minik, name), 60)
    pod = minik.pod(name)
    web = container_status(pod, "web")
    assert web is not None and "running" in web["state"] and web["started"] is True
    assert web["ready"] is False
    assert (condition(pod, "Ready") or {}).get("status") == "False"
    assert minik.get("job", job)["status"].get("ready") == 0

    assert minik.exec(uid, "web", "touch", "/www/ready")[0] == 0
    minik.wait_pod(name, "ready", lambda p: (condition(p, "Ready") or {}).get("status") == "True")
    assert (container_status(minik.pod(name), "web") or {}).get("ready") is True
    eventually("the Job counts a ready pod", lambda: minik.get("job", job)["status"].get("ready") == 1, 30)

    assert minik.exec(uid, "web", "touch", "/www/done")[0] == 0
    done = minik.wait_pod_phase(name, ("Succeeded", "Failed"))
    assert done["status"]["phase"] == "Succeeded"
    minik.delete("job", job)
    minik.delete("pod", name)


def test_a_failing_liveness_probe_restarts_the_container_after_its_pre_stop_hook(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(
        pod_name,
        busybox_spec(
            '["sh", "-c", "echo started; touch /tmp/alive; sleep 1; rm /tmp/alive; exec sleep 600"]',
            more="""    livenessProbe:
      exec:
        command: ["test", "-f", "/tmp/alive"]
      periodSeconds: 1
      failureThreshold: 2
      terminationGracePeriodSeconds: 2
    lifecycle:
      preStop:
        exec:
          command: ["sh", "-c", "echo pre-stop ran > /proc/1/fd/1"]
""",
            restart="OnFailure",
        ),
    )
    pod = minik.wait_pod(
        pod_name,
        "a restart",
        lambda p: (container_status(p, "c") or {}).get("restartCount", 0) >= 1,
        timeout=90,
    )
    c = container_status(pod, "c")
    assert c is not None and c["lastState"]["terminated"]["exitCode"] == 137  # sleep ignores SIGTERM
    events = _reasons(minik, pod_name)
    assert ("Unhealthy", "Liveness probe failed: ") in events
    assert ("Killing", "Container c failed liveness probe, will be restarted") in events
    assert not [m for r, m in events if r == "FailedPreStopHook"]
    # The preStop hook ran in the run it stopped, before the stop signal.
    previous = minik.logs(pod_name, "c", previous=True).splitlines()
    assert previous == ["started", "pre-stop ran"]
    # Deleted with its own short grace period: a force delete (grace 0) would leave the kubelet
    # stopping the container with the spec's grace period while other pods wait.
    minik.delete("pod", pod_name)


def test_a_failing_post_start_hook_kills_the_container(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        busybox_spec(
            '["sleep", "600"]',
            more="""    lifecycle:
      postStart:
        exec:
          command: ["sh", "-c", "echo no; exit 3"]
""",
        ),
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Failed"
    events = _reasons(minik, pod_name)
    assert ("FailedPostStartHook", "PostStartHook failed") in events
    assert ("Killing", "FailedPostStartHook") in events
    minik.delete("pod", pod_name)
