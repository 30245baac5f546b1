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


def test_drain_evicts_a_jobs_pod_and_its_replacement_waits_for_uncordon(minik: Minik) -> None:
    job = """apiVersion: batch/v1
kind: Job
metadata:
  name: drained
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox:latest
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "trap 'exit 143' TERM; sleep 2 & wait; sleep 300 & wait"]
"""
    kubectl(minik, "apply", "-f", "-", input=job)

    def job_pods() -> list[dict[str, Any]]:
        out = kubectl(minik, "get", "pods", "-l", "job-name=drained", "-o", "json").stdout
        return list(json.loads(out)["items"])

    until("the Job's pod runs", lambda: any(p["status"]["phase"] == "Running" for p in job_pods()), 60, minik)
    first = next(p["metadata"]["name"] for p in job_pods() if p["status"]["phase"] == "Running")
    try:
        res = kubectl(
            minik, "drain", "minik", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=90s"
        )
        assert f"evicting pod default/{first}" in res.stdout + res.stderr
        assert "node/minik drained" in res.stdout
        assert all(p["metadata"]["name"] != first for p in job_pods()), "the evicted pod is gone"
        replacement = until(
            "a replacement pod", lambda: [p for p in job_pods() if p["metadata"]["name"] != first], 30, minik
        )
        assert replacement[0]["status"]["phase"] == "Pending" and not replacement[0]["spec"].get("nodeName")
    finally:
        kubectl(minik, "uncordon", "minik")
    until(
        "the replacement runs", lambda: any(p["status"]["phase"] == "Running" for p in job_pods()), 60, minik
    )
    kubectl(minik, "delete", "job", "drained")
