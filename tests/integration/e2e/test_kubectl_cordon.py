"""Real kubectl: ``cordon`` holds new pods Pending (FailedScheduling), ``uncordon`` lets them run.

A pod already running is not affected by ``cordon``; ``drain`` evicts it through the eviction API
(kubectl's ``staging/src/k8s.io/kubectl/pkg/drain/drain.go``: found through ``pods/eviction`` in
``/api/v1`` discovery, a 429 from a PodDisruptionBudget retried every 5 s, then a wait until each
evicted pod is gone).
"""

from __future__ import annotations

import json
from typing import Any

from tests.support import Minik, kubectl

MESSAGE = (
    "0/1 nodes are available: 1 node(s) were unschedulable. "
    "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
)


def pod(minik: Minik, name: str) -> dict[str, Any]:
    return dict(json.loads(kubectl(minik, "get", "pod", name, "-o", "json").stdout))


def test_cordon_holds_new_pods_and_uncordon_runs_them(minik: Minik) -> None:
    kubectl(minik, "run", "before", "--image=busybox:latest", "--restart=Never", "--", "sleep", "30")
    minik.eventually("the first pod runs", lambda: pod(minik, "before")["status"]["phase"] == "Running", 60)
    try:
        assert kubectl(minik, "cordon", "minik").stdout.strip() == "node/minik cordoned"
        node = json.loads(kubectl(minik, "get", "node", "minik", "-o", "json").stdout)
        assert node["spec"]["unschedulable"] is True
        assert {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"} in minik.eventually(
            "the taint",
            lambda: json.loads(kubectl(minik, "get", "node", "minik", "-o", "json").stdout)["spec"].get(
                "taints"
            ),
            10,
        )
        assert "SchedulingDisabled" in kubectl(minik, "get", "nodes").stdout

        kubectl(minik, "run", "held", "--image=busybox:latest", "--restart=Never", "--", "echo", "hi")

        def held_condition() -> dict[str, Any] | None:
            conds = pod(minik, "held")["status"].get("conditions") or []
            return next((c for c in conds if c["type"] == "PodScheduled"), None)

        cond = minik.eventually("the PodScheduled condition", held_condition, 30)
        assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", MESSAGE)
        held = pod(minik, "held")
        assert held["status"]["phase"] == "Pending" and not held["spec"].get("nodeName")
        events = kubectl(minik, "get", "events", "--field-selector", "involvedObject.name=held", "-o", "json")
        reasons = [(e["reason"], e["message"]) for e in json.loads(events.stdout)["items"]]
        assert ("FailedScheduling", MESSAGE) in reasons
        assert pod(minik, "before")["status"]["phase"] == "Running"  # cordon does not evict
    finally:
        assert kubectl(minik, "uncordon", "minik").stdout.strip() == "node/minik uncordoned"
    minik.eventually("the held pod runs", lambda: pod(minik, "held")["status"]["phase"] == "Succeeded", 60)
    assert pod(minik, "held")["spec"]["nodeName"] == "minik"
    kubectl(minik, "delete", "pod", "before", "held", "--grace-period=0", "--force")


DRAINED_JOB = """apiVersion: batch/v1
kind: Job
metadata:
  name: drained
spec:
  parallelism: 2
  completions: 2
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox:latest
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "trap 'exit 143' TERM; sleep 300 & wait"]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: drained
spec:
  minAvailable: 1
  selector:
    matchLabels: {job-name: drained}
"""


def test_drain_evicts_a_jobs_pods_honouring_the_budget_and_replacements_wait_for_uncordon(
    minik: Minik,
) -> None:
    kubectl(minik, "apply", "-f", "-", input=DRAINED_JOB)

    def job_pods() -> list[dict[str, Any]]:
        out = kubectl(minik, "get", "pods", "-l", "job-name=drained", "-o", "json").stdout
        return list(json.loads(out)["items"])

    def budget_allows() -> int:
        pdb = json.loads(kubectl(minik, "get", "pdb", "drained", "-o", "json").stdout)
        return int((pdb.get("status") or {}).get("disruptionsAllowed") or 0)

    minik.eventually(
        "both pods run", lambda: [p["status"]["phase"] for p in job_pods()] == ["Running"] * 2, 60
    )
    minik.eventually("the budget allows one disruption", lambda: budget_allows() == 1, 30)
    first = {p["metadata"]["name"] for p in job_pods()}
    try:
        # The budget lets one pod go; the other is refused (429) and retried until the timeout.
        res = kubectl(minik, "drain", "minik", "--ignore-daemonsets", "--timeout=7s", check=False)
        out = res.stdout + res.stderr
        assert res.returncode != 0 and "node/minik cordoned" in out, out
        assert all(f"evicting pod default/{name}" in out for name in first), out
        assert (
            "(will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget." in out
        )
        assert sum(f"pod/{name} evicted" in out for name in first) == 1, out
        assert "global timeout reached: 7s" in out, out

        # Without the budget, drain evicts the rest and waits until it is gone.
        kubectl(minik, "delete", "pdb", "drained")
        res = kubectl(
            minik, "drain", "minik", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=60s"
        )
        lines = res.stdout.splitlines()
        assert lines[0] == "node/minik already cordoned" and lines[-1] == "node/minik drained", res.stdout
        assert sum(f"pod/{name} evicted" in res.stdout for name in first) == 1, res.stdout
        on_node = kubectl(minik, "get", "pods", "-A", "--field-selector=spec.nodeName=minik", "-o", "name")
        assert not on_node.stdout.strip(), on_node.stdout

        # The evicted pods failed with DisruptionTarget; the Job's replacements wait, unschedulable.
        job = json.loads(kubectl(minik, "get", "job", "drained", "-o", "json").stdout)
        assert job["status"].get("failed") == 2, job["status"]
        replacements = minik.eventually(
            "two Pending replacements",
            lambda: [p for p in job_pods() if p["metadata"]["name"] not in first and len(job_pods()) == 2],
            30,
        )
        assert all(p["status"]["phase"] == "Pending" and not p["spec"].get("nodeName") for p in replacements)
        events = json.loads(kubectl(minik, "get", "events", "-o", "json").stdout)["items"]
        held = {e["involvedObject"]["name"] for e in events if e["reason"] == "FailedScheduling"}
        assert {p["metadata"]["name"] for p in replacements} <= held
    finally:
        kubectl(minik, "uncordon", "minik")
    minik.eventually(
        "the replacements run", lambda: [p["status"]["phase"] for p in job_pods()] == ["Running"] * 2, 60
    )
    kubectl(minik, "delete", "job", "drained")
