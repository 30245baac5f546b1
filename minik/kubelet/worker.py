"""One pod's life on Docker, from sandbox to a terminal phase.

A :class:`PodWorker` makes the sandbox and volumes (retrying setup as the
kubelet does), runs init containers in order and the app containers
together, restarts in place under OnFailure/Always with crash-loop back-off,
kills on deletion, active deadline or eviction, and reports every change of
the pod's status to the sink.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

from minik.errors import DockerUnavailable, MinikError, RuntimeFailure
from minik.k8s import Obj, meta, parse_time
from minik.kubelet import deadline, labels, plan, status, termination
from minik.kubelet.config import container_config
from minik.kubelet.errors import ConfigError, ImagePullError, PodDeleted, sentence
from minik.kubelet.plan import is_sidecar
from minik.kubelet.runtime import ContainerInfo, NoSuchObject
from minik.kubelet.security import needs_image_user, verify_run_as_non_root
from minik.kubelet.status import (
    CrashLoopBackoff,
    PodView,
    container_status,
    docker_time,
    pod_status,
    start_error,
    vanished,
)
from minik.kubelet.volumes import Sources, disk_usage

if TYPE_CHECKING:
    from minik.kubelet.kubelet import Kubelet

log = logging.getLogger("minik.kubelet")

PAUSE_IMAGE_DEFAULT = "registry.k8s.io/pause:3.10"
SANDBOX_STOP_DELAY = 0.5  # seconds after a pod's terminal report before its sandbox stops
SETUP_RETRY_FIRST = 1.0  # pod setup / image pull retries: 1 s doubling …
SETUP_RETRY_CAP = 300.0  # … to 5 min, as the kubelet's back-off (scaled by MINIK_TIME_SCALE)
IMAGE_BACKOFF_FIRST = 10.0  # image pulls back off 10 s doubling to 5 min (upstream image manager)
SCHEDULER = "default-scheduler"  # the component of the Scheduled event
EVICTED = "Evicted"  # the eviction manager's pod reason
EVICTION_INTERVAL = 10.0  # seconds between emptyDir sizeLimit checks (the kubelet's housekeeping)


class SandboxError(MinikError):
    """The pod's sandbox (its network or pause container) could not be made."""


