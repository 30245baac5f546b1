"""One pod's life on Docker, from sandbox to a terminal phase.

A :class:`PodWorker` makes the sandbox and volumes (retrying setup as the
kubelet does), runs init containers in order and the app containers
together, restarts in place under OnFailure/Always with crash-loop back-off,
kills on deletion, active deadline or eviction, and reports every change of
the pod's status to the sink.
"""

from __future__ import annotations

from typing import Any

import anyio
import anyio.abc

from minik.k8s import Obj
from minik.kubelet import deadline, labels, plan
from minik.kubelet.config import HOST_IP, container_config, host_network, localhost_profile
from minik.kubelet.errors import ConfigError, ImagePullError, PodDeleted, sentence
from minik.kubelet.plan import is_sidecar
from minik.kubelet.seccomp import read_profile
from minik.kubelet.security import needs_image_user, verify_run_as_non_root
from minik.kubelet.status import (
    CrashLoopBackoff,
    container_status,
    terminated,
)
from minik.kubelet.volumes import Sources
from minik.kubelet.worker_base import (
    EVICTED,
    IMAGE_BACKOFF_FIRST,
    PAUSE_IMAGE_DEFAULT,
    SCHEDULER,
    SandboxError,
    _first,
    log,
)
from minik.kubelet.worker_containers import ContainerWorker

__all__ = ["EVICTED", "PAUSE_IMAGE_DEFAULT", "PodWorker", "SandboxError"]


