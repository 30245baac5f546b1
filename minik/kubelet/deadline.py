"""A pod's ``spec.activeDeadlineSeconds``, as the kubelet's active-deadline handler.

Pure: how long a pod may still run, given its spec, its ``status.startTime``
and ``now``. The worker that kills the pod and reports it lives in the
kubelet; this module only decides. The deadline is the user's own number of
seconds, so it is not scaled by ``MINIK_TIME_SCALE`` (as the Job's own
``activeDeadlineSeconds`` is not).
"""

from __future__ import annotations

from datetime import datetime

from minik.k8s import Obj

REASON = "DeadlineExceeded"
MESSAGE = "Pod was active on the node longer than the specified deadline"


def remaining_seconds(spec: Obj, started: datetime | None, now: datetime) -> float | None:
    """Seconds left before the pod is past its active deadline; None when it has none.

    Counted from the pod's start time (upstream: ``status.startTime``); a pod
    not yet started has the whole deadline left. Zero or less means the
    deadline has passed (upstream compares ``since(start) >= deadline``).
    """
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is None:
        return None
    if started is None:
        return float(deadline)
    return float(deadline) - (now - started).total_seconds()
