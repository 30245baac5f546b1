"""The control plane: the one place that wires every layer together.

Owns the loops around the pure parts: the store's change feed wakes keys;
the Job executor runs :func:`minik.controllers.job.sync_job` for a key and
carries out its actions in one store transaction; the CronJob executor
(:mod:`minik.server.cronjobs`) does the same for CronJobs; the pod loop
hands pods to the kubelet; the garbage collector deletes (or orphans) the
pods of deleted Jobs and the Jobs of deleted CronJobs. Everything is level-triggered: a wake-up only names a key, and the
handler re-reads what is stored.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel

from minik.auth.tokens import Signer
from minik.controllers.garbage import concerns_owners
from minik.controllers.hostports import frees_ports
from minik.controllers.job.wake import SYNC_BATCH_PERIOD, job_change_is_urgent, pod_change_is_urgent
from minik.errors import DockerUnavailable, MinikError, NotFound, StoreError
from minik.k8s import NODE_NAME, Obj, controller_of, meta, parse_time, selector_matches
from minik.kubelet.errors import sentence
from minik.kubelet.exec import PodStreams
from minik.kubelet.kubelet import Kubelet
from minik.kubelet.node import node_object
from minik.kubelet.runtime.docker.api import DockerAPI
from minik.kubelet.sampler import MetricsSampler
from minik.kubelet.status_manager import with_kubelet_ips
from minik.registry import Registry
from minik.resources import JOB_TRACKING_FINALIZER
from minik.server import garbage
from minik.server.adapters import ServerApiHooks, StoreObjectSource, StorePodSink, StoreTokenSource
from minik.server.cronjobs import CronJobExecutor
from minik.server.disruption import DisruptionExecutor
from minik.server.jobs import JobExecutor
from minik.server.nodeport_proxy import NodePortProxy
from minik.server.scheduler import SchedulerGate
from minik.server.services import ServiceExecutor, endpoint_changed
from minik.server.storage import StorageExecutor, concerns_storage
from minik.server.workqueue import Pacer, WorkQueue
from minik.store.podips import PodIPTable

log = logging.getLogger("minik.server")

# A Job's next sync waits this many times what its last sync cost (see Pacer).
JOB_SYNC_PACE = 4.0
METRICS_RESOLUTION = 15.0
FAILURE_BACKOFF_MAX = 1000.0  # seconds: upstream's default controller rate limiter's cap
FAILED_SYNC = "FailedSync"  # the Warning event on an object a controller cannot handle
"""Seconds between two container-stats readings while metrics are wanted (metrics-server's default)."""

Key = tuple[str, str]  # (namespace, name)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Settings:
    home: Path
    instance: str
    time_scale: float = 1.0
    cron_time_rate: float = 1.0
    """Test-only: CronJob schedules run this many times faster (``MINIK_CRON_TIME_RATE``)."""
    api_port: int = 0
    """The API's port: the ``kubernetes`` Service's targetPort (0: no such Service, as in unit tests)."""


class ControlPlane:
    def __init__(
        self,
        *,
        settings: Settings,
        registry: Registry,
        docker: DockerAPI,
        clock: Callable[[], datetime] = utcnow,
        signer: Signer | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.registry = registry
        self.docker = docker
        self.kubelet = Kubelet(
            docker,
            StoreObjectSource(registry),
            StorePodSink(registry),
            instance=settings.instance,
            clock=clock,
            time_scale=settings.time_scale,
            state_dir=settings.home,
            ip_ledger=PodIPTable(registry.store),
            tokens=StoreTokenSource(registry, signer or Signer.generate()),
        )
        self.hooks = ServerApiHooks(self.kubelet)
        self.streams = PodStreams(docker, instance=settings.instance)  # exec and attach
        self.jobs: WorkQueue[Key] = WorkQueue()
        self.pods: WorkQueue[Key] = WorkQueue()
        self.gc: WorkQueue[str] = WorkQueue()
        self.services: WorkQueue[str] = WorkQueue()
        self.node_ports = NodePortProxy(registry, address=self.pod_address)  # 127.0.0.1:<nodePort> → the pods
        self.service_pass = ServiceExecutor(
            registry,
            self.kubelet,
            docker,
            instance=settings.instance,
            state_dir=settings.home,
            api_port=settings.api_port,
            node_ports=self.node_ports,
            recheck=self.services,
        )
        self.cronjobs: WorkQueue[Key] = WorkQueue()
        self.cron = CronJobExecutor(registry, clock=clock, rate=settings.cron_time_rate)
        self.job_executor = JobExecutor(registry, clock=clock, time_scale=settings.time_scale)
        self.budgets: WorkQueue[str] = WorkQueue()
        self.disruption = DisruptionExecutor(registry, clock=clock)
        self._gone_pods: dict[Key, Obj] = {}
        self._job_pace: Pacer[Key] = Pacer(JOB_SYNC_PACE)
        self._job_batch = SYNC_BATCH_PERIOD * settings.time_scale
        self.scheduler = SchedulerGate(registry, clock)
        self.storage: WorkQueue[str] = WorkQueue()  # persistent volumes: one pass over all of them
        self.accounts: WorkQueue[str] = WorkQueue()  # namespaces: their default SA and kube-root-ca.crt
        self.volumes = StorageExecutor(registry, docker, instance=settings.instance)
        self.metrics = MetricsSampler(
            docker, instance=settings.instance, wall=clock, interval=METRICS_RESOLUTION * settings.time_scale
        )

    def pod_address(self, pod: Obj) -> str:
        """The address the kubelet gave ``pod`` (its IPAM record, or the node's under hostNetwork);
        ``""`` if it runs no such pod. Port-forward and node ports connect here, never to
        ``status.podIP``, which a client holding the token can write."""
        return self.kubelet.pod_address(str(meta(pod).get("uid")))

    # -- startup -------------------------------------------------------------
    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Adopt what runs, wake every key, then run all loops until cancelled."""
        feed = self.registry.subscribe(None, None)
        await self._sweep()
        await self._register_node()
        await self.service_pass.start()
        for job in self.registry.list("jobs", None)[0]:
            self.jobs.add(_key(job))
        for pod in self.registry.list("pods", None)[0]:
            self.pods.add(_key(pod))
        for pdb in self.registry.list("poddisruptionbudgets", None)[0]:
            self.budgets.add(_key(pdb)[0])
        for cj in self.registry.list("cronjobs", None)[0]:
            self.cronjobs.add(_key(cj))  # catch up on what was missed while stopped
        for sweep in (self.gc, self.services, self.storage):
            sweep.add("all")
        for ns in self.registry.list("namespaces", None)[0]:
            self.accounts.add(str(meta(ns).get("name")))
        async with anyio.create_task_group() as tg:
            tg.start_soon(self.kubelet.run)
            tg.start_soon(self._consume, feed)
            for q in (
                self.jobs,
                self.pods,
                self.gc,
                self.services,
                self.cronjobs,
                self.budgets,
                self.storage,
                self.accounts,
            ):
                tg.start_soon(q.run_timers)
            tg.start_soon(self.cronjobs.run_worker, self._sync_cronjob, self._report("cronjob"))
            tg.start_soon(self.jobs.run_worker, self._sync_job, self._report("job"))
            for _ in range(4):
                tg.start_soon(self.pods.run_worker, self._sync_pod, self._report("pod"))
            tg.start_soon(self.gc.run_worker, self._collect_garbage, self._report("gc"))
            await tg.start(self.node_ports.run)  # before the first service sync
            tg.start_soon(self.services.run_worker, self.service_pass.sync, self._report("services"))
            tg.start_soon(self._expire_events)
            tg.start_soon(self.budgets.run_worker, self._sync_budgets, self._report("budgets"))
            tg.start_soon(self.storage.run_worker, self._sync_storage, self._report("storage"))
            tg.start_soon(self.accounts.run_worker, self._sync_accounts, self._report("accounts"))
            tg.start_soon(self.metrics.run)
            task_status.started()

    async def _sweep(self) -> None:
        """Remove what Docker and the pod directories still hold of pods the store has forgotten.

        A server killed between a pod's removal from the store and the
        removal of its containers, or a cleanup that failed while the engine
        was down, leaves them behind; this start finishes the job.
        """
        known = {str(meta(p).get("uid")) for p in self.registry.list("pods", None, shared=True)[0]}
        try:
            swept = await self.kubelet.sweep(known)
        except DockerUnavailable as exc:
            log.warning("could not sweep leftovers of deleted pods (next start retries): %s", exc)
            return
        if swept:
            log.info("removed the leftovers of %d deleted pods", swept)

    async def _register_node(self) -> None:
        """Store the instance's one Node, built from the engine, as a kubelet registers its node.

        An existing Node keeps its metadata and spec (``kubectl cordon`` marks);
        its status is brought up to date.
        """
        try:
            node = node_object(await self.docker.engine_info(), utcnow())
        except DockerUnavailable as exc:
            log.warning("could not register the node (the engine is down): %s", exc)
            return
        try:
            current = self.registry.get("nodes", None, NODE_NAME)
        except NotFound:
            self.registry.create("nodes", node)
            return
        current["status"] = node["status"]
        self.registry.update("nodes", current, status_only=True)

    def pending_deletions(self) -> tuple[int, float]:
        """How many deletions are under way, and how long they may still take (seconds).

        Counted: Jobs and pods with a deletionTimestamp, pods whose Job is
        gone or being deleted (the garbage collector's next work) and pods
        whose containers are still being removed. The time is the longest
        grace period left, plus 10 s for the engine's work.
        """
        now = utcnow()
        jobs = self.registry.list("jobs", None, shared=True)[0]
        live = {meta(j).get("uid") for j in jobs if not meta(j).get("deletionTimestamp")}
        count = len(jobs) - len(live) + len(self._gone_pods)
        longest = 0.0
        for pod in self.registry.list("pods", None, shared=True)[0]:
            m = meta(pod)
            owner = controller_of(pod)
            if m.get("deletionTimestamp"):
                when = parse_time(m["deletionTimestamp"])
                longest = max(longest, (when - now).total_seconds() if when else 0.0)
            elif owner and owner.get("kind") == "Job" and owner.get("uid") not in live:
                longest = max(
                    longest, float((pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30))
                )
            else:
                continue
            count += 1
        return count, longest + 10.0

    async def release_network(self) -> None:
        """At shutdown: when no pod's container is left, the Services' proxies go (the next start
        makes them again), then the instance's network when no container uses it any more."""
        try:
            if not await self.kubelet.has_pod_containers():
                await self.service_pass.proxies.remove_all(self.kubelet.network.name)
            await self.kubelet.release_network()
        except MinikError as exc:
            log.warning("kept the instance network: %s", exc)

    async def _expire_events(self) -> None:
        """Remove Events an hour after their last occurrence (the API server's event TTL), every minute."""
        while True:
            try:
                more = True
                while more:  # batches, with other tasks running between them
                    more = self.registry.expire_events() > 0
                    await anyio.lowlevel.checkpoint()
            except StoreError as exc:
                log.warning("expiring events: %s (retrying)", exc)
            await anyio.sleep(EVENT_SWEEP)

    def _report(self, what: str) -> Any:
        queues: dict[str, WorkQueue[Any]] = {
            "job": self.jobs,
            "pod": self.pods,
            "gc": self.gc,
            "services": self.services,
            "cronjob": self.cronjobs,
            "budgets": self.budgets,
            "storage": self.storage,
            "accounts": self.accounts,
        }

        def on_error(key: Any, exc: Exception) -> None:
            queue = queues[what]
            # An expected fault (engine down, store locked or full) is one sentence, not a traceback,
            # retried every second until it clears.
            if isinstance(exc, NotFound | DockerUnavailable | StoreError):
                log.warning("%s %s: %s (retrying)", what, key, exc)
                queue.add_after(key, 1.0)
                return
            # Anything else is a fault of this object or of minik: the traceback and a Warning
            # event on the object once per run of failures, then retries backing off as
            # upstream's workqueue rate limiter does (doubling, at most 1000 s).
            failures = queue.failures(key)
            if failures <= 1:
                log.warning("%s %s: %s (retrying with back-off)", what, key, exc, exc_info=True)
                self._failed_sync_event(what, key, exc)
            else:
                log.debug("%s %s: failed %d times in a row: %s", what, key, failures, exc)
            queue.add_after(key, min(FAILURE_BACKOFF_MAX, 2.0 ** (failures - 1)))

        return on_error

    def _failed_sync_event(self, what: str, key: Any, exc: Exception) -> None:
        """A Warning ``FailedSync`` event on the object a controller could not handle (best effort)."""
        resource = {"job": "jobs", "pod": "pods", "cronjob": "cronjobs"}.get(what)
        if resource is None or not isinstance(key, tuple) or len(key) != 2:
            return
        try:
            obj = self.registry.get(resource, key[0], key[1])
            self.registry.record_event(
                obj,
                type="Warning",
                reason=FAILED_SYNC,
                message=f"minik's {what} controller cannot handle this object: {sentence(exc)}",
                component=f"{what}-controller" if what != "pod" else "kubelet",
            )
        except Exception:  # the event is best effort; the log has the fault
            log.debug("no %s event for %s %s", FAILED_SYNC, what, key, exc_info=True)

    async def _consume(self, feed: AsyncIterator[Any]) -> None:
        async for ev in feed:
            resource, obj, kind = ev.resource, ev.obj, ev.type
            if concerns_owners(resource, kind, obj, ev.old if kind == "MODIFIED" else None):
                self.gc.add("events" if resource == "events" else "all")
            if resource in ("pods", "poddisruptionbudgets"):
                self.budgets.add(_key(obj)[0])
            if concerns_storage(resource, kind, obj):
                self.storage.add("all")
            if resource == "persistentvolumeclaims":  # a claim bound: the pods waiting for it
                for key in self.scheduler.claims_changed(_key(obj)[0]):
                    self.pods.add(key)
            if resource == "pods":
                key = _key(obj)
                if kind == "DELETED":
                    self._gone_pods[key] = obj
                self.pods.add(key)
                if frees_ports(kind, obj, ev.old if kind == "MODIFIED" else None):
                    for waiting in self.scheduler.ports_freed():  # a host port's holder ended
                        self.pods.add(waiting)
                owner = controller_of(obj)
                if owner and owner.get("kind") == "Job":
                    self._wake_job((key[0], str(owner.get("name"))), pod_change_is_urgent(kind, obj, ev.old))
                elif owner is None and kind != "DELETED":
                    self._wake_claimers(obj)
                if kind != "MODIFIED" or (self.service_pass.selecting and endpoint_changed(ev)):
                    self.services.add("all")
            elif resource == "jobs":
                self._wake_job(_key(obj), job_change_is_urgent(kind, obj, ev.old))
                if kind == "DELETED" or meta(obj).get("deletionTimestamp"):
                    self.gc.add("all")
                owner = controller_of(obj)
                if owner and owner.get("kind") == "CronJob":
                    self.cronjobs.add((_key(obj)[0], str(owner.get("name"))))
            elif resource == "cronjobs":
                old = ev.old if kind == "MODIFIED" else None
                self.cronjobs.add_after(_key(obj), self.cron.wake_delay(old, obj))
                if kind == "DELETED" or meta(obj).get("deletionTimestamp"):
                    self.gc.add("all")
            elif resource in ("services", "endpoints"):
                self.services.add("all")
            elif resource == "nodes":
                for key in self.scheduler.node_changed():  # cordon/uncordon: wake the waiting pods
                    self.pods.add(key)
            elif resource in ("namespaces", "serviceaccounts", "configmaps") and kind != "ADDED":
                # the default ServiceAccount or kube-root-ca.crt deleted or changed: put them back
                self.accounts.add(str(meta(obj).get("name") if resource == "namespaces" else _key(obj)[0]))

    async def _sync_accounts(self, namespace: str) -> None:
        """The service account controller and root CA publisher of one namespace (level-triggered)."""
        self.registry.publish_namespace_defaults(namespace)

    def _wake_job(self, key: Key, urgent: bool) -> None:
        """Sync the Job now, or with the changes of the next second (:mod:`minik.controllers.job.wake`)."""
        if urgent:
            self.jobs.add(key)
        else:
            self.jobs.add_batched(key, self._job_batch)

    def _wake_claimers(self, pod: Obj) -> None:
        """An orphan pod: the Jobs whose selector matches may adopt it; a tracking finalizer goes."""
        m = meta(pod)
        ns = str(m.get("namespace") or "default")
        for job in self.registry.list("jobs", ns, shared=True)[0]:
            if selector_matches((job.get("spec") or {}).get("selector"), m.get("labels")):
                self.jobs.add(_key(job))
        if JOB_TRACKING_FINALIZER in (m.get("finalizers") or []):
            self.gc.add("all")

    # -- the Job executor ------------------------------------------------------
    async def _sync_job(self, key: Key) -> None:
        delay = self._job_pace.delay(key)
        if delay > 0:  # a big Job synced a moment ago: fold this change into the next sync
            self.jobs.add_after(key, delay)
            return
        with self._job_pace.timed(key):
            await self._sync_job_now(key)

    async def _sync_job_now(self, key: Key) -> None:
        out = self.job_executor.sync(*key)
        if out.forget:
            self._job_pace.forget(key)
        if out.collect_garbage:
            self.gc.add("all")
        if out.requeue_after is not None:
            self.jobs.add_after(key, out.requeue_after)

    # -- the CronJob executor -----------------------------------------------------
    async def _sync_cronjob(self, key: Key) -> None:
        delay, deleted = self.cron.sync(key)
        if deleted:
            self.gc.add("all")
        if delay is not None:
            self.cronjobs.add_after(key, delay)

    # -- kubelet -----------------------------------------------------------------
    async def _sync_pod(self, key: Key) -> None:
        ns, name = key
        try:
            pod = self.registry.get("pods", ns, name)
        except NotFound:
            await self._forget(key)
            return
        gone = self._gone_pods.get(key)
        if gone is not None and meta(gone).get("uid") != meta(pod).get("uid"):
            await self._forget(key)
        if self.scheduler.admit(pod):  # a pod held by cordon never reaches the kubelet
            await self.kubelet.sync_pod(pod)
            await self._reassert_pod_ips(pod)

    async def _reassert_pod_ips(self, pod: Obj) -> None:
        """Put the kubelet's addresses back in a pod's status a client overwrote (the status manager's reconcile)."""
        reported = self.kubelet.reported_status(str(meta(pod).get("uid")))
        if reported is None:
            return
        fixed = with_kubelet_ips(pod.get("status") or {}, reported)
        if fixed is not None:
            log.info("pod %s/%s: status addresses put back to the kubelet's", *_key(pod))
            await StorePodSink(self.registry).update_pod_status(pod, fixed)

    async def _forget(self, key: Key) -> None:
        """Remove a deleted pod's containers; it is forgotten only once that succeeded.

        A failure (the engine is down) raises, and the key is retried.
        """
        gone = self._gone_pods.get(key)
        if gone is None:
            return
        await self.kubelet.forget_pod(gone)
        if self._gone_pods.get(key) is gone:
            del self._gone_pods[key]

    async def _sync_budgets(self, namespace: str) -> None:
        recheck = self.disruption.sync(namespace)
        if recheck is not None:
            self.budgets.add_after(namespace, recheck)

    async def _sync_storage(self, _: str) -> None:
        retry = await self.volumes.sync()
        if retry is not None:
            self.storage.add_after("all", retry)

    # -- garbage collection ----------------------------------------------------
    async def _collect_garbage(self, key: str) -> None:
        """One pass of the garbage collector's plan (:mod:`minik.controllers.garbage`), carried out;
        ``events``: an Event's change asked for it, so Events are looked at too."""
        if garbage.collect(self.registry, events=key == "events"):
            self.gc.add_after(key, 0.5)


EVENT_SWEEP = 60.0
"""Seconds between two sweeps for expired Events."""


def _key(obj: Obj) -> Key:
    m = meta(obj)
    return (str(m.get("namespace") or "default"), str(m.get("name")))
