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

from tests.support import Minik, kubectl

SLEEPER = """
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: {grace}
  restartPolicy: Never
  containers:
  - name: c
    image: busybox:1.36
    command: ["sh", "-c", "trap '' TERM; echo up; while true; do sleep 1; done"]
"""


def start_sleeper(m: Minik, name: str, *, grace: int = 2) -> None:
    """A pod whose container ignores SIGTERM, applied with kubectl; returns once it is Ready."""
    kubectl(m, "apply", "-f", "-", input=SLEEPER.format(name=name, grace=grace))
    kubectl(m, "wait", "--for=condition=Ready", f"pod/{name}", "--timeout=60s")


def pod(m: Minik, name: str) -> dict[str, Any]:
    return json.loads(kubectl(m, "get", "pod", name, "-o", "json").stdout)  # type: ignore[no-any-return]


def test_a_force_delete_cuts_a_graceful_one_short_and_never_holds_another_pods_start(minik: Minik) -> None:
    start_sleeper(minik, "slow", grace=30)
    kubectl(minik, "delete", "pod", "slow", "--grace-period=20", "--wait=false")
    time.sleep(1)
    began = time.monotonic()
    kubectl(minik, "delete", "pod", "slow", "--grace-period=0", "--force")
    start_sleeper(minik, "next")
    assert time.monotonic() - began < 8, "the next pod waited for the first one's grace period"
    gone = subprocess.run(
        ["docker", "ps", "-q", "--filter", f"label=minik.io/instance={minik.instance}", "--filter", "name=-slow-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert not gone.stdout.strip(), "the force-deleted pod's container still runs"
    kubectl(minik, "delete", "pod", "next", "--grace-period=0", "--force")


def test_an_active_deadline_set_on_a_running_pod_is_honoured(minik: Minik) -> None:
    start_sleeper(minik, "late")
    kubectl(minik, "patch", "pod", "late", "--type=merge", "-p", '{"spec":{"activeDeadlineSeconds":1}}')
    minik.eventually(
        "the deadline to fail the pod", lambda: pod(minik, "late")["status"].get("phase") == "Failed", 60
    )
    assert pod(minik, "late")["status"].get("reason") == "DeadlineExceeded"
    kubectl(minik, "delete", "pod", "late", "--grace-period=0", "--force")


def test_a_new_image_restarts_the_container_in_the_same_pod(minik: Minik) -> None:
    start_sleeper(minik, "img")
    kubectl(minik, "patch", "pod", "img", "--type=json", "-p",
            '[{"op":"replace","path":"/spec/containers/0/image","value":"busybox:latest"}]')  # fmt: skip

    def restarted() -> bool:
        s = (pod(minik, "img")["status"].get("containerStatuses") or [{}])[0]
        return s.get("restartCount") == 1 and "running" in (s.get("state") or {})

    minik.eventually("the container to run the new image", restarted, 90)
    s = pod(minik, "img")["status"]
    assert s["phase"] == "Running" and s["containerStatuses"][0]["image"] == "busybox:latest"
    events = kubectl(
        minik, "get", "events", "--field-selector", "involvedObject.name=img", "-o", "json"
    ).stdout
    assert "Container c definition changed, will be restarted" in events
    kubectl(minik, "delete", "pod", "img", "--grace-period=0", "--force")
