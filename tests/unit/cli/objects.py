"""Objects as the API serves them, for the CLI's printer and command tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from minik.k8s import Obj, rfc3339

T0 = datetime(2025, 9, 1, 10, 0, 0, tzinfo=UTC)
UID = "3f1c2a9e-5b7d-4c1e-9a0b-8d2e6f4a1b7c"


def at(seconds: float) -> str:
    return rfc3339(T0 + timedelta(seconds=seconds))


def cond(type_: str, status: str = "True", reason: str = "", message: str = "") -> Obj:
    return {"type": type_, "status": status, "reason": reason, "message": message}


def job(
    name: str,
    *,
    created: float = 0,
    start: float | None = None,
    completion: float | None = None,
    conditions: list[Obj] | None = None,
    succeeded: int = 0,
    **spec: Any,
) -> Obj:
    status: Obj = {"conditions": conditions or []}
    if succeeded:
        status["succeeded"] = succeeded
    if start is not None:
        status["startTime"] = at(start)
    if completion is not None:
        status["completionTime"] = at(completion)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "default", "uid": UID, "creationTimestamp": at(created)},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}, **spec},
        "status": status,
    }


def seed_job() -> Obj:
    """The R11 rendered example's Indexed Job, after success."""
    labels = {
        "batch.kubernetes.io/controller-uid": UID,
        "batch.kubernetes.io/job-name": "ho-indexed-seed",
        "controller-uid": UID,
        "job-name": "ho-indexed-seed",
    }
    script = "items=(foo bar baz qux xyz)\necho ${items[$JOB_COMPLETION_INDEX]} > /input/data.txt\n"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "ho-indexed-seed",
            "namespace": "default",
            "uid": UID,
            "labels": dict(labels),
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": '{"apiVersion":"batch/v1"}\n'
            },
            "creationTimestamp": at(0),
        },
        "spec": {
            "parallelism": 3,
            "completions": 5,
            "completionMode": "Indexed",
            "suspend": False,
            "backoffLimit": 6,
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "restartPolicy": "Never",
                    "initContainers": [
                        {
                            "name": "input",
                            "image": "bash",
                            "command": ["bash", "-c", script],
                            "volumeMounts": [{"mountPath": "/input", "name": "input"}],
                        }
                    ],
                    "containers": [
                        {
                            "name": "worker",
                            "image": "busybox",
                            "command": ["rev", "/input/data.txt"],
                            "volumeMounts": [{"mountPath": "/input", "name": "input"}],
                        }
                    ],
                    "volumes": [{"name": "input", "emptyDir": {}}],
                },
            },
        },
        "status": {
            "startTime": at(0),
            "completionTime": at(9),
            "succeeded": 5,
            "ready": 0,
            "completedIndexes": "0-4",
            "conditions": [cond("SuccessCriteriaMet"), cond("Complete")],
        },
    }


def event(
    reason: str,
    message: str,
    *,
    first: float,
    last: float | None = None,
    count: int = 1,
    type_: str = "Normal",
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"ev-{reason}-{first}", "namespace": "default"},
        "involvedObject": {"kind": "Job", "name": "ho-indexed-seed", "namespace": "default", "uid": UID},
        "type": type_,
        "reason": reason,
        "message": message,
        "source": {"component": "job-controller"},
        "firstTimestamp": at(first),
        "lastTimestamp": at(first if last is None else last),
        "count": count,
    }


def seed_events() -> list[Obj]:
    names = ["x7k2p", "9bq4d", "mzt5w", "r8fcl", "h2vnx"]
    out = [
        event("SuccessfulCreate", f"Created pod: ho-indexed-seed-{i}-{n}", first=0 if i < 3 else 4)
        for i, n in enumerate(names)
    ]
    out.append(event("Completed", "Job completed", first=9))
    return out


def pod(
    name: str,
    *,
    created: float = 0,
    phase: str = "Running",
    statuses: list[Obj] | None = None,
    init_statuses: list[Obj] | None = None,
    inits: int = 0,
    labels: dict[str, str] | None = None,
) -> Obj:
    spec: Obj = {"containers": [{"name": "c", "image": "busybox"}]}
    if inits:
        spec["initContainers"] = [{"name": f"init{i}", "image": "busybox"} for i in range(inits)]
    status: Obj = {"phase": phase, "containerStatuses": statuses or []}
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "creationTimestamp": at(created),
            "labels": labels or {},
        },
        "spec": spec,
        "status": status,
    }


def cstatus(
    name: str = "c", *, state: Obj, restarts: int = 0, last: Obj | None = None, ready: bool = False
) -> Obj:
    out: Obj = {"name": name, "state": state, "restartCount": restarts, "ready": ready, "image": "busybox"}
    if last is not None:
        out["lastState"] = last
    return out
