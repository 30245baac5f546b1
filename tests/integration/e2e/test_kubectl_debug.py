"""``kubectl debug`` on minik: ephemeral containers in a running pod, and copies of a pod (issue 30).

An ephemeral container joins the pod's network namespace and, with
``--target``, the target container's process namespace; it shows in
``status.ephemeralContainerStatuses``, never restarts, and ``logs``,
``exec`` and ``attach`` reach it. ``--copy-to`` posts a Pod (protobuf), with
``--share-processes`` (kubectl's default) one process namespace for all.
"""

from __future__ import annotations

import json
from typing import Any

from tests.support.instance import Minik
from tests.support.kube import kubectl
from tests.support.polling import eventually

IMAGE = "--image=busybox:1.36"


def pod(minik: Minik, name: str) -> dict[str, Any]:
    return json.loads(kubectl(minik, "get", "pod", name, "-o", "json").stdout)


def ephemeral_status(minik: Minik, name: str, container: str) -> dict[str, Any]:
    statuses = pod(minik, name).get("status", {}).get("ephemeralContainerStatuses") or []
    return next((s for s in statuses if s["name"] == container), {})


def running_pod(minik: Minik, name: str) -> str:
    """A pod ``name`` of one container ``main`` (sleep 300), running; its IP."""
    kubectl(minik, "run", name, IMAGE, "--restart=Never", "--overrides",
            json.dumps({"spec": {"terminationGracePeriodSeconds": 1}}), "--command", "--", "sleep", "300")  # fmt: skip
    kubectl(minik, "wait", f"pod/{name}", "--for=condition=Ready", "--timeout=60s")
    return str(pod(minik, name)["status"]["podIP"])


def test_an_ephemeral_container_shares_the_pods_network_and_its_targets_processes(minik: Minik) -> None:
    ip = running_pod(minik, "web")
    script = "cat /proc/1/cmdline | tr '\\0' ' '; echo; ip -4 addr show | grep -o 'inet [0-9.]*'; sleep 4"
    res = kubectl(minik, "debug", "web", IMAGE, "-c", "dbg", "--target=web", "--profile=general",
                  "--", "sh", "-c", script)  # fmt: skip
    assert "panic" not in res.stderr
    running = eventually(
        "dbg running", lambda: ephemeral_status(minik, "web", "dbg").get("state", {}).get("running")
    )
    assert running["startedAt"]
    # exec reaches it while it runs; its PID 1 is the target's process
    assert (
        kubectl(minik, "exec", "web", "-c", "dbg", "--", "cat", "/proc/1/cmdline").stdout
        == "sleep\x00300\x00"
    )
    done = eventually(
        "dbg terminated", lambda: ephemeral_status(minik, "web", "dbg").get("state", {}).get("terminated")
    )
    assert done["exitCode"] == 0 and done["reason"] == "Completed"
    log = kubectl(minik, "logs", "web", "-c", "dbg").stdout
    assert log.splitlines()[0].strip() == "sleep 300"
    assert f"inet {ip}" in log
    # never restarted; the pod runs on, its own container untouched and Ready
    status = ephemeral_status(minik, "web", "dbg")
    assert status["restartCount"] == 0 and status["ready"] is False and "terminated" in status["state"]
    live = pod(minik, "web")
    assert live["status"]["phase"] == "Running"
    assert [s["restartCount"] for s in live["status"]["containerStatuses"]] == [0]
    assert {c["type"]: c["status"] for c in live["status"]["conditions"]}["Ready"] == "True"
    # describe shows it (kubectl's own section)
    assert "Ephemeral Containers:" in kubectl(minik, "describe", "pod", "web").stdout


def test_kubectl_debug_it_attaches_to_the_new_container_with_stdin_piped(minik: Minik) -> None:
    running_pod(minik, "shell")
    res = kubectl(minik, "debug", "-i", "shell", IMAGE, "-c", "sh1", "--target=shell", "--profile=general",
                  "--", "sh", input="echo from-debug $((6*7)); ps -o args | grep -c '^sleep 300'; exit 3\n")  # fmt: skip
    assert "from-debug 42" in res.stdout
    assert "\n1\n" in f"\n{res.stdout}"
    term = eventually(
        "sh1 ended", lambda: ephemeral_status(minik, "shell", "sh1").get("state", {}).get("terminated")
    )
    assert term["exitCode"] == 3 and ephemeral_status(minik, "shell", "sh1")["restartCount"] == 0


def test_ephemeral_containers_follow_upstreams_rules(minik: Minik) -> None:
    running_pod(minik, "rules")
    kubectl(minik, "debug", "rules", IMAGE, "-c", "d1", "--profile=general", "--", "sleep", "1")
    again = kubectl(
        minik, "debug", "rules", IMAGE, "-c", "d1", "--profile=general", "--", "true", check=False
    )
    assert again.returncode != 0
    assert 'existing ephemeral containers \\"d1\\" may not be changed' in again.stderr or (
        'existing ephemeral containers "d1" may not be changed' in again.stderr
    )
    bad_target = kubectl(minik, "debug", "rules", IMAGE, "-c", "d2", "--target=nope", "--profile=general",
                         check=False)  # fmt: skip
    assert bad_target.returncode != 0 and "targetContainerName: Not found" in bad_target.stderr


def test_debug_copy_to_shares_one_process_namespace(minik: Minik) -> None:
    running_pod(minik, "orig")
    kubectl(minik, "debug", "orig", IMAGE, "--copy-to=orig-copy", "-c", "dbg", "--profile=general",
            "--", "sleep", "300")  # fmt: skip
    copy = pod(minik, "orig-copy")
    assert copy["spec"]["shareProcessNamespace"] is True
    assert [c["name"] for c in copy["spec"]["containers"]] == ["orig", "dbg"]
    kubectl(minik, "wait", "pod/orig-copy", "--for=condition=Ready", "--timeout=60s")
    ps = kubectl(minik, "exec", "orig-copy", "-c", "dbg", "--", "ps", "-o", "args").stdout
    assert ps.count("sleep 300") == 2, ps  # its own and the copied container's
