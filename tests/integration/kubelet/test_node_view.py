"""What a node shows (issue 16), on the real engine: restart counts, status order, QoS,
deletion phases, runAsNonRoot, no-new-privileges, generateName, and quiet log followers."""

from __future__ import annotations

import subprocess
import time

from tests.support import BUSYBOX, Cluster, busybox_spec, container_status, job_yaml, minik_command


def test_an_on_failure_job_with_backoff_limit_2_fails_after_three_runs(minik: Cluster, pod_name: str) -> None:
    minik.apply(
        f"""apiVersion: batch/v1
kind: Job
metadata:
  name: {pod_name}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: OnFailure
      containers:
      - name: c
        {BUSYBOX.replace(chr(10) + "    ", chr(10) + "        ")}
        command: ["sh", "-c", "exit 1"]
"""
    )

    def failed() -> bool:
        job = minik.get("job", pod_name)
        return any(c["type"] == "Failed" for c in job["status"].get("conditions") or [])

    uid = minik.get("job", pod_name)["metadata"]["uid"]
    seen: set[str] = set()  # every container of the Job's pod, seen before the failed pod is removed
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        seen |= {
            c["Id"]
            for c in minik.docker.api.containers(all=True, filters={"label": [f"minik.io/job-uid={uid}"]})
            if c["Labels"].get("minik.io/container") == "c"
        }
        if failed():
            break
        time.sleep(0.1)
    assert failed()
    assert len(seen) == 3, "restartCount reaches backoffLimit when the third run is created"
    minik.run("delete", "job", pod_name)


def test_container_statuses_are_sorted_by_name_and_the_qos_class_is_computed(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  containers:
  - name: zeta
    {BUSYBOX}
    command: ["true"]
    resources: {{limits: {{cpu: 100m, memory: 32Mi}}}}
  - name: alpha
    {BUSYBOX}
    command: ["true"]
    resources: {{limits: {{cpu: 100m, memory: 32Mi}}}}
""",
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert [s["name"] for s in pod["status"]["containerStatuses"]] == ["alpha", "zeta"]
    assert pod["status"]["qosClass"] == "Guaranteed"
    minik.delete("pod", pod_name)


def test_a_pod_deleted_while_running_whose_container_exits_zero_on_sigterm_succeeds(
    minik: Cluster, pod_name: str
) -> None:
    # A finalizer keeps the pod object after it ends, so its last phase can be read.
    minik.apply(
        f"""apiVersion: v1
kind: Pod
metadata:
  name: {pod_name}
  finalizers: [example.com/hold]
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 10
  containers:
  - name: c
    {BUSYBOX}
    command: ["sh", "-c", "trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"]
"""
    )
    minik.wait_container(pod_name, "c", "running")
    minik.delete("pod", pod_name, wait=False)
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), 20)
    assert pod["status"]["phase"] == "Succeeded"
    assert container_status(pod, "c")["state"]["terminated"]["exitCode"] == 0  # type: ignore[index]
    minik.api.request(
        "PATCH",
        minik.path("pod", None, pod_name),
        body={"metadata": {"finalizers": None}},
        content_type="application/merge-patch+json",
    )
    minik.delete("pod", pod_name)


def test_run_as_non_root_refuses_an_image_that_runs_as_root(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  securityContext: {{runAsNonRoot: true}}
  containers:
  - name: c
    {BUSYBOX}
    command: ["true"]
""",
    )
    pod = minik.wait_pod(
        pod_name,
        "CreateContainerConfigError",
        lambda p: (
            (container_status(p, "c") or {}).get("state", {}).get("waiting", {}).get("reason")
            == "CreateContainerConfigError"
        ),
        30,
    )
    message = container_status(pod, "c")["state"]["waiting"]["message"]  # type: ignore[index]
    uid = pod["metadata"]["uid"]
    assert (
        message
        == f'container has runAsNonRoot and image will run as root (pod: "{pod_name}_default({uid})", container: c)'
    )
    assert minik.pod_containers(uid) == [] or all(
        c["Config"]["Labels"]["minik.io/container"] == "POD" for c in minik.pod_containers(uid)
    )
    minik.delete("pod", pod_name, grace_seconds=0)


