"""The Job controller's reconcile pass: ``sync_job(job, pods, now) -> SyncResult``.

Owns the order of decisions of upstream ``syncJob``/``manageJob``/
``trackJobStatusAndRemoveFinalizers``: count the outcomes of pods that still
carry the tracking finalizer, evaluate failure criteria (R6.2 precedence),
then success, then create or delete pods (R4), then suspend/resume (R7), and
write the two-step terminal conditions (R5.2, R6.1). Pure: no I/O, no clock.
The policies live in the sibling modules; pod objects are built in ``pods``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from minik.controllers.event import ControllerEvent
from minik.controllers.job import conditions as jc
from minik.controllers.job import indexes, podutil
from minik.controllers.job.backoff import BackoffRecord, next_record, remaining_for_index
from minik.controllers.job.claim import claim_pods, managed_by_builtin
from minik.controllers.job.failure_policy import match_pod_failure_policy
from minik.controllers.job.pods import build_pod, removal_order
from minik.controllers.job.result import SyncResult
from minik.controllers.job.spec import JobSpec
from minik.controllers.job.success_policy import REASON as SUCCESS_POLICY_REASON
from minik.controllers.job.success_policy import match_success_policy
from minik.controllers.job.ttl import sync_finished_job
from minik.k8s import Obj, controller_of, format_indexes, meta, parse_time, rfc3339

MAX_POD_CREATE_DELETE_PER_SYNC = 500


@dataclass
class _Plan:
    """Mutable scratch state of one sync (never leaves this module)."""

    create: list[Obj] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    finalize: dict[str, None] = field(default_factory=dict)
    events: list[ControllerEvent] = field(default_factory=list)
    requeue: list[float] = field(default_factory=list)

    def remove_pods(self, pods: list[Obj]) -> None:
        for p in pods:
            n = podutil.name(p)
            self.delete.append(n)
            self.events.append(ControllerEvent("Normal", "SuccessfulDelete", f"Deleted pod: {n}"))

    def requeue_after(self) -> float | None:
        return min(self.requeue) if self.requeue else None


def sync_job(
    job: Obj,
    pods: list[Obj],
    now: datetime,
    *,
    new_name: Callable[[str], str],
    time_scale: float = 1.0,
    backoff: BackoffRecord | None = None,
) -> SyncResult:
    """One reconcile pass of the Job controller over ``job`` and the pods of its namespace.

    ``pods`` may hold any pods of the Job's namespace: the Job's own are
    claimed first (:mod:`claim`), adopting matching orphans and releasing
    pods whose labels stopped matching. A Job managed by another controller
    (``spec.managedBy``) is left alone. ``backoff`` is the record the
    previous sync returned (``None``: no failures recorded yet).
    """
    old_status: Obj = job.get("status") or {}
    if not managed_by_builtin(job):
        return SyncResult(status=copy.deepcopy(old_status))
    if jc.finished_condition(old_status) is not None:
        uid = meta(job).get("uid")
        return sync_finished_job(job, [p for p in pods if (controller_of(p) or {}).get("uid") == uid], now)
    claim = claim_pods(job, pods)
    result = _Sync(
        JobSpec(job), claim.pods, now, new_name=new_name, time_scale=time_scale, backoff=backoff
    ).run()
    return replace(result, adopt=claim.adopt, release=claim.release)


class _Sync:
    """One pass; mirrors the structure of upstream ``syncJob``."""

    def __init__(
        self,
        job: JobSpec,
        pods: list[Obj],
        now: datetime,
        *,
        new_name: Callable[[str], str],
        time_scale: float,
        backoff: BackoffRecord | None,
    ) -> None:
        self.job = job
        self.pods = pods
        self.now = now
        self.new_name = new_name
        self.time_scale = time_scale
        self.old: Obj = job.obj.get("status") or {}
        self.conditions: list[Obj] = copy.deepcopy(list(self.old.get("conditions") or []))
        self.start_time: str | None = self.old.get("startTime")
        self.plan = _Plan()
        self.active = [p for p in pods if podutil.is_active(p)]
        self.active_count = len(self.active)
        self.ready = sum(1 for p in self.active if podutil.is_ready(p))
        self.terminating = sum(1 for p in pods if podutil.is_terminating(p))
        self.tracked = [p for p in pods if podutil.has_tracking_finalizer(p) and job.valid(p)]
        new_succeeded = [p for p in self.tracked if podutil.phase(p) == "Succeeded"]
        new_failed = [p for p in self.tracked if job.is_failed(p)]
        self.succeeded = int(self.old.get("succeeded") or 0) + len(new_succeeded)
        self.failed_for_limit = int(self.old.get("failed") or 0) + sum(1 for p in new_failed if job.counts(p))
        self.backoff = next_record(backoff, new_succeeded, new_failed)
        self.completed: set[int] = set()
        self.failed_idx: set[int] | None = None
        self.delayed: dict[int, Mapping[str, Any]] = {}
        self.finished: jc.Cond | None = None
        self.finished_is_new_target = False

    # -- the pass -------------------------------------------------------------

    def run(self) -> SyncResult:
        job = self.job
        if self.start_time is None and not job.suspended:
            self.start_time = rfc3339(self.now)
        self._failure_criteria()
        if job.indexed:
            self._indexed_criteria()
        if self.finished is not None:
            self._remove_all_active()
        else:
            manage_called = False
            if not job.deleting:
                self._manage()
                manage_called = True
            if self._complete():
                self.finished = jc.Cond(jc.SUCCESS_CRITERIA_MET, *jc.COMPLETIONS_REACHED)
                self.finished_is_new_target = True
            elif manage_called:
                self._suspend_conditions()
        counted_failed = self._track()
        return self._result(counted_failed)

    def _failure_criteria(self) -> None:
        """R6.2 steps 1–5: existing terminal targets, FailJob, backoffLimit, deadline."""
        job = self.job
        met = jc.find(self.conditions, jc.SUCCESS_CRITERIA_MET)
        if met is not None and met.get("status") == "True":
            self.finished = jc.Cond(
                jc.SUCCESS_CRITERIA_MET, str(met.get("reason", "")), str(met.get("message", ""))
            )
            return
        target = jc.find(self.conditions, jc.FAILURE_TARGET)
        if target is not None and target.get("status") == "True":
            self.finished = jc.Cond(jc.FAILED, str(target.get("reason", "")), str(target.get("message", "")))
            return
        if job.failure_policy:
            for p in self.pods:
                if job.is_failed(p):
                    msg = match_pod_failure_policy(job.failure_policy, p).fail_job_message
                    if msg is not None:
                        self._fail(jc.POD_FAILURE_POLICY, msg)
                        return
        if self.failed_for_limit > job.backoff_limit or self._past_backoff_limit_on_failure():
            self._fail(*jc.BACKOFF_LIMIT_EXCEEDED)
            return
        deadline = job.spec.get("activeDeadlineSeconds")
        started = parse_time(self.start_time)
        if deadline is None or started is None or job.suspended:
            return
        left = float(deadline) - (self.now - started).total_seconds()
        if left <= 0:
            self._fail(*jc.DEADLINE_EXCEEDED)
        else:
            self.plan.requeue.append(left)

    def _fail(self, reason: str, message: str) -> None:
        self.finished = jc.Cond(jc.FAILURE_TARGET, reason, message)
        self.finished_is_new_target = True

    def _past_backoff_limit_on_failure(self) -> bool:
        """R6.5: restarts of running/pending OnFailure pods reach backoffLimit."""
        if self.job.restart_policy != "OnFailure":
            return False
        restarts = sum(
            podutil.restart_count(p) for p in self.pods if podutil.phase(p) in ("Pending", "Running")
        )
        if self.job.backoff_limit == 0:
            return restarts > 0
        return restarts >= self.job.backoff_limit

    def _indexed_criteria(self) -> None:
        """Succeeded/failed indexes, R6.10 and the success policy (R5.5)."""
        job = self.job
        completions = job.completions or 0
        previous = indexes.indexes_from_status(self.old.get("completedIndexes"), completions)
        self.completed = indexes.succeeded_indexes(previous, self.pods, completions)
        self.succeeded = len(self.completed)
        if job.per_index is not None:
            prev_failed = indexes.indexes_from_status(self.old.get("failedIndexes"), completions)
            self.failed_idx = indexes.failed_indexes(
                job.spec, prev_failed, self.pods, completions, job.is_failed
            )
            if self.finished is None:
                max_failed = job.spec.get("maxFailedIndexes")
                if max_failed is not None and len(self.failed_idx) > int(max_failed):
                    self._fail(*jc.MAX_FAILED_INDEXES_EXCEEDED)
                elif self.failed_idx and len(self.failed_idx) + len(self.completed) >= completions:
                    self._fail(*jc.FAILED_INDEXES)
            blocked = self.completed | self.failed_idx | self._active_indexes()
            self.delayed = indexes.delayed_failed_pods(
                self.pods, completions, blocked=blocked, is_failed=job.is_failed
            )
        if self.finished is None:
            msg = match_success_policy(job.spec.get("successPolicy"), completions, self.completed)
            if msg is not None:
                self.finished = jc.Cond(jc.SUCCESS_CRITERIA_MET, SUCCESS_POLICY_REASON, msg)
                self.finished_is_new_target = True

    def _active_indexes(self) -> set[int]:
        return {ix for p in self.active if (ix := podutil.completion_index(p)) is not None}

    def _remove_all_active(self) -> None:
        """The Job is finishing: delete every active pod (they become terminating)."""
        self.plan.remove_pods(self.active)
        self._note_removed(self.active)

    def _release(self, pods: list[Obj]) -> None:
        """Delete pods without counting them: strip the finalizer too (R4.2, R7.2)."""
        self.plan.remove_pods(pods)
        for p in pods:
            if podutil.has_tracking_finalizer(p):
                self.plan.finalize[podutil.name(p)] = None
        self._note_removed(pods)

    def _note_removed(self, pods: list[Obj]) -> None:
        self.active_count -= len(pods)
        self.terminating += len(pods)
        self.ready -= sum(1 for p in pods if podutil.is_ready(p))

    # -- manageJob -------------------------------------------------------------

    def _manage(self) -> None:
        """R4: delete extra pods, or create missing ones (never both)."""
        job = self.job
        if job.suspended:
            self._release(sorted(self.active, key=removal_order))
            return
        if job.completions is None:
            want = self.active_count if self.succeeded > 0 else job.parallelism
        else:
            want = max(min(job.completions - self.succeeded, job.parallelism), 0)
        to_delete = self._pods_for_removal(max(self.active_count - want, 0))[:MAX_POD_CREATE_DELETE_PER_SYNC]
        if to_delete:
            self._release(to_delete)
            return
        terminating = self.terminating if job.only_replace_failed else 0
        diff = want - terminating - self.active_count
        if diff <= 0:
            return
        if job.per_index is None:
            left = self.backoff.remaining(self.now, time_scale=self.time_scale)
            if left > 0:
                self.plan.requeue.append(left)
                return
        diff = min(diff, MAX_POD_CREATE_DELETE_PER_SYNC)
        if not job.indexed:
            for _ in range(diff):
                self._create(None)
            return
        to_add = indexes.first_pending(diff, job.completions or 0, self._taken_indexes())
        if job.per_index is not None:
            to_add = self._ready_by_index_backoff(to_add)
        for ix in to_add:
            self._create(ix)

    def _pods_for_removal(self, at_least: int) -> list[Obj]:
        rm: list[Obj] = []
        left = self.active
        if self.job.indexed:
            rm, left = indexes.split_for_removal(self.active, self.job.completions or 0, removal_order)
        if len(rm) < at_least:
            rm += sorted(left, key=removal_order)[: at_least - len(rm)]
        return rm

    def _taken_indexes(self) -> set[int]:
        taken = self.completed | self._active_indexes()
        if self.job.only_replace_failed:
            taken |= {
                ix
                for p in self.pods
                if podutil.is_terminating(p) and (ix := podutil.completion_index(p)) is not None
            }
        return taken | (self.failed_idx or set())

    def _ready_by_index_backoff(self, candidates: list[int]) -> list[int]:
        """Per-index backoff (R4.6): keep indexes whose delay passed; requeue for the rest."""
        ready: list[int] = []
        waits: list[float] = []
        for ix in candidates:
            left = remaining_for_index(self.delayed.get(ix), self.now, time_scale=self.time_scale)
            if left > 0:
                waits.append(left)
            else:
                ready.append(ix)
        if waits:
            self.plan.requeue.append(min(waits))
        return ready

    def _create(self, index: int | None) -> None:
        extra = None
        if index is not None and self.job.per_index is not None:
            extra = indexes.failure_count_annotations(self.job.spec, self.delayed.get(index))
        pod = build_pod(self.job.obj, index=index, extra_annotations=extra, new_name=self.new_name)
        self.plan.create.append(pod)
        self.plan.events.append(
            ControllerEvent("Normal", "SuccessfulCreate", f"Created pod: {podutil.name(pod)}")
        )
        self.active_count += 1

    # -- completion, suspend ---------------------------------------------------

    def _complete(self) -> bool:
        """R5.1: enough successes and nothing active."""
        if self.job.completions is None:
            return self.succeeded > 0 and self.active_count == 0
        return self.succeeded >= self.job.completions and self.active_count == 0

    def _suspend_conditions(self) -> None:
        """R7.1–R7.3."""
        if self.job.suspended:
            if jc.ensure(
                self.conditions, jc.SUSPENDED, "True", "JobSuspended", "Job suspended", now=self.now
            ):
                self.plan.events.append(ControllerEvent("Normal", "Suspended", "Job suspended"))
        elif jc.ensure(self.conditions, jc.SUSPENDED, "False", "JobResumed", "Job resumed", now=self.now):
            self.plan.events.append(ControllerEvent("Normal", "Resumed", "Job resumed"))
            self.start_time = rfc3339(self.now)

    # -- trackJobStatusAndRemoveFinalizers -------------------------------------

    def _track(self) -> int:
        """Count finished pods that still carry the finalizer; returns new failures counted."""
        job = self.job
        failing = self.finished is not None and self.finished.type in (jc.FAILURE_TARGET, jc.FAILED)
        counted_failed = 0
        tracked = [p for p in self.pods if podutil.has_tracking_finalizer(p)]
        if job.indexed:
            tracked.sort(key=lambda p: podutil.completion_index(p) or 0)
        delayed_names = {podutil.name(p) for p in self.delayed.values()}
        for p in tracked:
            pod_name = podutil.name(p)
            considered_failed = job.is_failed(p)
            succeeded = podutil.phase(p) == "Succeeded"
            removable = job.deleting or self.finished is not None or succeeded
            removable = removable or (considered_failed and pod_name not in delayed_names)
            if not removable:
                continue
            self.plan.finalize[pod_name] = None
            if succeeded or not job.valid(p):
                continue  # successes were counted up front (per pod or per index)
            if (considered_failed or failing) and job.counts(p):
                counted_failed += 1
        return counted_failed

    def _result(self, counted_failed: int) -> SyncResult:
        job = self.job
        fin = self.finished
        final: jc.Cond | None = None
        if fin is not None:
            if fin.type == jc.FAILURE_TARGET:
                self.conditions.append(
                    jc.new_condition(jc.FAILURE_TARGET, "True", fin.reason, fin.message, self.now)
                )
                final = jc.Cond(jc.FAILED, fin.reason, fin.message)
            elif fin.type == jc.SUCCESS_CRITERIA_MET:
                if not jc.is_true(self.conditions, jc.SUCCESS_CRITERIA_MET):
                    self.conditions.append(
                        jc.new_condition(jc.SUCCESS_CRITERIA_MET, "True", fin.reason, fin.message, self.now)
                    )
                final = jc.Cond(jc.COMPLETE, fin.reason, fin.message)
            else:
                final = fin
        succeeded = len(self.completed) if job.indexed else self.succeeded
        failed = int(self.old.get("failed") or 0) + counted_failed
        status: Obj = {}
        if self.start_time is not None:
            status["startTime"] = self.start_time
        completion_time = None
        if final is not None and self.terminating == 0:
            jc.ensure(self.conditions, final.type, "True", final.reason, final.message, now=self.now)
            if final.type == jc.COMPLETE:
                completion_time = rfc3339(self.now)
                if job.completions is not None and succeeded > job.completions:
                    self.plan.events.append(
                        ControllerEvent(
                            "Warning",
                            "TooManySucceededPods",
                            "Too many succeeded pods running after completion count reached",
                        )
                    )
                self.plan.events.append(ControllerEvent("Normal", "Completed", "Job completed"))
            else:
                self.plan.events.append(ControllerEvent("Warning", final.reason, final.message))
            ttl = job.spec.get("ttlSecondsAfterFinished")
            if ttl is not None:
                self.plan.requeue.append(float(ttl))
        if completion_time is not None:
            status["completionTime"] = completion_time
        if self.active_count > 0:
            status["active"] = self.active_count
        status["ready"] = max(self.ready, 0)
        status["terminating"] = self.terminating
        if succeeded > 0:
            status["succeeded"] = succeeded
        if failed > 0:
            status["failed"] = failed
        if job.indexed and self.completed:
            status["completedIndexes"] = format_indexes(self.completed)
        if self.failed_idx is not None:
            status["failedIndexes"] = format_indexes(self.failed_idx)
        status["uncountedTerminatedPods"] = {}
        if self.conditions:
            status["conditions"] = self.conditions
        return SyncResult(
            status=status,
            create=self.plan.create,
            delete=self.plan.delete,
            finalize=list(self.plan.finalize),
            events=self.plan.events,
            requeue_after=self.plan.requeue_after(),
            backoff=self.backoff,
        )