class PodWorker:
    """Runs one pod from start to a terminal phase; owns its status."""

    def __init__(self, kubelet: Kubelet, pod: Obj) -> None:
        self.k = kubelet
        self.pod = pod
        m = meta(pod)
        self.uid = str(m["uid"])
        self.name = str(m["name"])
        self.ns = str(m.get("namespace") or "default")
        self.spec: dict[str, Any] = pod.get("spec") or {}
        self.kill = anyio.Event()
        self.done = anyio.Event()
        self.forgotten = anyio.Event()  # the pod is gone: its containers are being removed
        self.sandbox_lock = anyio.Lock()  # one Docker operation on the sandbox at a time
        self.sandbox_id = ""
        self.ip = ""
        self.status: Obj = {}
        self.statuses: dict[str, Obj] = {}
        self.restart_policy = self.spec.get("restartPolicy", "Always")
        self.deadline_exceeded = False  # killed by spec.activeDeadlineSeconds
        self.size_limits: dict[
            str, tuple[str, int, str]
        ] = {}  # disk emptyDir → (host path, bytes, as written)
        self.evicted = ""  # the eviction message, once the kubelet evicted the pod
        self.kill_grace: int | None = None  # overrides the grace period of a kill (an eviction's 0)
        self.sidecar_stop = anyio.Event()  # the regular containers are done: sidecars stop
        self.sidecar_started: dict[str, anyio.Event] = {}
        self.sandbox_stopped = False  # a finished pod's sandbox is stopped: PodReadyToStartContainers False

    # -- labels and names ----------------------------------------------------
    def labels(self, container: str) -> dict[str, str]:
        return labels.for_container(self.k.instance, self.pod, container)

    def cname(self, container: str, attempt: int = 0) -> str:
        return labels.container_name(self.k.instance, self.pod, container, attempt)

    # -- status ----------------------------------------------------------------
    async def report(self, phase: str, *, reason: str = "", message: str = "") -> None:
        ready = bool(self.sandbox_id) and not self.sandbox_stopped
        view = PodView(self.spec, self.statuses, self.status, ready, self.ip, self.evicted)
        self.status = pod_status(view, phase, now=self.k.clock(), reason=reason, message=message)
        await self.k.sink.update_pod_status(self.pod, self.status)

    # -- the pod's life ------------------------------------------------------
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
            log.warning("pod %s/%s failed to run: %s", self.ns, self.name, exc)
            await self.k.sink.record_event(self.pod, "Warning", "Failed", sentence(exc), "kubelet")
            phase = "Failed"
        if self.evicted:
            await self.report("Failed", reason=EVICTED, message=self.evicted)
        elif self.deadline_exceeded:
            await self.report("Failed", reason=deadline.REASON, message=deadline.MESSAGE)
        else:
            await self.report(phase)  # first: the controller's next pod waits on this
        self.done.set()
        if self.sandbox_id:
            # Stopped a moment later, off the hand-off path: a sandbox stop slows
            # the next pod's sandbox start in the engine (~10 %).
            self.k.spawn(self._stop_sandbox_later)

    async def _enforce_deadline(self) -> None:
        """Kill the pod once it has been active longer than spec.activeDeadlineSeconds."""
        started = parse_time((self.pod.get("status") or {}).get("startTime")) or self.k.clock()
        left = deadline.remaining_seconds(self.spec, started, self.k.clock())
        if left is None:
            return
        with anyio.move_on_after(max(left, 0.0)):
            await self.done.wait()
        if self.done.is_set() or self.kill.is_set():
            return
        self.deadline_exceeded = True
        await self.k.sink.record_event(self.pod, "Normal", deadline.REASON, deadline.MESSAGE, "kubelet")
        self.kill.set()

    async def watch_size_limits(self) -> None:
        """Evict the pod when a disk emptyDir outgrows its sizeLimit (the eviction manager's check).

        Checked every 10 s, as the kubelet's housekeeping does; the pod is
        killed at once (grace 0) and ends Failed, reason Evicted, with a
        DisruptionTarget condition.
        """
        while not self.done.is_set():
            with anyio.move_on_after(EVICTION_INTERVAL * self.k.time_scale):
                await self.done.wait()
            if self.done.is_set() or self.kill.is_set():
                return
            for name, (path, limit, written) in self.size_limits.items():
                used = await anyio.to_thread.run_sync(disk_usage, path)
                if used > limit:
                    self.evicted = f'Usage of EmptyDir volume "{name}" exceeds the limit "{written}". '
                    self.kill_grace = 0
                    await self.k.sink.record_event(self.pod, "Warning", EVICTED, self.evicted, "kubelet")
                    self.kill.set()
                    return

    async def _stop_sandbox_later(self) -> None:
        with anyio.move_on_after(SANDBOX_STOP_DELAY):
            await self.forgotten.wait()
        await self.stop_sandbox()

    async def stop_sandbox(self) -> None:
        """Stop a finished pod's sandbox and report it: PodReadyToStartContainers turns False."""
        async with self.sandbox_lock:
            if self.forgotten.is_set() or not self.sandbox_id:
                return
            try:
                await self.k.docker.stop(self.sandbox_id, grace_seconds=0)
            except MinikError:
                return
        self.sandbox_stopped = True
        last = self.status or {}
        phase = str(last.get("phase") or "Failed")
        await self.report(phase, reason=str(last.get("reason") or ""), message=str(last.get("message") or ""))

    async def _retry_pause(self, attempt: int, *, first: float = SETUP_RETRY_FIRST) -> bool:
        """Wait before retrying pod setup; False when the pod is being deleted."""
        delay = min(first * 2**attempt, SETUP_RETRY_CAP) * self.k.time_scale
        with anyio.move_on_after(delay):
            await self.kill.wait()
        return not self.kill.is_set()

    async def _setup(self) -> Sources:
        """Sandbox and volumes, retried as the kubelet does until they can be made.

        A missing configMap/secret or a failed hostPath check is a
        FailedMount event and a Pending pod that starts once the cause is
        gone; an unreachable engine keeps the pod Pending until it answers.
        """
        attempt = 0
        while True:
            try:
                if not self.sandbox_id:
                    await self._make_sandbox()
                return await self.k.volumes.prepare(self)
            except SandboxError as exc:
                # A node problem, not the pod's: it stays Pending (ContainerCreating)
                # and is retried with back-off; it never counts against a Job.
                msg = f"Failed to create pod sandbox: {exc}"
                log.warning("pod %s/%s: %s", self.ns, self.name, msg)
                await self.k.sink.record_event(self.pod, "Warning", "FailedCreatePodSandBox", msg, "kubelet")
                await self.report("Pending")
            except ConfigError as exc:
                msg = f"MountVolume.SetUp failed: {exc}"
                await self.k.sink.record_event(self.pod, "Warning", "FailedMount", msg, "kubelet")
                await self.report("Pending")
            except DockerUnavailable as exc:
                log.warning("pod %s/%s waits for the engine: %s", self.ns, self.name, exc)
                self.sandbox_id = ""  # whatever was half-made went with the engine
                await self.report("Pending")
            if not await self._retry_pause(attempt):
                raise PodDeleted
            attempt += 1

    async def _make_sandbox(self) -> None:
        """The pod's network and pause container; :class:`SandboxError` when the engine refuses them."""
        try:
            await self._create_sandbox()
        except DockerUnavailable:
            raise
        except RuntimeFailure as exc:
            if self.sandbox_id:
                with contextlib.suppress(MinikError):
                    await self.k.docker.remove_container(self.sandbox_id)
            self.sandbox_id = ""
            self.k.network_lost()  # it may be what went missing: the next attempt checks
            raise SandboxError(sentence(exc)) from exc

    async def _create_sandbox(self) -> None:
        await self.k.ensure_network()
        hostname = self.spec.get("hostname") or self.name[:63]
        extra: dict[str, Any] = {}
        if self.spec.get("subdomain"):
            # Docker then writes "<ip> <hostname>.<domain> <hostname>" into the
            # pod's /etc/hosts (shared by every container), so `hostname -f`
            # gives the FQDN, as GeneratePodHostNameAndDomain makes it upstream.
            extra["domainname"] = f"{self.spec['subdomain']}.{self.ns}.svc.cluster.local"
        name = self.cname(labels.SANDBOX)
        with contextlib.suppress(NoSuchObject):  # left by an attempt the engine dropped
            await self.k.docker.remove_container(name)
        self.sandbox_id = await self.k.docker.create_container(
            image=self.k.pause_image,
            name=name,
            labels=self.labels(labels.SANDBOX),
            hostname=hostname,
            host_config={"network_mode": self.k.network, "init": False},
            **extra,
        )
        await self.k.docker.start(self.sandbox_id)
        self.ip = (await self.k.docker.inspect(self.sandbox_id)).ip
        self.k.sandboxes[self.uid] = self.sandbox_id

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
                env = self.k.env.resolve(self, c)
                image = await self.k.images.ensure(self, c)
                image_user = await self.k.docker.image_user(image) if needs_image_user(c, self.spec) else ""
                refused = verify_run_as_non_root(
                    c, self.spec, f"{self.name}_{self.ns}({self.uid})", image_user
                )
                if refused:
                    raise ConfigError(refused)
                binds, tmpfs = await self.k.volumes.mounts(self, c, sources)
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
            config = container_config(
                c,
                self.spec,
                env,
                network_mode=f"container:{self.sandbox_id}",
                binds=binds,
                tmpfs=tmpfs,
                message_file=message_file,
            )
            cid = await self.k.docker.create_container(
                image=image,
                name=self.cname(name, restarts),
                labels={**self.labels(name), labels.ATTEMPT: str(restarts)},
                **config,
            )
            await self.k.sink.record_event(
                self.pod, "Normal", "Created", f"Created container: {name}", "kubelet"
            )
            started = True
            try:
                await self.k.docker.start(cid)
                await self.k.sink.record_event(
                    self.pod, "Normal", "Started", f"Started container {name}", "kubelet"
                )
            except DockerUnavailable:
                raise
            except MinikError as exc:
                started = False
                code, terminated = 128, await self._start_error(c, cid, exc)
                self.statuses[name] = container_status(
                    c, {"terminated": terminated}, cid=cid, restarts=restarts, last=self._last_state(name)
                )
            if started:
                code, terminated = await self._run_started(c, cid, name, restarts, init)
                await self._termination_message(c, cid, code, terminated, message_file)
            if self._stopping(sidecar):
                return False
            decision = plan.after_exit(c, self.restart_policy, code, init=init)
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

    async def _termination_message(
        self, c: Obj, cid: str, code: int, terminated: Obj, message_file: Path | None
    ) -> None:
        """``state.terminated.message``: the termination-message file, or (FallbackToLogsOnError,
        a failure, no message written) the log's tail, as the kubelet reads them."""
        cap = termination.per_container_cap(self.spec)
        message = termination.read_file(message_file, cap) if message_file is not None else ""
        if not message and termination.falls_back_to_logs(c, code):
            with contextlib.suppress(MinikError):
                tail = await self.k.docker.logs(cid, tail=termination.LOG_LINES)
                message = termination.from_logs(tail, cap)
        if message:
            terminated["message"] = message

    def _stopping(self, sidecar: bool) -> bool:
        """The pod is being killed, or (for a sidecar) its regular containers are done."""
        return self.kill.is_set() or (sidecar and self.sidecar_stop.is_set())

    def _live_phase(self, init: bool, sidecar: bool) -> str:
        return plan.live_phase(str(self.status.get("phase") or ""), init=init, sidecar=sidecar)

    def _last_state(self, name: str) -> Obj | None:
        """The container's previous termination, kept across its restarts."""
        return (self.statuses.get(name) or {}).get("lastState")

    async def _wait_state(
        self, c: Obj, init: bool, reason: str, message: str, event: str, *, event_message: str = ""
    ) -> None:
        """The container cannot be created yet: waiting with ``reason``, a Warning event."""
        name = c["name"]
        self.statuses[name] = container_status(
            c,
            {"waiting": {"reason": reason, "message": message}},
            restarts=int((self.statuses.get(name) or {}).get("restartCount") or 0),
            last=self._last_state(name),
        )
        msg = event_message or f"Error: {message}"
        await self.k.sink.record_event(self.pod, "Warning", event, msg, "kubelet")
        await self.report("Pending" if init or self.status.get("phase") != "Running" else "Running")

    async def _image_wait(self, c: Obj, init: bool, exc: ImagePullError, *, backoff: bool) -> None:
        """The image is missing: the waiting state and events of the kubelet's image manager.

        A failed pull is ErrImagePull (Warning Failed: the pull error, then
        "Error: ErrImagePull"); while the pull backs off the container waits
        in ImagePullBackOff (Normal BackOff "Back-off pulling image"); with
        imagePullPolicy Never it is ErrImageNeverPull.
        """
        image = str(c["image"])
        sink = self.k.sink
        if exc.never:
            reason, message = "ErrImageNeverPull", str(exc)
            await sink.record_event(self.pod, "Warning", reason, message, "kubelet")
        elif backoff:
            reason, message = "ImagePullBackOff", f'Back-off pulling image "{image}"'
            await sink.record_event(self.pod, "Normal", "BackOff", message, "kubelet")
        else:
            reason, message = "ErrImagePull", str(exc)
            await sink.record_event(self.pod, "Warning", "Failed", message, "kubelet")
        await self._wait_state(c, init, reason, message, "Failed", event_message=f"Error: {reason}")

    async def _start_error(self, c: Obj, cid: str, exc: MinikError) -> Obj:
        """Docker created the container but could not start it (containerd's StartError)."""
        message = sentence(exc)
        await self.k.sink.record_event(self.pod, "Warning", "Failed", f"Error: {message}", "kubelet")
        return start_error(cid, message, now=self.k.clock())

    async def _run_started(self, c: Obj, cid: str, name: str, restarts: int, init: bool) -> tuple[int, Obj]:
        """Wait for a started container; its exit code and terminated state."""
        mark = self.k.exits.mark()
        info = await self.k.docker.inspect(cid)
        started_at = info.started_at  # kept: the container may be gone when it ends
        sidecar = is_sidecar(c, init)
        self.statuses[name] = container_status(
            c,
            {"running": {"startedAt": docker_time(info.started_at)}},
            cid=cid,
            restarts=restarts,
            ready=not init or sidecar,
            started=True,
            last=self._last_state(name),
        )
        await self.report(self._live_phase(init, sidecar))
        if sidecar:
            self.sidecar_started[name].set()
        code = await self._wait_or_kill(
            cid, also=self.sidecar_stop if sidecar else None, known=info, mark=mark, container=name
        )
        after: ContainerInfo | None = None
        with contextlib.suppress(NoSuchObject):
            after = await self.k.docker.inspect(cid)
        if after is None or after.status in ("removing", "dead"):  # docker rm -f from outside
            code, terminated = 137, vanished(cid, started_at=docker_time(started_at), now=self.k.clock())
        else:
            terminated = status.terminated(
                code,
                oom=after.oom_killed,
                started_at=after.started_at,
                finished_at=after.finished_at,
                cid=cid,
            )
        self.statuses[name] = {
            **self.statuses[name],
            # A regular init container that completed is ready (the prober manager's rule).
            "ready": init and not sidecar and code == 0,
            "started": False,
            "state": {"terminated": terminated},
        }
        return code, terminated

    async def _wait_or_kill(
        self,
        cid: str,
        *,
        also: anyio.Event | None = None,
        known: ContainerInfo | None = None,
        mark: int | None = None,
        container: str = "",
    ) -> int:
        """The container's exit code; it is stopped (grace period) on a kill or on ``also``."""
        code = -1
        async with anyio.create_task_group() as tg:

            async def waiter() -> None:
                nonlocal code
                code = await self.k.exits.wait(
                    cid, known=known, mark=mark
                )  # GONE: the caller's inspect tells
                tg.cancel_scope.cancel()

            async def killer() -> None:
                await (_first(self.kill, also) if also is not None else self.kill.wait())
                grace = self.kill_grace
                if grace is None:
                    grace = meta(self.pod).get("deletionGracePeriodSeconds")
                if grace is None:
                    grace = self.spec.get("terminationGracePeriodSeconds", 30)
                if container:
                    stopping = f"Stopping container {container}"
                    await self.k.sink.record_event(self.pod, "Normal", "Killing", stopping, "kubelet")
                with contextlib.suppress(MinikError):
                    await self.k.docker.stop(cid, grace_seconds=int(grace))

            tg.start_soon(waiter)
            tg.start_soon(killer)
        return code


async def _first(*events: anyio.Event) -> None:
    """Wait until any of ``events`` is set."""
    async with anyio.create_task_group() as tg:

        async def one(e: anyio.Event) -> None:
            await e.wait()
            tg.cancel_scope.cancel()

        for e in events:
            tg.start_soon(one, e)