def test_run_as_non_root_with_a_non_root_uid_runs_and_no_new_privileges_is_set(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  securityContext: {{runAsNonRoot: true, runAsUser: 1000}}
  containers:
  - name: c
    {BUSYBOX}
    command: ["sh", "-c", "id -u; grep NoNewPrivs /proc/self/status"]
    securityContext: {{allowPrivilegeEscalation: false}}
""",
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Succeeded"
    out = minik.logs(pod_name)
    assert out.split() == ["1000", "NoNewPrivs:", "1"]
    minik.delete("pod", pod_name)


def test_job_pods_carry_generate_name(minik: Cluster, pod_name: str) -> None:
    minik.apply(job_yaml(pod_name, indexed=True))
    pods = minik.json("get", "pods", "-l", f"job-name={pod_name}")["items"]
    assert [p["metadata"]["generateName"] for p in pods] == [f"{pod_name}-0-"]
    minik.run("delete", "job", pod_name)


def test_forty_quiet_log_followers_do_not_stop_a_new_pod_from_starting(minik: Cluster, pod_name: str) -> None:
    quiet = f"{pod_name}-quiet"
    minik.apply_pod(quiet, busybox_spec('["sleep", "600"]', grace=0))
    minik.wait_container(quiet, "c", "running")
    followers = [
        subprocess.Popen(
            [*minik_command(), "logs", "-f", quiet],
            env=minik.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(40)
    ]
    try:
        time.sleep(3)  # every follower is connected and waiting
        minik.apply_pod(pod_name, busybox_spec('["echo", "started"]', grace=None))
        pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), 30)
        assert pod["status"]["phase"] == "Succeeded"
    finally:
        for f in followers:
            f.kill()
        for f in followers:
            f.wait()
    minik.delete("pod", pod_name)
    minik.delete("pod", quiet, grace_seconds=0)


def test_a_pod_records_the_events_a_node_records(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(pod_name, busybox_spec('["sleep", "600"]'))
    minik.wait_container(pod_name, "c", "running")
    minik.delete("pod", pod_name)  # its events stay
    events = sorted(
        minik.events(pod_name), key=lambda e: int(e["metadata"]["resourceVersion"])
    )  # each recorded once
    got = [(e["type"], e["reason"], e["message"], e["source"]["component"]) for e in events]
    assert got[:4] == [
        ("Normal", "Scheduled", f"Successfully assigned default/{pod_name} to minik", "default-scheduler"),
        ("Normal", "Pulled", 'Container image "busybox:latest" already present on machine', "kubelet"),
        ("Normal", "Created", "Created container: c", "kubelet"),
        ("Normal", "Started", "Started container c", "kubelet"),
    ]
    assert ("Normal", "Killing", "Stopping container c", "kubelet") in got


def test_a_crash_loop_records_back_off(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        busybox_spec('["sh", "-c", "exit 1"]', grace=None, restart="OnFailure"),
    )
    uid = minik.pod(pod_name)["metadata"]["uid"]
    want = f"Back-off restarting failed container c in pod {pod_name}_default({uid})"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(e["message"] == want for e in minik.events(pod_name)):
        time.sleep(0.2)
    back_off = [e for e in minik.events(pod_name) if e["reason"] == "BackOff"]
    assert back_off and back_off[0]["type"] == "Warning" and back_off[0]["message"] == want
    minik.delete("pod", pod_name, grace_seconds=0)


def test_termination_messages_from_the_file_and_from_the_log(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  containers:
  - name: file
    {BUSYBOX}
    command: ["sh", "-c", "printf 'done: 42 rows' > /dev/termination-log"]
  - name: custom
    {BUSYBOX}
    terminationMessagePath: /tmp/why
    command: ["sh", "-c", "echo disk full > /tmp/why; exit 3"]
  - name: logs
    {BUSYBOX}
    terminationMessagePolicy: FallbackToLogsOnError
    command: ["sh", "-c", "echo first; echo last words; exit 4"]
""",
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    message = {s["name"]: s["state"]["terminated"].get("message") for s in pod["status"]["containerStatuses"]}
    assert message == {"custom": "disk full\n", "file": "done: 42 rows", "logs": "first\nlast words\n"}
    described = minik.run("describe", "pod", pod_name).stdout
    assert "Message:" in described and "done: 42 rows" in described
    minik.delete("pod", pod_name)


def test_a_finished_pod_is_not_ready_to_start_containers_and_its_init_container_is_ready(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  initContainers:
  - name: init
    {BUSYBOX}
    command: ["true"]
  containers:
  - name: c
    {BUSYBOX}
    command: ["true"]
""",
    )

    def sandbox_stopped(p: dict) -> bool:  # type: ignore[type-arg]
        conds = {c["type"]: c["status"] for c in p["status"].get("conditions") or []}
        return p["status"].get("phase") == "Succeeded" and conds.get("PodReadyToStartContainers") == "False"

    pod = minik.wait_pod(pod_name, "PodReadyToStartContainers False", sandbox_stopped, 30)
    assert pod["status"]["initContainerStatuses"][0]["ready"] is True
    minik.delete("pod", pod_name)


def test_kubectl_sees_one_ready_node_and_pods_run_on_it(minik: Cluster, pod_name: str) -> None:
    env = {**minik.env, "KUBECONFIG": str(minik.home / "kubeconfig")}

    def kubectl(*args: str) -> str:
        res = subprocess.run(
            ["kubectl", *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert res.returncode == 0, res.stderr
        return res.stdout

    table = kubectl("get", "nodes").splitlines()
    assert table[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert table[1].split()[:3] == ["minik", "Ready", "control-plane"]
    described = kubectl("describe", "node", "minik")
    for line in ("Name:               minik", "Container Runtime Version:  docker://", "KubeletReady"):
        assert line in described
    assert minik.run("get", "nodes").stdout.split()[5:8] == ["minik", "Ready", "control-plane"]
    minik.apply_pod(pod_name, busybox_spec('["true"]', grace=None))
    assert minik.pod(pod_name)["spec"]["nodeName"] == "minik"
    minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    node_line = next(x for x in kubectl("describe", "pod", pod_name).splitlines() if x.startswith("Node:"))
    assert node_line.split() == ["Node:", "minik/127.0.0.1"]
    minik.delete("pod", pod_name)
