"""Real kubectl: ``cordon`` holds new pods Pending (FailedScheduling), ``uncordon`` lets them run.

A pod already running is not affected.
"""

from __future__ import annotations

import json
from typing import Any

from tests.integration.e2e.conftest import Minik
from tests.integration.e2e.cronjob_helpers import until
from tests.integration.e2e.test_kubectl import kubectl

MESSAGE = (
    "0/1 nodes are available: 1 node(s) were unschedulable. "
    "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
)


def pod(minik: Minik, name: str) -> dict[str, Any]:
    return dict(json.loads(kubectl(minik, "get", "pod", name, "-o", "json").stdout))


def test_cordon_holds_new_pods_and_uncordon_runs_them(minik: Minik) -> None:
    kubectl(minik, "run", "before", "--image=busybox:latest", "--restart=Never", "--", "sleep", "30")
    until("the first pod runs", lambda: pod(minik, "before")["status"]["phase"] == "Running", 60, minik)
    try:
        assert kubectl(minik, "cordon", "minik").stdout.strip() == "node/minik cordoned"
        node = json.loads(kubectl(minik, "get", "node", "minik", "-o", "json").stdout)
        assert node["spec"]["unschedulable"] is True
        assert {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"} in until(
            "the taint",
            lambda: json.loads(kubectl(minik, "get", "node", "minik", "-o", "json").stdout)["spec"].get(
                "taints"
            ),
            10,
            minik,
        )
        assert "SchedulingDisabled" in kubectl(minik, "get", "nodes").stdout

        kubectl(minik, "run", "held", "--image=busybox:latest", "--restart=Never", "--", "echo", "hi")

        def held_condition() -> dict[str, Any] | None:
            conds = pod(minik, "held")["status"].get("conditions") or []
            return next((c for c in conds if c["type"] == "PodScheduled"), None)

        cond = until("the PodScheduled condition", held_condition, 30, minik)
        assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", MESSAGE)
        held = pod(minik, "held")
        assert held["status"]["phase"] == "Pending" and not held["spec"].get("nodeName")
        events = kubectl(minik, "get", "events", "--field-selector", "involvedObject.name=held", "-o", "json")
        reasons = [(e["reason"], e["message"]) for e in json.loads(events.stdout)["items"]]
        assert ("FailedScheduling", MESSAGE) in reasons
        assert pod(minik, "before")["status"]["phase"] == "Running"  # cordon does not evict
    finally:
        assert kubectl(minik, "uncordon", "minik").stdout.strip() == "node/minik uncordoned"
    until("the held pod runs", lambda: pod(minik, "held")["status"]["phase"] == "Succeeded", 60, minik)
    assert pod(minik, "held")["spec"]["nodeName"] == "minik"
    kubectl(minik, "delete", "pod", "before", "held", "--grace-period=0", "--force")
