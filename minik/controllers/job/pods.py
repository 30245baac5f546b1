"""Building the pod objects the Job controller creates, and choosing which
active pods to remove first.

Owns R3.1–R3.6: generated names (with the 63-character truncation), labels,
annotations, ``JOB_COMPLETION_INDEX``, hostname, ownerReference and the
tracking finalizer; and the "least progressed first" removal order of
upstream's ``controller.ActivePods``. Does not decide how many pods to create.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from minik.controllers.job import podutil
from minik.k8s import Obj, meta, parse_time

MAX_GENERATED_NAME_PREFIX = 58  # 63 − 5 random characters
INDEX_ENV = "JOB_COMPLETION_INDEX"
INDEX_FIELD_PATH = f"metadata.labels['{podutil.INDEX_KEY}']"


def name_prefix(job_name: str, index: int | None) -> str:
    """``<job>-`` or ``<job>-<index>-``, cut so the random suffix fits (R3.1)."""
    if index is None:
        return f"{job_name}-"[:MAX_GENERATED_NAME_PREFIX]
    tail = f"-{index}-"
    prefix = job_name + tail
    if len(prefix) > MAX_GENERATED_NAME_PREFIX:
        prefix = job_name[: MAX_GENERATED_NAME_PREFIX - len(tail)] + tail
    return prefix


def _add_index_env(container: Obj) -> None:
    env = container.setdefault("env", [])
    if any(e.get("name") == INDEX_ENV for e in env):
        return
    env.append(
        {"name": INDEX_ENV, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": INDEX_FIELD_PATH}}}
    )


def build_pod(
    job: Mapping[str, Any],
    *,
    index: int | None,
    extra_annotations: Mapping[str, str] | None,
    new_name: Callable[[str], str],
) -> Obj:
    """A complete pod object for ``job`` (no uid, resourceVersion or status)."""
    jm = meta(job)
    job_name = str(jm.get("name", ""))
    template = (job.get("spec") or {}).get("template") or {}
    tmeta = template.get("metadata") or {}
    labels: dict[str, str] = dict(tmeta.get("labels") or {})
    annotations: dict[str, str] = dict(tmeta.get("annotations") or {})
    spec: Obj = copy.deepcopy(template.get("spec") or {})
    finalizers = list(tmeta.get("finalizers") or [])
    if podutil.TRACKING_FINALIZER not in finalizers:
        finalizers.append(podutil.TRACKING_FINALIZER)
    if index is not None:
        labels[podutil.INDEX_KEY] = str(index)
        annotations[podutil.INDEX_KEY] = str(index)
        annotations.update(extra_annotations or {})
        for key in ("initContainers", "containers"):
            for c in spec.get(key) or []:
                _add_index_env(c)
        spec["hostname"] = f"{job_name}-{index}"
    prefix = name_prefix(job_name, index)
    metadata: Obj = {
        "name": new_name(prefix),
        "generateName": prefix,  # the controller creates with generateName; the API server picks the name
        "namespace": jm.get("namespace", "default"),
        "labels": labels,
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": job_name,
                "uid": jm.get("uid", ""),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
        "finalizers": finalizers,
    }
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def _timestamp(t: datetime | None) -> float:
    return t.timestamp() if t is not None else 0.0


def removal_order(pod: Mapping[str, Any]) -> tuple[Any, ...]:
    """Sort key: pods that sort first are deleted first (least progressed).

    Unscheduled < scheduled, Pending < Unknown < Running, not ready < ready,
    ready more recently < ready longer, more restarts first, newer first.
    """
    ready = podutil.is_ready(pod)
    ready_cond = podutil.ready_condition(pod)
    ready_since = (
        _timestamp(parse_time(ready_cond.get("lastTransitionTime"))) if ready and ready_cond else 0.0
    )
    return (
        bool((pod.get("spec") or {}).get("nodeName")),
        _PHASE_RANK.get(podutil.phase(pod), 0),
        ready,
        -ready_since,
        -podutil.restart_count(pod),
        -_timestamp(podutil.creation_time(pod)),
    )
