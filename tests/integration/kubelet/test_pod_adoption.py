"""After the control plane is killed (SIGKILL) and restarted, a running pod is adopted.

Docker labels are the truth about what runs: the new server finds the pod's
containers by label and waits for them; it never starts a second copy, so
the container ids and the restart count stay what they were.
"""

from __future__ import annotations

from tests.support import BUSYBOX, Cluster, busybox_spec, container_status, empty_dir_spec


def _ids(minik: Cluster, uid: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for c in minik.pod_containers(uid):
        out.setdefault(c["Config"]["Labels"]["minik.io/container"], []).append(c["Id"])
    return {k: sorted(v) for k, v in out.items()}


def test_running_pod_is_adopted_after_a_server_kill_never_started_twice(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(
        pod_name,
        empty_dir_spec(
            '["sh", "-c", "echo x >> /s/n; [ $(wc -l < /s/n) -ge 2 ] || exit 1; echo started; sleep 6"]',
            mount="/s",
            volume="s",
            restart="OnFailure",
            grace=None,
        ),
    )
    before = minik.wait_pod(
        pod_name,
        "restarted once and running",
        lambda p: (
            (container_status(p, "c") or {}).get("restartCount") == 1
            and "running" in (container_status(p, "c") or {}).get("state", {})
        ),
        30,
    )
    uid = before["metadata"]["uid"]
    ids_before = _ids(minik, uid)
    running_id = container_status(before, "c")["containerID"]  # type: ignore[index]

    minik.kill_server()
    minik.start_server()

    during = minik.pod(pod_name)
    assert during["status"]["phase"] == "Running"
    assert container_status(during, "c")["containerID"] == running_id  # type: ignore[index]
    after = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), 30)
    assert after["status"]["phase"] == "Succeeded", after["status"]
    c = container_status(after, "c")
    assert c is not None
    assert c["restartCount"] == 1
    assert c["containerID"] == running_id
    assert c["state"]["terminated"]["exitCode"] == 0
    assert _ids(minik, uid) == ids_before, "no container of the pod may be created again after adoption"
    assert minik.logs(pod_name).split() == ["started"]
    assert after["status"]["podIP"] == before["status"]["podIP"]  # the pod keeps its address
    # The new server read the address ledger back: a new pod gets another one.
    other = f"{pod_name[:50]}-b"
    minik.apply_pod(other, f"  restartPolicy: Never\n  containers:\n  - name: c\n    {BUSYBOX}\n")
    assert minik.wait_pod_phase(other, "Succeeded")["status"]["podIP"] != before["status"]["podIP"]
    minik.delete("pod", other)
    minik.delete("pod", pod_name)


def test_completed_pod_is_not_rerun_after_a_server_kill(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(pod_name, busybox_spec('["sh", "-c", "echo once"]', grace=None))
    done = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    uid = done["metadata"]["uid"]
    ids_before = _ids(minik, uid)

    minik.kill_server()
    minik.start_server()

    again = minik.pod(pod_name)
    assert again["status"]["phase"] == "Succeeded"
    assert container_status(again, "c") == container_status(done, "c")
    assert _ids(minik, uid) == ids_before
    assert minik.logs(pod_name).split() == ["once"]
    minik.delete("pod", pod_name)


def test_adopted_pod_is_still_evicted_when_its_empty_dir_outgrows_its_size_limit(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(
        pod_name,
        empty_dir_spec(
            '["sh", "-c", "echo started; sleep 4; dd if=/dev/zero of=/scratch/big bs=1M count=4 2>/dev/null; sleep 30"]',
            mount="/scratch",
            empty_dir="{sizeLimit: 1Mi}",
        ),
    )
    minik.wait_pod_phase(pod_name, ("Running",), 30)
    minik.kill_server()  # before the write: only the new server can see the volume grow
    minik.start_server()
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), 30)
    assert (pod["status"]["phase"], pod["status"].get("reason")) == ("Failed", "Evicted"), pod["status"]
    assert pod["status"]["conditions"][0]["type"] == "DisruptionTarget"
    minik.delete("pod", pod_name)