class PodWorker(ContainerWorker):
    """Runs one pod from start to a terminal phase; owns its status."""

    async def run(self) -> None:
        where = f"{self.ns}/{self.name} to {self.k.node_name}"
        await self.k.sink.record_event(
            self.pod, "Normal", "Scheduled", f"Successfully assigned {where}", SCHEDULER
        )
        if self.spec.get("activeDeadlineSeconds") is not None:
            self.k.spawn(self._enforce_deadline)
        try:
            phase = await self._run()
        except Exception as exc:  # noqa: BLE001 - a pod failure, reported
            log.warning("pod %s/%s failed to run: %s", self.ns, self.name, exc, exc_info=True)
            await self.k.sink.record_event(self.pod, "Warning", "Failed", sentence(exc), "kubelet")
            phase = "Failed"
        if not self.sandboxed:  # no container holds its network any more
            self.sandbox_stopped = True
        if self.evicted:
            await self.report("Failed", reason=EVICTED, message=self.evicted)
        elif self.deadline_exceeded:
            await self.report("Failed", reason=deadline.REASON, message=deadline.MESSAGE)
        else:
            await self.report(phase)  # first: the controller's next pod waits on this
        self.done.set()
        # Torn down a moment later, off the hand-off path: a sandbox stop slows
        # the next pod's sandbox start in the engine (~10 %).
        self.k.spawn(self._stop_sandbox_later)

    async def _run(self) -> str:
        if self.kill.is_set():  # deleted before it started: nothing is made
            return "Failed"
        try:
            sources = await self._setup()
        except PodDeleted:
            return "Failed"
        if self.size_limits:
            self.k.spawn(self.watch_size_limits)
        await self.report("Pending")
        phase = "Failed"
        async with anyio.create_task_group() as sidecars:
            try:
                phase = await self._run_containers(sidecars, sources)
            finally:
                self.sidecar_stop.set()  # sidecars end (SIGTERM, grace) after the regular containers
        return phase

    async def _run_sidecar(self, c: Obj, sources: Sources) -> None:
        await self.run_container(c, sources, init=True)

    async def _run_containers(self, sidecars: anyio.abc.TaskGroup, sources: Sources) -> str:
        """Init containers in order (sidecars started and left running), then the app containers."""
        for c in self.spec.get("initContainers") or []:
            if c.get("restartPolicy") == "Always":
                self.sidecar_started[c["name"]] = started = anyio.Event()
                sidecars.start_soon(self._run_sidecar, c, sources)
                await _first(started, self.kill)  # the next init container waits for it to start
                if self.kill.is_set():
                    return "Failed"
                continue
            ok = await self.run_container(c, sources, init=True)
            if self.kill.is_set():
                return "Failed"
            if not ok:
                return "Failed"
        await self.report("Pending")
        results: dict[str, bool] = {}
        async with anyio.create_task_group() as tg:
            for c in self.spec.get("containers") or []:

                async def one(c: Obj = c) -> None:
                    results[c["name"]] = await self.run_container(c, sources, init=False)

                tg.start_soon(one)
        if self.kill.is_set():
            # A deleted pod's phase is what its containers did (the kubelet's getPhase for a
            # terminal pod): a worker that finished on SIGTERM with exit 0 succeeded.
            return plan.phase_when_stopped(self.spec.get("containers") or [], self.statuses)
        return "Succeeded" if all(results.values()) else "Failed"

    async def run_container(self, c: Obj, sources: Sources, *, init: bool) -> bool:
        """Run one container to completion (with OnFailure restarts); True if it exited 0.

        A sidecar (an init container with restartPolicy Always) is restarted
        whatever the pod's policy, until the regular containers are done.
        """
        name = c["name"]
        sidecar = is_sidecar(c, init)
        restarts = 0
        backoff = CrashLoopBackoff(scale=self.k.time_scale)
        waits = 0
        while True:
            if self.kill.is_set():
                return False
            try:
                env = self.k.env.resolve(self.pod, self.ip, c)
                image = await self.k.images.ensure(self.pod, c)
                image_user = await self.k.docker.image_user(image) if needs_image_user(c, self.spec) else ""
                refused = verify_run_as_non_root(
                    c, self.spec, f"{self.name}_{self.ns}({self.uid})", image_user
                )
                if refused:
                    raise ConfigError(refused)
                binds, tmpfs = await self.k.volumes.mounts(self.pod, self.ip, c, sources)
                local = localhost_profile(c, self.spec)
                profile = (
                    None
                    if local is None
                    else await anyio.to_thread.run_sync(read_profile, self.k.state_dir, local)
                )
            except ImagePullError as exc:
                await self._image_wait(c, init, exc, backoff=waits > 0)
                if not await self._retry_pause(waits, first=IMAGE_BACKOFF_FIRST):
                    return False
                waits += 1
                continue
            except ConfigError as exc:
                await self._wait_state(c, init, "CreateContainerConfigError", str(exc), "Failed")
                if not await self._retry_pause(waits):
                    return False
                waits += 1
                continue
            waits = 0
            message_file = self.k.volumes.termination_file(self.uid, name, restarts, c)
            network_mode, owner = self.container_network()
            config = container_config(
                c,
                self.spec,
                env,
                network_mode=network_mode,
                binds=binds,
                tmpfs=tmpfs,
                message_file=message_file,
                seccomp_profile=profile,
            )
            cid, failed = await self._create_and_start(c, image, restarts, {**config, **owner})
            started = failed is None
            if failed is not None:
                code, terminated = 128, await self._start_error(c, cid, failed)
                self.statuses[name] = container_status(
                    c, {"terminated": terminated}, cid=cid, restarts=restarts, last=self._last_state(name)
                )
            if started:
                code, terminated = await self._run_started(c, cid, name, restarts, init)
                await self._termination_message(c, cid, code, terminated, message_file)
            if self._stopping(sidecar):
                return False
            probe_killed = name in self.probe_kills
            self.probe_kills.discard(name)
            decision = plan.after_exit(c, self.restart_policy, code, init=init, probe_killed=probe_killed)
            if not decision.restart:
                return decision.ok
            # OnFailure, or Always (whatever the exit code): restart in place with crash-loop backoff.
            exited = self.k.clock()
            restarts += 1
            self.statuses[name]["lastState"] = {"terminated": terminated}
            delay = backoff.remaining(exited, self.k.clock())
            if delay:
                msg = backoff.message(name, self.name, self.ns, self.uid)
                # restartCount stays the exited container's: the next one's is set when it is created.
                self.statuses[name]["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": msg}}
                pod_ref = f"{self.name}_{self.ns}({self.uid})"
                await self.k.sink.record_event(
                    self.pod,
                    "Warning",
                    "BackOff",
                    f"Back-off restarting failed container {name} in pod {pod_ref}",
                    "kubelet",
                )
                await self.report(self._live_phase(init, sidecar))
                with anyio.move_on_after(delay):
                    await (_first(self.kill, self.sidecar_stop) if sidecar else self.kill.wait())
                if self._stopping(sidecar):
                    return False
            backoff.advance(exited, self.k.clock())

    # -- adoption after a server restart -------------------------------------
    async def resume_or_fail(self) -> None:
        """:meth:`resume`; a pod that cannot be adopted is reported Failed (the kubelet goes on)."""
        try:
            await self.resume()
        except Exception as exc:  # noqa: BLE001 - the pod is reported, the kubelet goes on
            log.warning("pod %s/%s could not be adopted: %s", self.ns, self.name, exc)
            if not self.done.is_set():
                await self.report("Failed")
        finally:
            self.done.set()

    async def resume(self) -> None:
        """A pod whose containers outlived a server restart.

        If its app containers were never created, nothing of the workload
        ran: its partial containers are removed and the pod starts afresh.
        Otherwise the app containers are adopted: running ones are waited
        for (never started twice), and the pod's status is rebuilt from what
        Docker recorded.
        """
        w, k = self, self.k
        pod, uid = w.pod, w.uid
        spec = pod.get("spec") or {}
        app_names = [x["name"] for x in spec.get("containers") or []]
        found = await k.docker.list_containers(labels.of_pod(k.instance, uid))
        latest: dict[str, Any] = {}
        for c in sorted(found, key=lambda c: labels.attempt(c.labels)):
            latest[c.labels.get(labels.CONTAINER, "")] = c
        apps = [latest[n] for n in app_names if n in latest]
        if not apps:
            await k.docker.remove_labelled(labels.of_pod(k.instance, uid))
            await w.run()
            return
        w.status = dict(pod.get("status") or {})
        if spec.get("activeDeadlineSeconds") is not None:
            k.spawn(w._enforce_deadline)
        w.size_limits = await k.volumes.adopt_size_limits(pod)
        if w.size_limits:
            k.spawn(w.watch_size_limits)
        if labels.SANDBOX in latest:
            w.sandbox_id = latest[labels.SANDBOX].id
        w.sandboxed = bool(w.sandbox_id)  # as it was made, whatever uses_sandbox says now
        w.net_owners = [w.sandbox_id] if w.sandboxed else [c.id for c in found]
        owner = latest.get(labels.SANDBOX) or apps[-1]
        if host_network(spec):
            w.ip = HOST_IP  # a hostNetwork pod's IP is the node's
        else:
            w.ip = k.ipam.get(uid) or owner.ip
        if not w.sandboxed:
            w.net_container = next((c.id for c in apps if c.status == "running"), apps[-1].id)
        for old in (pod.get("status") or {}).get("initContainerStatuses") or []:
            w.statuses[old["name"]] = old
        async with anyio.create_task_group() as tg:
            for c in apps:

                async def adopt_one(c: Any = c) -> None:
                    name = c.labels.get(labels.CONTAINER, "")
                    c_spec = next(
                        (x for x in spec.get("containers") or [] if x["name"] == name), {"name": name}
                    )
                    if c.status == "running":
                        await w._wait_or_kill(c.id, spec=c_spec)  # its preStop hook still runs on a kill
                    info = await k.docker.inspect(c.id)
                    w.statuses[name] = container_status(
                        c_spec,
                        {
                            "terminated": terminated(
                                info.exit_code,
                                oom=info.oom_killed,
                                started_at=info.started_at,
                                finished_at=info.finished_at,
                                cid=info.id,
                            )
                        },
                        cid=info.id,
                        restarts=labels.attempt(c.labels),
                    )

                tg.start_soon(adopt_one)
        if not w.sandboxed:
            w.sandbox_stopped = True  # no container holds its network any more
        ok = len(apps) == len(app_names) and all(
            w.statuses[n]["state"]["terminated"]["exitCode"] == 0 for n in app_names
        )
        if w.evicted:
            await w.report("Failed", reason=EVICTED, message=w.evicted)
        elif w.deadline_exceeded:
            await w.report("Failed", reason=deadline.REASON, message=deadline.MESSAGE)
        else:
            await w.report(
                "Succeeded" if ok else "Failed"
            )  # as getPhase: a deleted pod whose apps exited 0 succeeded
        w.done.set()
        await w.stop_sandbox()
