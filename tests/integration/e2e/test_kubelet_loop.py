"""Pod updates the one kubelet loop honours on every path (issue 28), through real kubectl.

- A graceful delete, then a force delete of the same pod: the force delete
  cuts the grace short, and an unrelated pod created meanwhile starts at
  once (one pod's stop never holds another's start).
- ``activeDeadlineSeconds`` set on a running pod is honoured.
- A new ``image`` for a running container restarts it in the same pod
  (``Container c definition changed, will be restarted``).
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

Minik = Any

SLEEPER = """
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: {grace}
  restartPolicy: {policy}
  containers:
  - name: c
    image: {image}
    command: ["sh", "-c", "trap '' TERM; echo up; while true; do sleep 1; done"]
"""


def kubectl(m: Minik, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        ["kubectl", "--kubeconfig", str(m.home / "kubeconfig"), *args],
        capture_output=True, text=True, input=input, timeout=120, check=False,
    )  # fmt: skip
    assert res.returncode == 0, f"kubectl {' '.join(args)}: {res.stdout}\n{res.stderr}"
    return res


def pod(m: Minik, name: str) -> dict[str, Any]:
    return json.loads(kubectl(m, "get", "pod", name, "-o", "json").stdout)  # type: ignore[no-any-return]


def until(what: str, check: Any, timeout: float) -> float:
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < timeout, f"timed out waiting for {what}"
        time.sleep(0.1)
    return time.monotonic() - began


def test_a_force_delete_cuts_a_graceful_one_short_and_never_holds_another_pods_start(minik: Minik) -> None:
    kubectl(
        minik,
        "apply",
        "-f",
        "-",
        input=SLEEPER.format(name="slow", policy="Never", image="busybox:1.36", grace=30),
    )
    kubectl(minik, "wait", "--for=condition=Ready", "pod/slow", "--timeout=60s")
    kubectl(minik, "delete", "pod", "slow", "--grace-period=20", "--wait=false")
    time.sleep(1)
    began = time.monotonic()
    kubectl(minik, "delete", "pod", "slow", "--grace-period=0", "--force")
    kubectl(
        minik,
        "apply",
        "-f",
        "-",
        input=SLEEPER.format(name="next", policy="Never", image="busybox:1.36", grace=2),
    )
    kubectl(minik, "wait", "--for=condition=Ready", "pod/next", "--timeout=60s")
    assert time.monotonic() - began < 8, "the next pod waited for the first one's grace period"
    gone = subprocess.run(
        ["docker", "ps", "-q", "--filter", f"label=minik.io/instance={minik.instance}", "--filter", "name=-slow-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert not gone.stdout.strip(), "the force-deleted pod's container still runs"
    kubectl(minik, "delete", "pod", "next", "--grace-period=0", "--force")


def test_an_active_deadline_set_on_a_running_pod_is_honoured(minik: Minik) -> None:
    kubectl(
        minik,
        "apply",
        "-f",
        "-",
        input=SLEEPER.format(name="late", policy="Never", image="busybox:1.36", grace=2),
    )
    kubectl(minik, "wait", "--for=condition=Ready", "pod/late", "--timeout=60s")
    kubectl(minik, "patch", "pod", "late", "--type=merge", "-p", '{"spec":{"activeDeadlineSeconds":1}}')
    until("the deadline to fail the pod", lambda: pod(minik, "late")["status"].get("phase") == "Failed", 60)
    assert pod(minik, "late")["status"].get("reason") == "DeadlineExceeded"
    kubectl(minik, "delete", "pod", "late", "--grace-period=0", "--force")


def test_a_new_image_restarts_the_container_in_the_same_pod(minik: Minik) -> None:
    kubectl(
        minik,
        "apply",
        "-f",
        "-",
        input=SLEEPER.format(name="img", policy="Never", image="busybox:1.36", grace=2),
    )
    kubectl(minik, "wait", "--for=condition=Ready", "pod/img", "--timeout=60s")
    kubectl(minik, "patch", "pod", "img", "--type=json", "-p",
            '[{"op":"replace","path":"/spec/containers/0/image","value":"busybox:latest"}]')  # fmt: skip

    def restarted() -> bool:
        s = (pod(minik, "img")["status"].get("containerStatuses") or [{}])[0]
        return s.get("restartCount") == 1 and "running" in (s.get("state") or {})

    until("the container to run the new image", restarted, 90)
    s = pod(minik, "img")["status"]
    assert s["phase"] == "Running" and s["containerStatuses"][0]["image"] == "busybox:latest"
    events = kubectl(
        minik, "get", "events", "--field-selector", "involvedObject.name=img", "-o", "json"
    ).stdout
    assert "Container c definition changed, will be restarted" in events
    kubectl(minik, "delete", "pod", "img", "--grace-period=0", "--force")
