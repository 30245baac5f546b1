"""The Job executor: runs :func:`minik.controllers.job.sync_job` for one key and acts.

Owns reading a Job and the pods of its namespace from the store, and
carrying out one result in one store transaction: adopt and release pods
(controller reference and tracking finalizer), drop tracking finalizers,
delete and create pods, write the status, record the events. A Job whose
``ttlSecondsAfterFinished`` expired is deleted with Foreground propagation,
as upstream's TTL-after-finished controller does. Jobs being deleted are
still synced (their pods' finalizers are removed). Keeps each Job's
pod-failure back-off record in memory between syncs, as upstream's
``backoffStore`` (lost on restart, as upstream's). It decides nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from minik import apierrors as st
from minik.controllers.job import sync_job
from minik.controllers.job.backoff import BackoffRecord
from minik.controllers.job.claim import owner_reference
from minik.errors import AlreadyExists, NotFound
from minik.k8s import Obj, controller_of, meta
from minik.manifest import sa_admission
from minik.registry import Registry
from minik.resources import JOB_TRACKING_FINALIZER, NAME_SUFFIX_LENGTH, generate_name
from minik.server.garbage import drop_tracking_finalizer

JOB_TRACKING = JOB_TRACKING_FINALIZER  # the old name (minik.resources owns it); kept one step
__all__ = ["JOB_TRACKING", "JobExecutor", "Outcome", "drop_tracking_finalizer"]


@dataclass(frozen=True)
class Outcome:
    """What the control plane does after one sync."""

    requeue_after: float | None = None
    collect_garbage: bool = False
    forget: bool = False
    """The Job is gone: its pacing state can be dropped."""


class JobExecutor:
    """Carries out one ``sync_job`` for a key (the control plane's work queue calls :meth:`sync`)."""

    def __init__(self, registry: Registry, *, clock: Callable[[], datetime], time_scale: float = 1.0) -> None:
        self.registry = registry
        self.clock = clock
        self.time_scale = time_scale
        self.backoffs: dict[tuple[str, str], tuple[str, BackoffRecord]] = {}

    def sync(self, ns: str, name: str) -> Outcome:
        try:
            job = self.registry.get("jobs", ns, name)
        except NotFound:
            self.backoffs.pop((ns, name), None)
            return Outcome(forget=True)
        uid = str(meta(job).get("uid"))
        kept = self.backoffs.get((ns, name))
        record = kept[1] if kept is not None and kept[0] == uid else None
        deleting = bool(meta(job).get("deletionTimestamp"))
        # Shared, read-only objects: sync_job never mutates its inputs (a unit test checks).
        pods, _ = self.registry.list("pods", ns, shared=True)
        res = sync_job(
            job, pods, self.clock(), new_name=generate_name, time_scale=self.time_scale, backoff=record
        )
        by_name = {meta(p)["name"]: p for p in pods}
        if res.create:
            self._check_service_account(job, res.create[0])
        with self.registry.transaction():
            for pod_name in res.adopt:
                self._adopt(job, ns, pod_name)
            for pod_name in res.release:
                self._release(job, ns, pod_name)
            for pod_name in res.finalize:
                pod = by_name.get(pod_name)
                if pod is not None:
                    drop_tracking_finalizer(self.registry, pod)
            for pod_name in res.delete:
                try:
                    self.registry.delete("pods", ns, pod_name)
                except NotFound:
                    pass
            for pod in res.create:
                self._create_pod(pod)
            if res.status != job.get("status"):
                job["status"] = res.status
                self.registry.update("jobs", job, status_only=True)
            for ev in res.events:
                self.registry.record_event(
                    job, type=ev.type, reason=ev.reason, message=ev.message, component="job-controller"
                )
        if res.backoff is None:  # finished (or not ours): upstream removes the record
            self.backoffs.pop((ns, name), None)
        else:
            self.backoffs[(ns, name)] = (uid, res.backoff)
        if res.delete_job and not deleting:
            try:
                self.registry.delete("jobs", ns, name, propagation="Foreground")
            except NotFound:
                pass
            return Outcome(collect_garbage=True)
        return Outcome(requeue_after=res.requeue_after, collect_garbage=deleting)

    def _adopt(self, job: Obj, ns: str, pod_name: str) -> None:
        """Upstream's adopt patch; skipped when the pod changed owner or started deleting meanwhile."""
        try:
            current = self.registry.get("pods", ns, pod_name)
        except NotFound:
            return
        cm = meta(current)
        if controller_of(current) is not None or cm.get("deletionTimestamp"):
            return
        cm["ownerReferences"] = [*(cm.get("ownerReferences") or []), owner_reference(job)]
        if JOB_TRACKING_FINALIZER not in (cm.get("finalizers") or []):
            cm["finalizers"] = [*(cm.get("finalizers") or []), JOB_TRACKING_FINALIZER]
        self.registry.update("pods", current)

    def _release(self, job: Obj, ns: str, pod_name: str) -> None:
        """Upstream's release patch: the Job's owner reference and the tracking finalizer go."""
        try:
            current = self.registry.get("pods", ns, pod_name)
        except NotFound:
            return
        cm = meta(current)
        uid = meta(job).get("uid")
        refs = [r for r in cm.get("ownerReferences") or [] if r.get("uid") != uid]
        if refs:
            cm["ownerReferences"] = refs
        else:
            cm.pop("ownerReferences", None)
        cm["finalizers"] = [f for f in cm.get("finalizers") or [] if f != JOB_TRACKING_FINALIZER]
        self.registry.update("pods", current)

    def _check_service_account(self, job: Obj, pod: Obj) -> None:
        """The pods' service account must exist (the ServiceAccount admission refuses them
        otherwise): a ``FailedCreate`` event with the admission's words, as the Job controller
        records when a create fails, and the sync is retried (nothing of it is applied)."""
        ns = str(meta(job).get("namespace") or "default")
        name = sa_admission.service_account_name(pod)
        if self.registry.store.find("serviceaccounts", ns, name) is not None:
            return
        why = f'error looking up service account {ns}/{name}: serviceaccount "{name}" not found'
        message = f'Error creating: pods "{meta(pod).get("name", "")}" is forbidden: {why}'
        self.registry.record_event(
            job, type="Warning", reason="FailedCreate", message=message, component="job-controller"
        )
        raise st.not_found("serviceaccounts", name)

    def _create_pod(self, pod: Obj) -> None:
        for _ in range(5):
            try:
                self.registry.create("pods", pod)
                return
            except AlreadyExists:
                m = meta(pod)
                m["name"] = generate_name(m["name"][:-NAME_SUFFIX_LENGTH])
        raise AlreadyExists({"code": 409, "reason": "AlreadyExists", "message": "could not pick a pod name"})
