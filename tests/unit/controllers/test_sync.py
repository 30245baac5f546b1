"""Table-driven scenarios for ``sync_job``: counting, creating, failing, succeeding, suspending."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from minik.controllers.job import sync_job
from minik.controllers.job.backoff import BackoffRecord
from minik.controllers.job.podutil import INDEX_KEY
from minik.k8s import Obj
from tests.unit.controllers.builders import NOW, at, job, namer, pod

FJ = "FailJob"


def pfp(action: str, **req: Any) -> Obj:
    """A podFailurePolicy with one onExitCodes rule."""
    return {"rules": [{"action": action, "onExitCodes": {"operator": "In", "values": [42], **req}}]}


def failing_by_policy(policy: Obj, **spec: Any) -> Obj:
    """A started Job with this podFailurePolicy (which needs podReplacementPolicy Failed)."""
    return job(podFailurePolicy=policy, podReplacementPolicy="Failed", status=STARTED, **spec)


def cond(ctype: str, status: str = "True", reason: str = "", message: str = "", t: float = -10) -> Obj:
    return {
        "type": ctype,
        "status": status,
        "reason": reason,
        "message": message,
        "lastProbeTime": at(t),
        "lastTransitionTime": at(t),
    }


BL = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DL = ("DeadlineExceeded", "Job was active longer than specified deadline")
CR = ("CompletionsReached", "Reached expected number of succeeded pods")
STARTED = {"startTime": at(-120)}


def started(**status: Any) -> Obj:
    """The status of a Job that started two minutes ago, with these fields besides."""
    return {**STARTED, **status}


def indexed(**spec: Any) -> Obj:
    """A Job with completionMode Indexed."""
    return job(completionMode="Indexed", **spec)


def failure_count(n: int) -> Obj:
    """The annotation that carries how many times a pod's index failed before (backoffLimitPerIndex)."""
    return {"batch.kubernetes.io/job-index-failure-count": str(n)}


def restarting_in_place(*, backoff_limit: int) -> Obj:
    """A started one-pod Job whose pod restarts its container in place (restartPolicy OnFailure)."""
    template = {"metadata": {}, "spec": {"restartPolicy": "OnFailure", "containers": [{"name": "main"}]}}
    return job(completions=1, backoffLimit=backoff_limit, status=STARTED, template=template)


@dataclass
class S:
    """One scenario: input, and the parts of the result it pins down."""

    name: str
    job: Obj
    pods: list[Obj] = field(default_factory=list)
    create: list[int | None] | None = None  # indexes (None for NonIndexed) of created pods
    delete: list[str] | None = None
    finalize: list[str] | None = None
    status: Obj = field(default_factory=dict)  # subset
    absent: tuple[str, ...] = ()
    conditions: list[tuple[str, str, str]] | None = None
    events: list[tuple[str, str]] | None = None
    requeue: float | str | None = "any"
    delete_job: bool = False
    time_scale: float = 1.0
    backoff: BackoffRecord | None = None  # the record the previous syncs left


# A Job that reached its backoffLimit: FailureTarget is set, Failed is not yet.
BACKOFF_TARGET_SET = {
    **STARTED,
    "failed": 2,
    "conditions": [cond("FailureTarget", reason=BL[0], message=BL[1])],
}

