"""Pod status as Kubernetes shows it.

Phase, the conditions (PodScheduled, Initialized, ContainersReady, Ready),
container states (running; terminated Completed / Error with the exit
code), restart counts, container ids and timestamps, and the STATUS column
of ``minik get pod``.
"""

from __future__ import annotations

from minik.k8s import parse_time
from tests.support import BUSYBOX, Cluster, busybox_spec, condition, container_status


def _conditions(pod: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {c["type"]: c["status"] for c in pod["status"]["conditions"]}


def _status_column(minik: Cluster, pod: str) -> str:
    header, row = minik.run("get", "pod", pod).stdout.splitlines()[:2]
    return row.split()[header.split().index("STATUS")]


def test_running_pod_is_running_with_every_condition_true(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(pod_name, busybox_spec('["sleep", "30"]'))
    pod = minik.wait_pod(pod_name, "Ready", lambda p: (condition(p, "Ready") or {}).get("status") == "True")
    assert pod["status"]["phase"] == "Running"
    conds = _conditions(pod)
    for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready"):
        assert conds.get(t) == "True", (t, conds)
    c = container_status(pod, "c")
    assert c is not None
    assert (c["ready"], c["started"], c["restartCount"]) == (True, True, 0)
    docker_id = minik.container_of(pod["metadata"]["uid"], "c")["Id"]
    assert c["containerID"] == f"docker://{docker_id}"
    started = parse_time(c["state"]["running"]["startedAt"])
    assert started is not None and parse_time(pod["status"]["startTime"]) <= started  # type: ignore[operator]
    for cond in pod["status"]["conditions"]:
        assert parse_time(cond["lastTransitionTime"]) is not None
    assert _status_column(minik, pod_name) == "Running"
    minik.delete("pod", pod_name)


def test_succeeded_pod_shows_terminated_completed_with_timestamps(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(pod_name, busybox_spec('["true"]', grace=None))
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Succeeded"
    t = container_status(pod, "c")["state"]["terminated"]  # type: ignore[index]
    assert (t["exitCode"], t["reason"]) == (0, "Completed")
    assert parse_time(t["startedAt"]) <= parse_time(t["finishedAt"])  # type: ignore[operator]
    ready = condition(pod, "Ready")
    assert ready is not None and (ready["status"], ready.get("reason")) == ("False", "PodCompleted")
    assert _conditions(pod)["PodScheduled"] == "True"
    assert _conditions(pod)["Initialized"] == "True"
    assert _status_column(minik, pod_name) == "Completed"
    assert minik.json("get", "pod", pod_name)["status"] == pod["status"]  # the CLI shows the API's object
    minik.delete("pod", pod_name)


def test_failed_pod_shows_terminated_error_with_the_exit_code(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        busybox_spec(
            '["sh", "-c", "exit 7"]',
            grace=None,
            more=f"""  - name: fine
    {BUSYBOX}
    command: ["true"]
""",
        ),
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Failed"
    t = container_status(pod, "c")["state"]["terminated"]  # type: ignore[index]
    assert (t["exitCode"], t["reason"]) == (7, "Error")
    fine = container_status(pod, "fine")["state"]["terminated"]  # type: ignore[index]
    assert (fine["exitCode"], fine["reason"]) == (0, "Completed")
    assert _status_column(minik, pod_name) == "Error"
    minik.delete("pod", pod_name)


def test_container_whose_command_cannot_start_is_terminated_with_start_error(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(pod_name, busybox_spec('["/no/such/binary"]', grace=None))
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Failed"
    t = (container_status(pod, "c") or {}).get("state", {}).get("terminated")
    assert t is not None, container_status(pod, "c")
    assert (t["reason"], t["exitCode"]) == ("StartError", 128)
    assert "/no/such/binary" in t["message"]
    messages = [e["message"] for e in minik.events(pod_name)]
    assert not any("TaskGroup" in m for m in messages), messages
    minik.delete("pod", pod_name)
