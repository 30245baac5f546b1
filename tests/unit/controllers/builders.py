"""Small builders for Job, CronJob and pod dicts used by the controller and CLI tests (fixed ``NOW``)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from minik.controllers.job import SyncResult
from minik.controllers.job.podutil import INDEX_KEY, TRACKING_FINALIZER
from minik.k8s import Obj, rfc3339

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    """RFC 3339 time ``seconds`` from NOW (negative = in the past)."""
    return rfc3339(NOW + timedelta(seconds=seconds))


def namer() -> Callable[[str], str]:
    """Deterministic ``new_name``: prefix + 5 characters."""
    counter = itertools.count()
    return lambda prefix: f"{prefix}{next(counter):05d}"


# The controller reference every pod of ``job()`` carries, as upstream writes it.
PI_OWNER = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "name": "pi",
    "uid": "uid-1",
    "controller": True,
    "blockOwnerDeletion": True,
}


def job(name: str = "pi", *, status: Obj | None = None, meta: Obj | None = None, **spec: Any) -> Obj:
    """A defaulted batch/v1 Job (R1.x); keyword arguments override ``spec`` fields."""
    s: Obj = {
        "parallelism": 1,
        "completions": 1,
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "suspend": False,
        "manualSelector": False,
        "podReplacementPolicy": "TerminatingOrFailed",
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "uid-1"}},
        "template": {
            "metadata": {"labels": {"batch.kubernetes.io/controller-uid": "uid-1", "job-name": name}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox"}]},
        },
    }
    for k, v in spec.items():
        if v is None:
            s.pop(k, None)
        else:
            s[k] = v
    m: Obj = {"name": name, "namespace": "default", "uid": "uid-1", "creationTimestamp": at(-600)}
    m.update(meta or {})
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": m, "spec": s, "status": status or {}}


def pod(
    name: str,
    phase: str = "Running",
    *,
    index: int | None = None,
    finalizer: bool = True,
    deleted: float | None = None,
    ready: bool = False,
    exit_code: int | None = None,
    container: str = "main",
    finished: float | None = None,
    restarts: int = 0,
    conditions: list[Obj] | None = None,
    annotations: dict[str, str] | None = None,
    created: float = -300,
    node: str | None = "minik",
) -> Obj:
    """A pod of job ``pi``; ``finished``/``deleted``/``created`` are offsets from NOW in seconds."""
    ann = dict(annotations or {})
    labels = {"batch.kubernetes.io/controller-uid": "uid-1", "job-name": "pi"}
    if index is not None:
        ann[INDEX_KEY] = str(index)
        labels[INDEX_KEY] = str(index)
    md: Obj = {
        "name": name,
        "namespace": "default",
        "uid": f"uid-{name}",
        "labels": labels,
        "annotations": ann,
        "creationTimestamp": at(created),
        "ownerReferences": [{"kind": "Job", "name": "pi", "uid": "uid-1", "controller": True}],
        "finalizers": [TRACKING_FINALIZER] if finalizer else [],
    }
    if deleted is not None:
        md["deletionTimestamp"] = at(deleted)
        md["deletionGracePeriodSeconds"] = 0
    state: Obj = {"running": {"startedAt": at(created)}}
    if phase in ("Succeeded", "Failed"):
        code = exit_code if exit_code is not None else (0 if phase == "Succeeded" else 1)
        state = {
            "terminated": {"exitCode": code, "finishedAt": at(finished if finished is not None else -60)}
        }
    conds = list(conditions or [])
    conds.append({"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": at(created)})
    status: Obj = {
        "phase": phase,
        "conditions": conds,
        "containerStatuses": [{"name": container, "restartCount": restarts, "state": state}],
    }
    spec: Obj = {"containers": [{"name": container, "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec, "status": status}


def apply(result: SyncResult, the_job: Obj, pods: list[Obj], now: datetime = NOW) -> tuple[Obj, list[Obj]]:
    """What the executor and store do with a result: the state the next sync sees."""
    new_job = copy.deepcopy(the_job)
    new_job["status"] = copy.deepcopy(result.status)
    out = [copy.deepcopy(p) for p in pods]
    by_name = {p["metadata"]["name"]: p for p in out}
    for n in result.finalize:
        fin = by_name[n]["metadata"]["finalizers"]
        by_name[n]["metadata"]["finalizers"] = [f for f in fin if f != TRACKING_FINALIZER]
    for n in result.delete:
        by_name[n]["metadata"]["deletionTimestamp"] = rfc3339(now)
    for created in result.create:
        p = copy.deepcopy(created)
        p["metadata"]["creationTimestamp"] = rfc3339(now)
        p["status"] = {"phase": "Pending"}
        out.append(p)
    kept = []
    for p in out:
        m = p["metadata"]
        gone = (
            m.get("deletionTimestamp")
            and not m.get("finalizers")
            and p["status"].get("phase") in ("Succeeded", "Failed")
        )
        if not gone:
            kept.append(p)
    return new_job, kept


def cronjob(
    *,
    created: datetime,
    status: Obj | None = None,
    meta: Obj | None = None,
    template: Obj | None = None,
    **spec: Any,
) -> Obj:
    """A CronJob ``cj`` made at ``created``: every minute, Allow, history 3/1, not suspended.

    ``template`` replaces the jobTemplate's pod spec (one Never container
    ``c``); ``spec`` overrides the CronJob's spec fields, ``meta`` its metadata.
    """
    pod_spec = template or {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}
    s: Obj = {
        "schedule": "* * * * *",
        "concurrencyPolicy": "Allow",
        "suspend": False,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 1,
        "jobTemplate": {
            "metadata": {"labels": {"app": "hello"}, "annotations": {"team": "a"}},
            "spec": {"template": {"spec": pod_spec}},
        },
    }
    s.update(spec)
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": "cj",
            "namespace": "default",
            "uid": "cj-uid",
            "creationTimestamp": rfc3339(created),
            **(meta or {}),
        },
        "spec": s,
        "status": status or {},
    }