SCENARIOS = [
    # -- counting and creating (R4) ------------------------------------------------------
    S(
        "new job creates parallelism pods and sets startTime",
        job(completions=5, parallelism=2),
        create=[None, None],
        status={"startTime": at(0), "active": 2, "ready": 0, "terminating": 0, "uncountedTerminatedPods": {}},
        absent=("succeeded", "failed", "conditions", "completionTime", "completedIndexes", "failedIndexes"),
        events=[("Normal", "SuccessfulCreate"), ("Normal", "SuccessfulCreate")],
        requeue=None,
    ),
    S(
        "too few active pods",
        job(completions=5, parallelism=3, status=STARTED),
        [pod("a")],
        create=[None, None],
        status={"active": 3, "startTime": at(-120)},
    ),
    S(
        "parallelism above remaining completions creates only the remaining",
        job(completions=3, parallelism=5, status=started(succeeded=2)),
        [pod("a", "Succeeded", finalizer=False), pod("b", "Succeeded", finalizer=False)],
        create=[None],
        status={"succeeded": 2, "active": 1},
    ),
    S(
        "too many active pods: least progressed deleted first and not counted failed",
        job(completions=5, parallelism=1, status=STARTED),
        [pod("a", ready=True), pod("b", "Pending", node=None)],
        create=[],
        delete=["b"],
        finalize=["b"],
        status={"active": 1, "ready": 1, "terminating": 1},
        absent=("failed",),
        events=[("Normal", "SuccessfulDelete")],
    ),
    S(
        "parallelism 0 runs nothing and the job is not finished",
        job(completions=2, parallelism=0),
        create=[],
        status={"startTime": at(0)},
        absent=("conditions", "active"),
    ),
    S(
        "completions 0 finishes at once with both success conditions",
        job(completions=0, parallelism=1),
        create=[],
        conditions=[("SuccessCriteriaMet", "True", CR[0]), ("Complete", "True", CR[0])],
        status={"completionTime": at(0), "startTime": at(0)},
        events=[("Normal", "Completed")],
    ),
    S(
        "succeeded pod is counted, finalized and replaced",
        job(completions=2, status=STARTED),
        [pod("a", "Succeeded")],
        create=[None],
        finalize=["a"],
        status={"succeeded": 1, "active": 1},
    ),
    S(
        "pods counted before (no finalizer) are not counted again",
        job(completions=3, status=started(succeeded=1, failed=1)),
        [
            pod("a", "Succeeded", finalizer=False),
            pod("f", "Failed", finalizer=False, finished=-900),
            pod("b"),
        ],
        create=[],
        finalize=[],
        status={"succeeded": 1, "failed": 1, "active": 1},
    ),
    S(
        "job completes when all completions succeeded",
        job(completions=1, status=STARTED),
        [pod("a", "Succeeded")],
        create=[],
        finalize=["a"],
        conditions=[("SuccessCriteriaMet", "True", CR[0]), ("Complete", "True", CR[0])],
        status={"succeeded": 1, "completionTime": at(0), "ready": 0, "terminating": 0},
        absent=("active",),
        events=[("Normal", "Completed")],
    ),
    S(
        "more successes than completions warns TooManySucceededPods",
        job(completions=1, parallelism=2, status=STARTED),
        [pod("a", "Succeeded"), pod("b", "Succeeded")],
        status={"succeeded": 2},
        events=[("Warning", "TooManySucceededPods"), ("Normal", "Completed")],
    ),
    S(
        "ready counts active pods with Ready=True",
        job(completions=3, parallelism=3, status=STARTED),
        [pod("a", ready=True), pod("b", ready=True), pod("c")],
        create=[],
        status={"active": 3, "ready": 2},
    ),
    S(
        "at most 500 pods are created per sync",
        job(completions=1000, parallelism=800),
        status={"active": 500},
    ),
    # -- work queue (R4.3) ---------------------------------------------------------------
    S(
        "work queue: parallelism pods before any success",
        job(completions=None, parallelism=3),
        create=[None, None, None],
    ),
    S(
        "work queue: no new pods after first success",
        job(completions=None, parallelism=3, status=STARTED),
        [pod("a", "Succeeded"), pod("b"), pod("c", "Failed", finished=-900)],
        create=[],
        finalize=["a", "c"],
        status={"succeeded": 1, "failed": 1, "active": 1},
        absent=("conditions",),
    ),
    S(
        "work queue: complete once succeeded and nothing active",
        job(completions=None, parallelism=2, status=started(succeeded=1)),
        [pod("a", "Succeeded", finalizer=False), pod("b", "Succeeded")],
        create=[],
        conditions=[("SuccessCriteriaMet", "True", CR[0]), ("Complete", "True", CR[0])],
        status={"succeeded": 2},
        events=[("Normal", "Completed")],
    ),
    S(
        "work queue: failure after the first success still counts toward backoffLimit",
        job(completions=None, parallelism=2, backoffLimit=0, status=started(succeeded=1)),
        [pod("a", "Succeeded", finalizer=False), pod("b", "Failed")],
        conditions=[("FailureTarget", "True", BL[0]), ("Failed", "True", BL[0])],
        status={"failed": 1},
    ),
    # -- failures and backoff (R4.6, R6.4) -------------------------------------------
    S(
        "failed pod is counted, finalized and kept, replacement after backoff",
        job(completions=1, status=STARTED),
        [pod("a", "Failed", finished=-60)],
        create=[None],
        delete=[],
        finalize=["a"],
        status={"failed": 1, "active": 1},
    ),
    S(
        "pod-failure backoff delays the replacement 10 s after the first failure",
        job(completions=1, status=STARTED),
        [pod("a", "Failed", finished=-3)],
        create=[],
        finalize=["a"],
        status={"failed": 1},
        absent=("active",),
        requeue=7.0,
    ),
    S(
        "backoff doubles with each failure since the last success",
        job(completions=1, status=started(failed=3)),
        [pod(n, "Failed", finalizer=False, finished=f) for n, f in (("a", -100), ("b", -50), ("c", -5))],
        create=[],
        requeue=35.0,
        backoff=BackoffRecord(3, NOW + timedelta(seconds=-5)),
    ),
    S(
        "backoff is scaled by time_scale",
        job(completions=1, status=STARTED),
        [pod("a", "Failed", finished=0)],
        create=[],
        requeue=1.0,
        time_scale=0.1,
    ),
    S(
        "backoff is capped at ten minutes",
        job(completions=1, backoffLimit=20, status=started(failed=10)),
        [pod(f"p{i}", "Failed", finalizer=False, finished=-i) for i in range(10)],
        create=[],
        requeue=600.0,
        backoff=BackoffRecord(10, NOW),
    ),
    S(
        "a success resets the backoff",
        job(completions=2, status=started(failed=2, succeeded=1)),
        [
            pod("a", "Failed", finalizer=False, finished=-20),
            pod("b", "Failed", finalizer=False, finished=-15),
            pod("c", "Succeeded", finalizer=False, finished=-5),
        ],
        create=[None],
    ),
    S(
        "backoffLimit 0 fails on first failed pod",
        job(completions=2, parallelism=2, backoffLimit=0, status=STARTED),
        [pod("a", "Failed"), pod("b", ready=True)],
        create=[],
        delete=["b"],
        finalize=["a", "b"],
        conditions=[("FailureTarget", "True", BL[0])],
        status={"failed": 2, "terminating": 1, "ready": 0},
        absent=("active", "completionTime"),
        events=[("Normal", "SuccessfulDelete")],
    ),
    S(
        "backoffLimit 1 tolerates one failure",
        job(completions=1, backoffLimit=1, status=STARTED),
        [pod("a", "Failed", finished=-60)],
        create=[None],
        absent=("conditions",),
    ),
    S(
        "backoffLimit 1 fails on the second failed pod",
        job(completions=1, backoffLimit=1, status=started(failed=1)),
        [pod("a", "Failed", finalizer=False, finished=-90), pod("b", "Failed")],
        create=[],
        conditions=[("FailureTarget", "True", BL[0]), ("Failed", "True", BL[0])],
        status={"failed": 2},
        events=[("Warning", "BackoffLimitExceeded")],
    ),
    S(
        "FailureTarget waits while killed pods are terminating",
        job(completions=1, status=BACKOFF_TARGET_SET),
        [pod("a", deleted=-1, finalizer=False)],
        create=[],
        conditions=[("FailureTarget", "True", BL[0])],
        status={"terminating": 1, "failed": 2},
        events=[],
    ),
    S(
        "Failed follows FailureTarget with the same reason once no pod is terminating",
        job(completions=1, status=BACKOFF_TARGET_SET),
        [pod("a", "Failed", finalizer=False)],
        create=[],
        conditions=[("FailureTarget", "True", BL[0]), ("Failed", "True", BL[0])],
        absent=("completionTime",),
        events=[("Warning", "BackoffLimitExceeded")],
    ),
    S(
        "OnFailure restarts reaching backoffLimit fail the Job",
        restarting_in_place(backoff_limit=2),
        [pod("a", restarts=2)],
        delete=["a"],
        finalize=["a"],
        conditions=[("FailureTarget", "True", BL[0])],
        status={"failed": 1},
    ),
    S(
        "OnFailure restarts below backoffLimit keep running",
        restarting_in_place(backoff_limit=3),
        [pod("a", restarts=2)],
        create=[],
        delete=[],
        absent=("conditions",),
    ),
    S(
        "OnFailure with backoffLimit 0 fails on the first restart",
        restarting_in_place(backoff_limit=0),
        [pod("a", restarts=1)],
        conditions=[("FailureTarget", "True", BL[0])],
    ),
    # -- deadline (R6.12) ------------------------------------------------------------
    S(
        "activeDeadlineSeconds requeues at the deadline",
        job(completions=1, activeDeadlineSeconds=100, status={"startTime": at(-30)}),
        [pod("a")],
        requeue=70.0,
    ),
    S(
        "activeDeadlineSeconds exceeded fails with DeadlineExceeded and kills running pods",
        job(completions=2, parallelism=2, activeDeadlineSeconds=100, status={"startTime": at(-100)}),
        [pod("a"), pod("b", "Succeeded")],
        delete=["a"],
        finalize=["a", "b"],
        conditions=[("FailureTarget", "True", DL[0])],
        status={"failed": 1, "succeeded": 1, "terminating": 1},
    ),
    S(
        "a suspended job never hits its deadline",
        job(completions=1, activeDeadlineSeconds=10, suspend=True, status={"startTime": at(-100)}),
        absent=("failed",),
        conditions=[("Suspended", "True", "JobSuspended")],
        requeue=None,
    ),
    # -- terminating pods (R4.5) -----------------------------------------------------
    S(
        "terminating pod counts as failed at once with TerminatingOrFailed and is replaced",
        job(completions=1, status=STARTED),
        [pod("a", deleted=-60)],
        create=[None],
        finalize=["a"],
        status={"failed": 1, "terminating": 1, "active": 1},
    ),
    S(
        "terminating pod already counted is not counted again",
        job(completions=1, status=started(failed=1)),
        [pod("a", deleted=-60, finalizer=False), pod("b")],
        create=[],
        finalize=[],
        status={"failed": 1, "terminating": 1, "active": 1},
    ),
    S(
        "podReplacementPolicy Failed waits for terminating pods",
        job(completions=1, podReplacementPolicy="Failed", status=STARTED),
        [pod("a", deleted=-60)],
        create=[],
        finalize=[],
        status={"terminating": 1},
        absent=("failed",),
    ),
    # -- suspend / resume (R7) -------------------------------------------------------
    S(
        "created suspended: no pods, no startTime, Suspended condition",
        job(completions=1, suspend=True),
        create=[],
        absent=("startTime",),
        conditions=[("Suspended", "True", "JobSuspended")],
        events=[("Normal", "Suspended")],
    ),
    S(
        "suspending a running job deletes active pods without counting them",
        job(completions=2, parallelism=2, suspend=True, status=STARTED),
        [pod("a", ready=True), pod("b")],
        delete=["b", "a"],
        finalize=["b", "a"],
        status={"terminating": 2, "ready": 0, "startTime": at(-120)},
        absent=("failed", "active"),
        conditions=[("Suspended", "True", "JobSuspended")],
        events=[("Normal", "SuccessfulDelete"), ("Normal", "SuccessfulDelete"), ("Normal", "Suspended")],
    ),
    S(
        "resuming sets Suspended False JobResumed and resets startTime",
        job(
            completions=1,
            status={
                "startTime": at(-500),
                "conditions": [cond("Suspended", reason="JobSuspended", message="Job suspended")],
            },
        ),
        create=[None],
        status={"startTime": at(0)},
        conditions=[("Suspended", "False", "JobResumed")],
        events=[("Normal", "SuccessfulCreate"), ("Normal", "Resumed")],
    ),
    S(
        "a suspended job already marked records no new event",
        job(
            completions=1,
            suspend=True,
            status={"conditions": [cond("Suspended", reason="JobSuspended", message="Job suspended")]},
        ),
        events=[],
    ),
    # -- podFailurePolicy (R6.7, R6.8) ----------------------------------------------
    S(
        "FailJob on an exit code fails the Job naming container, pod and rule",
        failing_by_policy(pfp(FJ), completions=2, parallelism=2),
        [pod("a", "Failed", exit_code=42), pod("b")],
        delete=["b"],
        conditions=[("FailureTarget", "True", "PodFailurePolicy")],
        status={"failed": 2},
    ),
    S(
        "Ignore does not count the failure but still feeds the backoff",
        failing_by_policy(pfp("Ignore"), completions=1, backoffLimit=0),
        [pod("a", "Failed", exit_code=42, finished=-2)],
        create=[],
        finalize=["a"],
        absent=("failed", "conditions"),
        requeue=8.0,
    ),
    S(
        "Count rule is default handling",
        failing_by_policy(pfp("Count"), completions=1, backoffLimit=0),
        [pod("a", "Failed", exit_code=42)],
        conditions=[("FailureTarget", "True", BL[0]), ("Failed", "True", BL[0])],
        status={"failed": 1},
    ),
    S(
        "onPodConditions FailJob",
        failing_by_policy(
            {"rules": [{"action": FJ, "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]},
            completions=1,
        ),
        [pod("a", "Failed", conditions=[{"type": "DisruptionTarget", "status": "True"}])],
        conditions=[("FailureTarget", "True", "PodFailurePolicy"), ("Failed", "True", "PodFailurePolicy")],
    ),
    S(
        "FailJob wins over backoffLimit",
        failing_by_policy(pfp(FJ), completions=1, backoffLimit=0),
        [pod("a", "Failed", exit_code=42)],
        conditions=[("FailureTarget", "True", "PodFailurePolicy"), ("Failed", "True", "PodFailurePolicy")],
    ),
    # -- Indexed (R3.8, R5.1, R8.8) --------------------------------------------------
    S(
        "indexed job creates the lowest pending indexes",
        indexed(completions=3, parallelism=2),
        create=[0, 1],
        absent=("completedIndexes", "failedIndexes"),
    ),
    S(
        "indexed: succeeded and active indexes are skipped",
        indexed(completions=5, parallelism=3, status=started(succeeded=1, completedIndexes="0")),
        [pod("a", "Succeeded", index=0, finalizer=False), pod("c", index=2)],
        create=[1, 3],
        status={"completedIndexes": "0", "succeeded": 1, "active": 3},
    ),
    S(
        "indexed: an extra success of a completed index is not counted",
        indexed(completions=3, parallelism=1, status=started(succeeded=1, completedIndexes="0")),
        [pod("a", "Succeeded", index=0, finalizer=False), pod("b", "Succeeded", index=0), pod("c", index=1)],
        finalize=["b"],
        status={"completedIndexes": "0", "succeeded": 1},
    ),
    S(
        "indexed: duplicate active pods of one index are deleted keeping one",
        indexed(completions=2, parallelism=2, status=STARTED),
        [pod("a", index=0, ready=True), pod("b", index=0), pod("c", index=1)],
        create=[],
        delete=["b"],
        finalize=["b"],
    ),
    S(
        "indexed: a pod with an index out of range is deleted",
        indexed(completions=2, parallelism=2, status=STARTED),
        [pod("a", index=0), pod("b", index=1), pod("z", index=7)],
        create=[],
        delete=["z"],
    ),
    S(
        "two consecutive indexes render as 1,2",
        indexed(completions=5, parallelism=1, status=STARTED),
        [pod("a", "Succeeded", index=1), pod("b", "Succeeded", index=2), pod("c", index=0)],
        status={"completedIndexes": "1,2", "succeeded": 2},
    ),
    S(
        "three consecutive indexes render as a range",
        indexed(completions=5, parallelism=1, status=started(completedIndexes="0,2", succeeded=2)),
        [pod("b", "Succeeded", index=1), pod("c", index=4)],
        status={"completedIndexes": "0-2", "succeeded": 3},
    ),
    S(
        "indexed completes when every index succeeded",
        indexed(completions=2, parallelism=2, status=started(completedIndexes="0", succeeded=1)),
        [pod("a", "Succeeded", index=0, finalizer=False), pod("b", "Succeeded", index=1)],
        conditions=[("SuccessCriteriaMet", "True", CR[0]), ("Complete", "True", CR[0])],
        status={"completedIndexes": "0,1", "succeeded": 2},
    ),
    # -- backoffLimitPerIndex (R6.9–R6.11) -------------------------------------------
    S(
        "per index: a failed pod waits for its replacement before being counted",
        indexed(completions=1, backoffLimitPerIndex=1, backoffLimit=2**31 - 1, status=STARTED),
        [pod("a", "Failed", index=0, finished=-60, annotations=failure_count(0))],
        create=[0],
        finalize=[],
        status={"failedIndexes": ""},
        absent=("failed",),
    ),
    S(
        "per index: once the replacement exists the failed pod is counted",
        indexed(completions=1, backoffLimitPerIndex=1, status=started(failedIndexes="")),
        [
            pod("a", "Failed", index=0, finished=-60, annotations=failure_count(0)),
            pod("b", index=0, annotations=failure_count(1)),
        ],
        create=[],
        finalize=["a"],
        status={"failed": 1, "failedIndexes": ""},
    ),
    S(
        "per index: index fails at backoffLimitPerIndex and the others continue",
        indexed(completions=3, parallelism=3, backoffLimitPerIndex=1, status=started(failed=1)),
        [pod("a", "Failed", index=0, annotations=failure_count(1))],
        create=[1, 2],
        finalize=["a"],
        status={"failed": 2, "failedIndexes": "0"},
        absent=("conditions",),
    ),
    S(
        "FailIndex marks index failed and continues",
        indexed(
            completions=2,
            parallelism=2,
            backoffLimitPerIndex=3,
            podReplacementPolicy="Failed",
            podFailurePolicy=pfp("FailIndex"),
            status=STARTED,
        ),
        [pod("a", "Failed", index=0, exit_code=42), pod("b", index=1)],
        create=[],
        finalize=["a"],
        status={"failed": 1, "failedIndexes": "0", "active": 1},
        absent=("conditions",),
    ),
    S(
        "maxFailedIndexes exceeded fails the Job",
        indexed(completions=3, parallelism=3, backoffLimitPerIndex=0, maxFailedIndexes=0, status=STARTED),
        [pod("a", "Failed", index=0), pod("b", index=1), pod("c", index=2)],
        delete=["b", "c"],
        conditions=[("FailureTarget", "True", "MaxFailedIndexesExceeded")],
        status={"failed": 3, "failedIndexes": "0"},
    ),
    S(
        "all indexes finished with some failed: FailedIndexes",
        indexed(
            completions=2,
            parallelism=2,
            backoffLimitPerIndex=0,
            status=started(completedIndexes="1", succeeded=1),
        ),
        [pod("a", "Failed", index=0), pod("b", "Succeeded", index=1, finalizer=False)],
        conditions=[("FailureTarget", "True", "FailedIndexes"), ("Failed", "True", "FailedIndexes")],
        status={"failedIndexes": "0", "completedIndexes": "1"},
        events=[("Warning", "FailedIndexes")],
    ),
    S(
        "per index: backoff delays only that index",
        indexed(completions=1, backoffLimitPerIndex=2, status=STARTED),
        [pod("a", "Failed", index=0, finished=-3, annotations=failure_count(0))],
        create=[],
        requeue=7.0,
    ),
    # -- success policy (R5.5) -------------------------------------------------------
    S(
        "successPolicy succeededIndexes met: SuccessCriteriaMet and remaining pods deleted uncounted",
        indexed(
            completions=3,
            parallelism=3,
            status=STARTED,
            successPolicy={"rules": [{"succeededIndexes": "0"}]},
        ),
        [pod("a", "Succeeded", index=0), pod("b", index=1), pod("c", index=2)],
        create=[],
        delete=["b", "c"],
        finalize=["a", "b", "c"],
        conditions=[("SuccessCriteriaMet", "True", "SuccessPolicy")],
        status={"succeeded": 1, "completedIndexes": "0", "terminating": 2},
        absent=("failed", "completionTime"),
    ),
    S(
        "successPolicy succeededCount matched by rule 1",
        indexed(
            completions=4,
            parallelism=1,
            status=STARTED,
            successPolicy={"rules": [{"succeededIndexes": "3"}, {"succeededCount": 2}]},
        ),
        [pod("a", "Succeeded", index=0), pod("b", "Succeeded", index=1)],
        conditions=[("SuccessCriteriaMet", "True", "SuccessPolicy"), ("Complete", "True", "SuccessPolicy")],
        status={"completionTime": at(0)},
        events=[("Normal", "Completed")],
    ),
    S(
        "Complete follows SuccessCriteriaMet once pods are gone",
        indexed(
            completions=3,
            status={
                **STARTED,
                "succeeded": 1,
                "completedIndexes": "0",
                "conditions": [
                    cond("SuccessCriteriaMet", reason="SuccessPolicy", message="Matched rules at index 0")
                ],
            },
        ),
        [pod("a", "Succeeded", index=0, finalizer=False), pod("b", "Failed", index=1, finalizer=False)],
        conditions=[("SuccessCriteriaMet", "True", "SuccessPolicy"), ("Complete", "True", "SuccessPolicy")],
        absent=("failed",),
        events=[("Normal", "Completed")],
    ),
    S(
        "failure criteria win over the success policy",
        indexed(
            completions=3,
            parallelism=2,
            backoffLimit=0,
            status=STARTED,
            successPolicy={"rules": [{"succeededCount": 1}]},
        ),
        [pod("a", "Succeeded", index=0), pod("b", "Failed", index=1)],
        conditions=[("FailureTarget", "True", BL[0]), ("Failed", "True", BL[0])],
    ),
    # -- finished jobs and TTL (R7.4) ------------------------------------------------
    S(
        "a finished job does nothing",
        job(
            completions=1,
            status={**STARTED, "succeeded": 1, "conditions": [cond("SuccessCriteriaMet"), cond("Complete")]},
        ),
        [pod("a", "Succeeded", finalizer=False)],
        create=[],
        delete=[],
        finalize=[],
        events=[],
        requeue=None,
    ),
    S(
        "a finished job releases leftover finalizers without counting",
        job(
            completions=1,
            status={**STARTED, "succeeded": 1, "conditions": [cond("FailureTarget"), cond("Failed")]},
        ),
        [pod("a", "Failed")],
        finalize=["a"],
        status={"succeeded": 1},
        absent=("failed",),
    ),
    S(
        "TTL not yet expired requeues",
        job(completions=1, ttlSecondsAfterFinished=100, status={"conditions": [cond("Complete", t=-40)]}),
        requeue=60.0,
    ),
    S(
        "TTL expired deletes the job",
        job(completions=1, ttlSecondsAfterFinished=100, status={"conditions": [cond("Failed", t=-100)]}),
        delete_job=True,
        requeue=None,
    ),
    S(
        "finishing a job with a TTL requeues after the TTL",
        job(completions=1, ttlSecondsAfterFinished=30, status=STARTED),
        [pod("a", "Succeeded")],
        requeue=30.0,
    ),
    S(
        "a job being deleted creates nothing and releases finalizers",
        job(completions=2, status=STARTED, meta={"deletionTimestamp": at(-1)}),
        [pod("a", "Succeeded")],
        create=[],
        finalize=["a"],
        status={"succeeded": 1},
    ),
]


def _index(p: Obj) -> int | None:
    v = (p["metadata"].get("labels") or {}).get(INDEX_KEY)
    return None if v is None else int(v)


@pytest.mark.parametrize("s", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_sync_scenario(s: S) -> None:
    before = json.dumps([s.job, s.pods], sort_keys=True)
    r = sync_job(s.job, s.pods, NOW, new_name=namer(), time_scale=s.time_scale, backoff=s.backoff)
    # The executor hands sync_job the store's shared, read-only pod objects.
    assert json.dumps([s.job, s.pods], sort_keys=True) == before, "sync_job mutated its inputs"
    if s.create is not None:
        assert [_index(p) for p in r.create] == s.create
    if s.delete is not None:
        assert r.delete == s.delete
    if s.finalize is not None:
        assert sorted(r.finalize) == sorted(s.finalize)
    for k, v in s.status.items():
        assert r.status.get(k) == v, k
    for k in s.absent:
        assert k not in r.status, k
    if s.conditions is not None:
        got = [(c["type"], c["status"], c["reason"]) for c in r.status.get("conditions", [])]
        assert got == s.conditions
    if s.events is not None:
        assert [(e.type, e.reason) for e in r.events] == s.events
    if s.requeue != "any":
        if s.requeue is None:
            assert r.requeue_after is None
        else:
            assert r.requeue_after == pytest.approx(s.requeue)
    assert r.delete_job is s.delete_job
