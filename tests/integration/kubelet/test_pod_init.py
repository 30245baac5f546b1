"""Init containers run one at a time, in order, and each must exit 0.

App containers start together only after the last init container; a failing
init container under ``restartPolicy: Never`` fails the pod, shown as
Kubernetes shows it (``Init:Error`` in ``minik get pod``).
"""

from __future__ import annotations

from minik.k8s import parse_time
from tests.support import BUSYBOX, Cluster, condition, container_status


def _times(pod: dict, name: str) -> tuple:  # type: ignore[type-arg]
    t = container_status(pod, name)["state"]["terminated"]  # type: ignore[index]
    return parse_time(t["startedAt"]), parse_time(t["finishedAt"])


def test_init_containers_run_one_at_a_time_in_order_before_the_apps(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  volumes:
  - name: log
    emptyDir: {{}}
  initContainers:
  - name: first
    {BUSYBOX}
    command: ["sh", "-c", "echo first >> /log/order; sleep 1"]
    volumeMounts: [{{name: log, mountPath: /log}}]
  - name: second
    {BUSYBOX}
    command: ["sh", "-c", "echo second >> /log/order; sleep 1"]
    volumeMounts: [{{name: log, mountPath: /log}}]
  containers:
  - name: app1
    {BUSYBOX}
    command: ["sh", "-c", "echo app1 >> /log/order; sleep 1; cat /log/order"]
    volumeMounts: [{{name: log, mountPath: /log}}]
  - name: app2
    {BUSYBOX}
    command: ["sh", "-c", "sleep 1"]
    volumeMounts: [{{name: log, mountPath: /log}}]
""",
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), 60)
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    first, second = _times(pod, "first"), _times(pod, "second")
    app1, app2 = _times(pod, "app1"), _times(pod, "app2")
    assert first[1] <= second[0], "second init container started before the first finished"
    assert second[1] <= min(app1[0], app2[0]), "an app container started before init finished"
    # Together, not one after the other: each app container runs while the other does.
    assert app1[0] <= app2[1] and app2[0] <= app1[1], "app containers should run at the same time"
    assert minik.logs(pod_name, "app1").split() == ["first", "second", "app1"]
    assert condition(pod, "Initialized")["status"] == "True"  # type: ignore[index]
    minik.delete("pod", pod_name)


def test_failing_init_container_under_never_fails_the_pod_as_init_error(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  initContainers:
  - name: ok
    {BUSYBOX}
    command: ["true"]
  - name: bad
    {BUSYBOX}
    command: ["sh", "-c", "exit 3"]
  - name: never
    {BUSYBOX}
    command: ["true"]
  containers:
  - name: app
    {BUSYBOX}
    command: ["true"]
""",
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), 60)
    assert pod["status"]["phase"] == "Failed"
    bad = container_status(pod, "bad")["state"]["terminated"]  # type: ignore[index]
    assert (bad["exitCode"], bad["reason"]) == (3, "Error")
    assert "waiting" in container_status(pod, "never")["state"]  # type: ignore[index]
    assert "waiting" in container_status(pod, "app")["state"]  # type: ignore[index]
    init = condition(pod, "Initialized")
    assert init is not None and init["status"] == "False"
    assert not [
        c
        for c in minik.pod_containers(pod["metadata"]["uid"])
        if c["Config"]["Labels"]["minik.io/container"] in ("never", "app")
    ]
    row = minik.run("get", "pod", pod_name).stdout.splitlines()[1].split()
    assert row[2] == "Init:Error", row
    minik.delete("pod", pod_name)


def test_failing_init_container_under_on_failure_is_restarted_until_it_succeeds(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: OnFailure
  volumes:
  - name: state
    emptyDir: {{}}
  initContainers:
  - name: flaky
    {BUSYBOX}
    command: ["sh", "-c", "echo x >> /s/tries; [ $(wc -l < /s/tries) -ge 2 ]"]
    volumeMounts: [{{name: state, mountPath: /s}}]
  containers:
  - name: app
    {BUSYBOX}
    command: ["true"]
""",
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), 60)
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    flaky = container_status(pod, "flaky")
    assert flaky is not None and flaky["restartCount"] == 1
    assert flaky["state"]["terminated"]["exitCode"] == 0
    minik.delete("pod", pod_name)


def test_pod_shows_init_progress_while_an_init_container_runs(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: slow
    {BUSYBOX}
    command: ["sleep", "30"]
  - name: next
    {BUSYBOX}
    command: ["true"]
  containers:
  - name: app
    {BUSYBOX}
    command: ["true"]
""",
    )
    pod = minik.wait_container(pod_name, "slow", "running")
    assert pod["status"]["phase"] == "Pending"
    assert "waiting" in container_status(pod, "next")["state"]  # type: ignore[index]
    app = container_status(pod, "app")
    assert app is not None and app["state"]["waiting"]["reason"] == "PodInitializing"
    init = condition(pod, "Initialized")
    assert init is not None and (init["status"], init.get("reason")) == ("False", "ContainersNotInitialized")
    header, row = minik.run("get", "pod", pod_name).stdout.splitlines()[:2]
    assert row.split()[header.split().index("STATUS")] == "Init:0/2"
    minik.delete("pod", pod_name)
