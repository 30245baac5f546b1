"""A minimal kubelet: enough of a pod on Docker for Job workloads.

Owns one worker task per pod: sandbox (pause) container on the instance's
network, volumes (emptyDir, downwardAPI, configMap, secret, hostPath), init
containers one at a time, app containers together, restartPolicy Never /
OnFailure (in-place restarts with crash-loop backoff), deletion with a grace
period, and the pod status reported to the sink. Docker is reached only
through :class:`DockerAPI`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import re
import shutil
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import anyio
import anyio.abc

from minik.errors import DockerUnavailable, MinikError
from minik.k8s import Obj, meta, parse_time, rfc3339, selector_matches
from minik.kubelet import deadline
from minik.kubelet.docker_api import ContainerInfo, DockerAPI, NoSuchObject, forget_endpoint

log = logging.getLogger("minik.kubelet")

PAUSE_IMAGE_DEFAULT = "registry.k8s.io/pause:3.10"
SANDBOX_STOP_DELAY = 0.5  # seconds after a pod's terminal report before its sandbox stops
SETUP_RETRY_FIRST = 1.0  # pod setup / image pull retries: 1 s doubling …
SETUP_RETRY_CAP = 300.0  # … to 5 min, as the kubelet's back-off (scaled by MINIK_TIME_SCALE)
IMAGE_BACKOFF_FIRST = 10.0  # image pulls back off 10 s doubling to 5 min (upstream image manager)
INDEX_LABEL = "batch.kubernetes.io/job-completion-index"


class ObjectSource(Protocol):
    def get(self, resource: str, namespace: str, name: str) -> Obj | None: ...


class PodSink(Protocol):
    async def update_pod_status(self, pod: Obj, status: Obj) -> None: ...

    async def record_event(
        self, involved: Obj, type: str, reason: str, message: str, component: str
    ) -> None: ...


_REF = re.compile(r"\$\$|\$\(([^)]*)\)")


def expand(s: str, env: dict[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion (R9.12): ``$$`` → ``$``; unknown refs stay."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)

    return _REF.sub(sub, s)


def resolve_field(pod: Obj, path: str, *, ip: str) -> str:
    """The value of a downward-API fieldPath for ``pod`` (R9.10/R9.11)."""
    m = meta(pod)
    sub = re.fullmatch(r"metadata\.(labels|annotations)\['(.*)'\]", path)
    if sub:
        return str((m.get(sub.group(1)) or {}).get(sub.group(2), ""))
    if path in ("metadata.labels", "metadata.annotations"):
        items = m.get(path.split(".")[1]) or {}
        return "\n".join(f'{k}="{v}"' for k, v in sorted(items.items()))
    simple = {
        "metadata.name": m.get("name", ""),
        "metadata.namespace": m.get("namespace", "default"),
        "metadata.uid": m.get("uid", ""),
        "spec.nodeName": "minik",
        "spec.serviceAccountName": (pod.get("spec") or {}).get("serviceAccountName", "default"),
        "status.hostIP": "127.0.0.1",
        "status.hostIPs": "127.0.0.1",
        "status.podIP": ip,
        "status.podIPs": ip,
    }
    return str(simple.get(path, ""))


class ConfigError(MinikError):
    """A configMap/secret the pod needs is missing (CreateContainerConfigError)."""


class ImagePullError(ConfigError):
    """The image is not there and cannot be pulled (ErrImagePull, ImagePullBackOff)."""

    def __init__(self, message: str, *, never: bool = False) -> None:
        super().__init__(message)
        self.never = never


class PodDeleted(Exception):
    """The pod was deleted while it waited to be set up."""


def _sentence(exc: BaseException) -> str:
    """One readable sentence for an error, unwrapping task-group exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return " ".join(str(exc).split())[:1000] or type(exc).__name__


def _sanitize(s: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", s)


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
        self.sidecar_stop = anyio.Event()  # the regular containers are done: sidecars stop
        self.sidecar_started: dict[str, anyio.Event] = {}

    # -- labels and names ----------------------------------------------------
    def labels(self, container: str) -> dict[str, str]:
        m = meta(self.pod)
        out = {
            "minik.io/instance": self.k.instance,
            "minik.io/pod-uid": self.uid,
            "minik.io/pod-name": self.name,
            "minik.io/namespace": self.ns,
            "minik.io/container": container,
        }
        for ref in m.get("ownerReferences") or []:
            if ref.get("controller") and ref.get("kind") == "Job":
                out["minik.io/job-uid"] = str(ref.get("uid"))
        idx = (m.get("labels") or {}).get(INDEX_LABEL)
        if idx is not None:
            out["minik.io/completion-index"] = str(idx)
        return out

    def cname(self, container: str, attempt: int = 0) -> str:
        h = hashlib.sha1(self.uid.encode()).hexdigest()[:8]
        base = f"minik-{self.k.instance}-{self.ns}-{self.name}-{container}"[:200]
        return _sanitize(f"{base}-{h}" + (f"-{attempt}" if attempt else ""))

    # -- status ----------------------------------------------------------------
    async def report(self, phase: str, *, reason: str = "", message: str = "") -> None:
        now = rfc3339(self.k.clock())
        spec = self.spec
        inits = [
            self.statuses.get(c["name"]) or _waiting(c, "PodInitializing")
            for c in spec.get("initContainers") or []
        ]
        wait_reason = "PodInitializing" if spec.get("initContainers") else "ContainerCreating"
        apps = [
            self.statuses.get(c["name"]) or _waiting(c, wait_reason) for c in spec.get("containers") or []
        ]
        init_done = all(
            _init_done(s, sidecar=c.get("restartPolicy") == "Always")
            for c, s in zip(spec.get("initContainers") or [], inits, strict=True)
        )
        ready = phase == "Running" and all(s.get("ready") for s in apps)
        prev = {c["type"]: c for c in self.status.get("conditions") or []}

        def cond(t: str, ok: bool, why: str = "") -> Obj:
            value = "True" if ok else "False"
            old = prev.get(t)
            c: Obj = {
                "type": t,
                "status": value,
                "lastProbeTime": None,
                "lastTransitionTime": old["lastTransitionTime"] if old and old["status"] == value else now,
            }
            if why and not ok:
                c["reason"] = why
            return c

        status: Obj = {
            "phase": phase,
            "conditions": [
                cond("PodReadyToStartContainers", bool(self.sandbox_id)),
                cond("Initialized", init_done, "ContainersNotInitialized"),
                cond(
                    "Ready",
                    ready,
                    "PodCompleted" if phase in ("Succeeded", "Failed") else "ContainersNotReady",
                ),
                cond(
                    "ContainersReady",
                    ready,
                    "PodCompleted" if phase in ("Succeeded", "Failed") else "ContainersNotReady",
                ),
                cond("PodScheduled", True),
            ],
            "hostIP": "127.0.0.1",
            "hostIPs": [{"ip": "127.0.0.1"}],
            "startTime": self.status.get("startTime") or now,
            "qosClass": "BestEffort",
        }
        if self.ip:
            status["podIP"] = self.ip
            status["podIPs"] = [{"ip": self.ip}]
        if inits:
            status["initContainerStatuses"] = inits
        status["containerStatuses"] = apps
        if reason:
            status["reason"] = reason
        if message:
            status["message"] = message
        self.status = status
        await self.k.sink.update_pod_status(self.pod, status)

    # -- the pod's life ------------------------------------------------------
    async def run(self) -> None:
        if self.spec.get("activeDeadlineSeconds") is not None:
            self.k.spawn(self._enforce_deadline)
        try:
            phase = await self._run()
        except Exception as exc:  # noqa: BLE001 - a pod failure, reported
            log.warning("pod %s/%s failed to run: %s", self.ns, self.name, exc)
            await self.k.sink.record_event(self.pod, "Warning", "Failed", _sentence(exc), "kubelet")
            phase = "Failed"
        if self.deadline_exceeded:
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

    async def _stop_sandbox_later(self) -> None:
        with anyio.move_on_after(SANDBOX_STOP_DELAY):
            await self.forgotten.wait()
        async with self.sandbox_lock:
            if not self.forgotten.is_set():
                with contextlib.suppress(MinikError):
                    await self.k.docker.stop(self.sandbox_id, grace_seconds=0)

    async def _retry_pause(self, attempt: int, *, first: float = SETUP_RETRY_FIRST) -> bool:
        """Wait before retrying pod setup; False when the pod is being deleted."""
        delay = min(first * 2**attempt, SETUP_RETRY_CAP) * self.k.time_scale
        with anyio.move_on_after(delay):
            await self.kill.wait()
        return not self.kill.is_set()

    async def _setup(self) -> tuple[dict[str, list[str]], dict[str, dict[str, str]]]:
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
                binds, tmpfs = await self.k.volumes.prepare(self)
                return binds, tmpfs
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
        await self.k.ensure_network()
        hostname = self.spec.get("hostname") or self.name[:63]
        name = self.cname("POD")
        with contextlib.suppress(NoSuchObject):  # left by an attempt the engine dropped
            await self.k.docker.remove_container(name)
        self.sandbox_id = await self.k.docker.create_container(
            image=self.k.pause_image,
            name=name,
            labels=self.labels("POD"),
            hostname=hostname,
            host_config={"network_mode": self.k.network, "init": False},
        )
        await self.k.docker.start(self.sandbox_id)
        self.ip = (await self.k.docker.inspect(self.sandbox_id)).ip
        self.k.sandboxes[self.uid] = self.sandbox_id

    async def _run(self) -> str:
        try:
            binds, tmpfs = await self._setup()
        except PodDeleted:
            return "Failed"
        await self.report("Pending")
        phase = "Failed"
        async with anyio.create_task_group() as sidecars:
            try:
                phase = await self._run_containers(sidecars, binds, tmpfs)
            finally:
                self.sidecar_stop.set()  # sidecars end (SIGTERM, grace) after the regular containers
        return phase

    async def _run_sidecar(
        self, c: Obj, binds: dict[str, list[str]], tmpfs: dict[str, dict[str, str]]
    ) -> None:
        await self.run_container(c, binds, tmpfs, init=True)

    async def _run_containers(
        self, sidecars: anyio.abc.TaskGroup, binds: dict[str, list[str]], tmpfs: dict[str, dict[str, str]]
    ) -> str:
        """Init containers in order (sidecars started and left running), then the app containers."""
        for c in self.spec.get("initContainers") or []:
            if c.get("restartPolicy") == "Always":
                self.sidecar_started[c["name"]] = started = anyio.Event()
                sidecars.start_soon(self._run_sidecar, c, binds, tmpfs)
                await _first(started, self.kill)  # the next init container waits for it to start
                if self.kill.is_set():
                    return "Failed"
                continue
            ok = await self.run_container(c, binds, tmpfs, init=True)
            if self.kill.is_set():
                return "Failed"
            if not ok:
                return "Failed"
        await self.report("Pending")
        results: dict[str, bool] = {}
        async with anyio.create_task_group() as tg:
            for c in self.spec.get("containers") or []:

                async def one(c: Obj = c) -> None:
                    results[c["name"]] = await self.run_container(c, binds, tmpfs, init=False)

                tg.start_soon(one)
        if self.kill.is_set():
            return "Failed"
        return "Succeeded" if all(results.values()) else "Failed"

    async def run_container(
        self, c: Obj, binds: dict[str, list[str]], tmpfs: dict[str, dict[str, str]], *, init: bool
    ) -> bool:
        """Run one container to completion (with OnFailure restarts); True if it exited 0.

        A sidecar (an init container with restartPolicy Always) is restarted
        whatever the pod's policy, until the regular containers are done.
        """
        name = c["name"]
        sidecar = _is_sidecar(c, init)
        policy = "Always" if sidecar else self.restart_policy
        restarts = 0
        backoff = 10.0
        waits = 0
        while True:
            try:
                env = self.k.env.resolve(self, c)
                image = await self.k.images.ensure(self, c)
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
            cmd = [expand(x, env) for x in c.get("command") or []] or None
            args = [expand(x, env) for x in c.get("args") or []] or None
            host_config: dict[str, Any] = {
                "network_mode": f"container:{self.sandbox_id}",
                "binds": binds.get(name, []),
                "tmpfs": tmpfs.get(name) or None,
            }
            limits = (c.get("resources") or {}).get("limits") or {}
            if "memory" in limits:
                host_config["mem_limit"] = _bytes(str(limits["memory"]))
            if "cpu" in limits:
                host_config["nano_cpus"] = int(_cpus(str(limits["cpu"])) * 1e9)
            sc = c.get("securityContext") or {}
            psc = self.spec.get("securityContext") or {}
            user = sc.get("runAsUser", psc.get("runAsUser"))
            group = sc.get("runAsGroup", psc.get("runAsGroup"))
            if sc.get("privileged"):
                host_config["privileged"] = True
            if sc.get("readOnlyRootFilesystem"):
                host_config["read_only"] = True
            caps = sc.get("capabilities") or {}
            if caps.get("add"):
                host_config["cap_add"] = caps["add"]
            if caps.get("drop"):
                host_config["cap_drop"] = caps["drop"]
            config: dict[str, Any] = {
                "environment": [f"{k}={v}" for k, v in env.items()],
                "host_config": host_config,
            }
            if c.get("workingDir"):
                config["working_dir"] = c["workingDir"]
            if user is not None:
                config["user"] = f"{user}:{group}" if group is not None else str(user)
            if cmd is not None:
                config["entrypoint"] = cmd
            cid = await self.k.docker.create_container(
                image=image,
                name=self.cname(name, restarts),
                labels={**self.labels(name), "minik.io/attempt": str(restarts)},
                command=args,
                **config,
            )
            started = True
            try:
                await self.k.docker.start(cid)
            except DockerUnavailable:
                raise
            except MinikError as exc:
                started = False
                code, terminated = 128, await self._start_error(c, cid, exc)
                self.statuses[name] = {
                    **self._status_base(c, cid, restarts),
                    "state": {"terminated": terminated},
                }
            if started:
                code, terminated = await self._run_started(c, cid, name, restarts, init)
            if self._stopping(sidecar):
                return False
            if policy == "Never" or (code == 0 and ((init and not sidecar) or policy == "OnFailure")):
                return code == 0
            # OnFailure, or Always (whatever the exit code): restart in place with crash-loop backoff.
            restarts += 1
            self.statuses[name]["lastState"] = {"terminated": terminated}
            delay = 0.0 if restarts == 1 else min(backoff, 300.0) * self.k.time_scale
            if restarts > 1:
                backoff *= 2
            if delay:
                msg = f"back-off {int(delay)}s restarting failed container={name} pod={self.name}_{self.ns}({self.uid})"
                self.statuses[name]["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": msg}}
                self.statuses[name]["restartCount"] = restarts
                await self.report(self._live_phase(init, sidecar))
                with anyio.move_on_after(delay):
                    await (_first(self.kill, self.sidecar_stop) if sidecar else self.kill.wait())
                if self._stopping(sidecar):
                    return False

    def _stopping(self, sidecar: bool) -> bool:
        """The pod is being killed, or (for a sidecar) its regular containers are done."""
        return self.kill.is_set() or (sidecar and self.sidecar_stop.is_set())

    def _live_phase(self, init: bool, sidecar: bool) -> str:
        """The phase to report while a container runs: a sidecar keeps the pod's current phase."""
        if sidecar:
            return str(self.status.get("phase") or "Pending")
        return "Running" if not init else "Pending"

    def _status_base(self, c: Obj, cid: str, restarts: int) -> Obj:
        name = c["name"]
        base: Obj = {
            "name": name,
            "image": c["image"],
            "imageID": "",
            "containerID": f"docker://{cid}",
            "ready": False,
            "started": False,
            "restartCount": restarts,
        }
        last = (self.statuses.get(name) or {}).get("lastState")
        if last:
            base["lastState"] = last
        return base

    async def _wait_state(
        self, c: Obj, init: bool, reason: str, message: str, event: str, *, event_message: str = ""
    ) -> None:
        """The container cannot be created yet: waiting with ``reason``, a Warning event."""
        name = c["name"]
        old = self.statuses.get(name) or {}
        self.statuses[name] = {
            "name": name,
            "image": c["image"],
            "imageID": "",
            "ready": False,
            "started": False,
            "restartCount": int(old.get("restartCount") or 0),
            "state": {"waiting": {"reason": reason, "message": message}},
            **({"lastState": old["lastState"]} if old.get("lastState") else {}),
        }
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
        message = _sentence(exc)
        await self.k.sink.record_event(self.pod, "Warning", "Failed", f"Error: {message}", "kubelet")
        now = rfc3339(self.k.clock())
        return {
            "exitCode": 128,
            "reason": "StartError",
            "message": message,
            "startedAt": "1970-01-01T00:00:00Z",
            "finishedAt": now,
            "containerID": f"docker://{cid}",
        }

    def _vanished(self, cid: str, started_at: str) -> Obj:
        """The terminated state of a container Docker no longer knows (upstream's wording)."""
        return {
            "exitCode": 137,
            "reason": "ContainerStatusUnknown",
            "message": "The container could not be located when the pod was terminated",
            "startedAt": started_at,
            "finishedAt": rfc3339(self.k.clock()),
            "containerID": f"docker://{cid}",
        }

    async def _run_started(self, c: Obj, cid: str, name: str, restarts: int, init: bool) -> tuple[int, Obj]:
        """Wait for a started container; its exit code and terminated state."""
        info = await self.k.docker.inspect(cid)
        started_at = info.started_at  # kept: the container may be gone when it ends
        self.statuses[name] = {
            "name": name,
            "image": c["image"],
            "imageID": "",
            "containerID": f"docker://{cid}",
            "ready": not init or _is_sidecar(c, init),
            "started": True,
            "restartCount": restarts,
            "state": {"running": {"startedAt": _ts(info.started_at)}},
            **(
                {"lastState": self.statuses[name]["lastState"]}
                if name in self.statuses and "lastState" in self.statuses[name]
                else {}
            ),
        }
        sidecar = _is_sidecar(c, init)
        await self.report(self._live_phase(init, sidecar))
        if sidecar:
            self.sidecar_started[name].set()
        code = await self._wait_or_kill(cid, also=self.sidecar_stop if sidecar else None)
        after: ContainerInfo | None = None
        with contextlib.suppress(NoSuchObject):
            after = await self.k.docker.inspect(cid)
        if after is None or after.status in ("removing", "dead"):  # docker rm -f from outside
            code, terminated = 137, self._vanished(cid, _ts(started_at))
        else:
            reason = "OOMKilled" if after.oom_killed else ("Completed" if code == 0 else "Error")
            terminated = {
                "exitCode": code,
                "reason": reason,
                "startedAt": _ts(after.started_at),
                "finishedAt": _ts(after.finished_at),
                "containerID": f"docker://{cid}",
            }
        self.statuses[name] = {
            **self.statuses[name],
            "ready": False,
            "started": False,
            "state": {"terminated": terminated},
        }
        return code, terminated

    async def _wait_or_kill(self, cid: str, *, also: anyio.Event | None = None) -> int:
        """The container's exit code; it is stopped (grace period) on a kill or on ``also``."""
        code = -1
        async with anyio.create_task_group() as tg:

            async def waiter() -> None:
                nonlocal code
                with contextlib.suppress(NoSuchObject):  # already removed: the caller's inspect tells
                    code = await self.k.docker.wait(cid)
                tg.cancel_scope.cancel()

            async def killer() -> None:
                await (_first(self.kill, also) if also is not None else self.kill.wait())
                grace = meta(self.pod).get("deletionGracePeriodSeconds")
                if grace is None:
                    grace = self.spec.get("terminationGracePeriodSeconds", 30)
                with contextlib.suppress(MinikError):
                    await self.k.docker.stop(cid, grace_seconds=int(grace))

            tg.start_soon(waiter)
            tg.start_soon(killer)
        return code


def _is_sidecar(c: Obj, init: bool) -> bool:
    """A native sidecar: an init container with restartPolicy Always."""
    return init and c.get("restartPolicy") == "Always"


def _init_done(s: Obj, *, sidecar: bool) -> bool:
    """Whether an init container lets the pod be Initialized: exited 0, or (sidecar) started once."""
    state = s.get("state") or {}
    if sidecar:
        return bool(s.get("started") or "terminated" in state or s.get("restartCount"))
    return "terminated" in state and state["terminated"]["exitCode"] == 0


async def _first(*events: anyio.Event) -> None:
    """Wait until any of ``events`` is set."""
    async with anyio.create_task_group() as tg:

        async def one(e: anyio.Event) -> None:
            await e.wait()
            tg.cancel_scope.cancel()

        for e in events:
            tg.start_soon(one, e)


def _waiting(c: Obj, reason: str) -> Obj:
    return {
        "name": c["name"],
        "image": c.get("image", ""),
        "imageID": "",
        "ready": False,
        "started": False,
        "restartCount": 0,
        "state": {"waiting": {"reason": reason}},
    }


def _ts(docker_time: str) -> str:
    t = parse_time(docker_time)
    return rfc3339(t) if t and t.year > 1 else ""


_SUFFIX = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
}


def _bytes(q: str) -> int:
    for s, mult in _SUFFIX.items():
        if q.endswith(s):
            return int(float(q[: -len(s)]) * mult)
    return int(float(q))


def _cpus(q: str) -> float:
    return float(q[:-1]) / 1000 if q.endswith("m") else float(q)


class Volumes:
    """Prepares a pod's volumes; returns per-container binds and tmpfs mounts."""

    def __init__(self, kubelet: Kubelet) -> None:
        self.k = kubelet

    def pod_dir(self, uid: str) -> Path:
        return self.k.state_dir / "pods" / uid

    async def prepare(self, w: PodWorker) -> tuple[dict[str, list[str]], dict[str, dict[str, str]]]:
        sources: dict[str, tuple[str, str]] = {}  # volume name -> (kind, host path or volume name)
        for v in w.spec.get("volumes") or []:
            name = v["name"]
            if "emptyDir" in v:
                ed = v["emptyDir"] or {}
                if ed.get("medium") == "Memory":
                    sources[name] = ("tmpfs", str(ed.get("sizeLimit") or ""))
                else:
                    vol = _sanitize(f"minik-{self.k.instance}-{w.uid[:8]}-{name}")
                    await _create_volume(self.k.docker, vol, w.labels(name))
                    sources[name] = ("volume", vol)
            elif "hostPath" in v:
                hp = v["hostPath"]
                p = Path(hp["path"])
                kind = hp.get("type") or ""
                if kind == "DirectoryOrCreate":
                    p.mkdir(parents=True, exist_ok=True)
                elif kind == "FileOrCreate" and not p.exists():
                    p.parent.mkdir(parents=True, exist_ok=True)
                    p.touch()
                elif kind == "Directory" and not p.is_dir():
                    raise ConfigError(f"hostPath type check failed: {p} is not a directory")
                elif kind == "File" and not p.is_file():
                    raise ConfigError(f"hostPath type check failed: {p} is not a file")
                sources[name] = ("bind", str(p))
            else:
                d = self.pod_dir(w.uid) / "volumes" / name
                d.mkdir(parents=True, exist_ok=True)
                for rel, data, mode in self.files(w, v):
                    f = d / rel
                    f.parent.mkdir(parents=True, exist_ok=True)
                    f.write_bytes(data)
                    f.chmod(mode)
                sources[name] = ("bind", str(d))
        binds: dict[str, list[str]] = {}
        tmpfs: dict[str, dict[str, str]] = {}
        for c in (w.spec.get("initContainers") or []) + (w.spec.get("containers") or []):
            env = (
                self.k.env.resolve(w, c)
                if any(vm.get("subPathExpr") for vm in c.get("volumeMounts") or [])
                else {}
            )
            for vm in c.get("volumeMounts") or []:
                kind, src = sources[vm["name"]]
                rw = "ro" if vm.get("readOnly") else "rw"
                sub = vm.get("subPath") or (expand(vm["subPathExpr"], env) if vm.get("subPathExpr") else "")
                if kind == "tmpfs":
                    opts = f"size={_bytes(src)}" if src else ""
                    tmpfs.setdefault(c["name"], {})[vm["mountPath"]] = opts
                    continue
                if sub:
                    if kind == "volume":
                        src = await _volume_path(self.k.docker, src)
                    target = Path(src) / sub
                    if not target.exists():
                        target.mkdir(parents=True, exist_ok=True)
                    src = str(target)
                binds.setdefault(c["name"], []).append(f"{src}:{vm['mountPath']}:{rw}")
        return binds, tmpfs

    def files(self, w: PodWorker, v: Obj) -> list[tuple[str, bytes, int]]:
        out: list[tuple[str, bytes, int]] = []
        if "downwardAPI" in v:
            dv = v["downwardAPI"]
            for item in dv.get("items") or []:
                if "fieldRef" in item:
                    value = resolve_field(w.pod, item["fieldRef"]["fieldPath"], ip=w.ip)
                elif "resourceFieldRef" in item:
                    ref = item["resourceFieldRef"]
                    named = [
                        x
                        for x in (w.spec.get("initContainers") or []) + (w.spec.get("containers") or [])
                        if x["name"] == ref.get("containerName")
                    ]
                    value = _resource_value(named[0], ref) if named else ""
                else:
                    value = ""
                out.append((item["path"], value.encode(), item.get("mode", dv.get("defaultMode", 0o644))))
        elif "configMap" in v or "secret" in v:
            out += self._keyed(w, v)
        elif "projected" in v:
            pv = v["projected"]
            for src in pv.get("sources") or []:
                if "downwardAPI" in src:
                    out += self.files(
                        w,
                        {"downwardAPI": {**src["downwardAPI"], "defaultMode": pv.get("defaultMode", 0o644)}},
                    )
                else:
                    out += self._keyed(w, src)
        return out

    def _keyed(self, w: PodWorker, v: Obj) -> list[tuple[str, bytes, int]]:
        is_cm = "configMap" in v
        ref = v["configMap"] if is_cm else v["secret"]
        name = ref.get("name") if is_cm else ref.get("secretName", ref.get("name"))
        obj = self.k.objects.get("configmaps" if is_cm else "secrets", w.ns, str(name))
        if obj is None:
            if ref.get("optional"):
                return []
            kind = "configmap" if is_cm else "secret"
            raise ConfigError(f'{kind} "{name}" not found')
        data: dict[str, bytes] = {}
        for k, val in (obj.get("data") or {}).items():
            data[k] = str(val).encode() if is_cm else base64.b64decode(val)
        for k, val in (obj.get("binaryData") or {}).items():
            data[k] = base64.b64decode(val)
        mode = ref.get("defaultMode", 0o644)
        items = ref.get("items")
        if items:
            return [
                (i["path"], data.get(i["key"], b""), i.get("mode", mode)) for i in items if i["key"] in data
            ]
        return [(k, val, mode) for k, val in data.items()]

    def remove(self, uid: str) -> None:
        shutil.rmtree(self.pod_dir(uid), ignore_errors=True)


class Env:
    """Builds a container's environment (env, envFrom, downward API, $(VAR))."""

    def __init__(self, kubelet: Kubelet) -> None:
        self.k = kubelet

    def resolve(self, w: PodWorker, c: Obj) -> dict[str, str]:
        env: dict[str, str] = {}
        for ef in c.get("envFrom") or []:
            prefix = ef.get("prefix", "")
            ref = ef.get("configMapRef") or ef.get("secretRef") or {}
            is_cm = "configMapRef" in ef
            obj = self.k.objects.get("configmaps" if is_cm else "secrets", w.ns, str(ref.get("name")))
            if obj is None:
                if ref.get("optional"):
                    continue
                raise ConfigError(f'{"configmap" if is_cm else "secret"} "{ref.get("name")}" not found')
            for k, val in (obj.get("data") or {}).items():
                env[prefix + k] = str(val) if is_cm else base64.b64decode(val).decode(errors="replace")
        for e in c.get("env") or []:
            name = e["name"]
            if "valueFrom" not in e:
                env[name] = expand(e.get("value", ""), env)
                continue
            vf = e["valueFrom"]
            if "fieldRef" in vf:
                env[name] = resolve_field(w.pod, vf["fieldRef"]["fieldPath"], ip=w.ip)
            elif "resourceFieldRef" in vf:
                env[name] = _resource_value(c, vf["resourceFieldRef"])
            else:
                is_cm = "configMapKeyRef" in vf
                ref = vf.get("configMapKeyRef") or vf.get("secretKeyRef") or {}
                obj = self.k.objects.get("configmaps" if is_cm else "secrets", w.ns, str(ref.get("name")))
                raw = (obj or {}).get("data", {}).get(ref.get("key"))
                if raw is None:
                    if ref.get("optional"):
                        continue
                    if obj is None:  # as the kubelet words it
                        what = "configmap" if is_cm else "secret"
                        raise ConfigError(f'{what} "{ref.get("name")}" not found')
                    what = "ConfigMap" if is_cm else "Secret"
                    raise ConfigError(
                        f"couldn't find key {ref.get('key')} in {what} {w.ns}/{ref.get('name')}"
                    )
                env[name] = str(raw) if is_cm else base64.b64decode(raw).decode(errors="replace")
        return env


def _resource_value(c: Obj, ref: Obj) -> str:
    res = ref.get("resource", "")
    kind, _, what = res.partition(".")
    q = ((c.get("resources") or {}).get(kind) or {}).get(what)
    if q is None:
        return "0"
    if what == "cpu":
        import math

        return str(math.ceil(_cpus(str(q)) / _cpus(str(ref.get("divisor", "1")))))
    return str(_bytes(str(q)) // _bytes(str(ref.get("divisor", "1"))))


class Images:
    """imagePullPolicy: pull when asked; fall back to a local image when offline."""

    def __init__(self, kubelet: Kubelet) -> None:
        self.k = kubelet
        self._failed: dict[str, float] = {}
        self._present: dict[str, float] = {}  # image → when last seen locally

    async def ensure(self, w: PodWorker, c: Obj) -> str:
        image = str(c["image"])
        policy = c.get("imagePullPolicy") or ("Always" if _latest(image) else "IfNotPresent")
        seen = self._present.get(image)
        local = seen is not None and anyio.current_time() - seen < 30
        if not local:
            local = await _has_image(self.k.docker, image)
            if local:
                self._present[image] = anyio.current_time()
        if policy == "Never" or (policy == "IfNotPresent" and local):
            if not local:
                raise ImagePullError(
                    f'Container image "{image}" is not present with pull policy of Never', never=True
                )
            return image
        recent = self._failed.get(image)
        if recent is None or anyio.current_time() - recent > 60:
            try:
                await self.k.sink.record_event(
                    w.pod, "Normal", "Pulling", f'Pulling image "{image}"', "kubelet"
                )
                await _pull(self.k.docker, image)
                self._failed.pop(image, None)
                return image
            except MinikError as exc:
                self._failed[image] = anyio.current_time()
                err = str(exc)
        else:
            err = "no registry answered a recent pull"
        if local:
            await self.k.sink.record_event(
                w.pod,
                "Warning",
                "PullFailedUsingLocal",
                f'Failed to pull image "{image}" ({err.splitlines()[0][:200]}); using the local image',
                "kubelet",
            )
            return image
        raise ImagePullError(f'Failed to pull image "{image}": {err.splitlines()[0][:300]}')


def _latest(image: str) -> bool:
    if "@" in image:
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


class Kubelet:
    def __init__(
        self,
        docker: DockerAPI,
        objects: ObjectSource,
        sink: PodSink,
        *,
        instance: str,
        clock: Callable[[], datetime],
        time_scale: float = 1.0,
        state_dir: Path,
        pause_image: str | None = None,
    ) -> None:
        import os

        self.docker = docker
        self.objects = objects
        self.sink = sink
        self.instance = instance
        self.clock = clock
        self.time_scale = time_scale
        self.state_dir = state_dir
        self.pause_image = pause_image or os.environ.get("MINIK_PAUSE_IMAGE", PAUSE_IMAGE_DEFAULT)
        self.network = f"minik-{instance}"
        self.workers: dict[str, PodWorker] = {}
        self.sandboxes: dict[str, str] = {}
        self.aliases: dict[str, frozenset[str]] = {}
        self.volumes = Volumes(self)
        self.env = Env(self)
        self.images = Images(self)
        self._tg: anyio.abc.TaskGroup | None = None
        self._ready = anyio.Event()
        self._network_ok = False
        self._network_lock = anyio.Lock()
        self._adopted: set[str] = set()

    def spawn(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` in the kubelet's task group (background work of a pod)."""
        if self._tg is not None:
            self._tg.start_soon(fn)

    async def ensure_network(self) -> None:
        async with self._network_lock:
            if not self._network_ok:
                await _ensure_network(self.docker, self.network, {"minik.io/instance": self.instance})
                self._network_ok = True

    async def run(self) -> None:
        async with anyio.create_task_group() as tg:
            self._tg = tg
            self._ready.set()
            await anyio.sleep_forever()

    async def adopt(self) -> None:
        """Pods that have containers from an earlier server are never started again."""
        for c in await self.docker.list_containers({"minik.io/instance": self.instance}):
            uid = c.labels.get("minik.io/pod-uid")
            if uid:
                self._adopted.add(uid)

    async def sync_pod(self, pod: Obj) -> None:
        await self._ready.wait()
        assert self._tg is not None
        uid = str(meta(pod)["uid"])
        phase = (pod.get("status") or {}).get("phase")
        w = self.workers.get(uid)
        if w is not None:
            w.pod = pod
            if meta(pod).get("deletionTimestamp"):
                w.kill.set()
            return
        if phase in ("Succeeded", "Failed"):
            return
        if uid in self._adopted:
            self._adopted.discard(uid)
            self._tg.start_soon(self._resume, pod)
            return
        if meta(pod).get("deletionTimestamp"):
            await self.sink.update_pod_status(pod, {**(pod.get("status") or {}), "phase": "Failed"})
            return
        w = PodWorker(self, pod)
        self.workers[uid] = w
        self._tg.start_soon(w.run)

    async def _resume(self, pod: Obj) -> None:
        """A pod whose containers outlived a server restart.

        If its app containers were never created, nothing of the workload
        ran: its partial containers are removed and the pod starts afresh.
        Otherwise the app containers are adopted: running ones are waited
        for (never started twice), and the pod's status is rebuilt from what
        Docker recorded.
        """
        uid = str(meta(pod)["uid"])
        spec = pod.get("spec") or {}
        app_names = [x["name"] for x in spec.get("containers") or []]
        found = await self.docker.list_containers(
            {"minik.io/instance": self.instance, "minik.io/pod-uid": uid}
        )
        latest: dict[str, Any] = {}
        for c in sorted(found, key=lambda c: int(c.labels.get("minik.io/attempt", "0"))):
            latest[c.labels.get("minik.io/container", "")] = c
        apps = [latest[n] for n in app_names if n in latest]
        if not apps:
            await self.docker.remove_labelled({"minik.io/instance": self.instance, "minik.io/pod-uid": uid})
            w = PodWorker(self, pod)
            self.workers[uid] = w
            await w.run()
            return
        w = PodWorker(self, pod)
        self.workers[uid] = w
        w.status = dict(pod.get("status") or {})
        if spec.get("activeDeadlineSeconds") is not None:
            self.spawn(w._enforce_deadline)
        if "POD" in latest:
            w.sandbox_id = latest["POD"].id
            self.sandboxes[uid] = w.sandbox_id
            w.ip = latest["POD"].ip
        for old in (pod.get("status") or {}).get("initContainerStatuses") or []:
            w.statuses[old["name"]] = old
        async with anyio.create_task_group() as tg:
            for c in apps:

                async def adopt_one(c: Any = c) -> None:
                    if c.status == "running":
                        await w._wait_or_kill(c.id)
                    info = await self.docker.inspect(c.id)
                    name = c.labels.get("minik.io/container", "")
                    reason = (
                        "OOMKilled" if info.oom_killed else ("Completed" if info.exit_code == 0 else "Error")
                    )
                    w.statuses[name] = {
                        "name": name,
                        "image": next(
                            (x.get("image", "") for x in spec.get("containers") or [] if x["name"] == name),
                            "",
                        ),
                        "imageID": "",
                        "containerID": f"docker://{info.id}",
                        "ready": False,
                        "started": False,
                        "restartCount": int(c.labels.get("minik.io/attempt", "0")),
                        "state": {
                            "terminated": {
                                "exitCode": info.exit_code,
                                "reason": reason,
                                "startedAt": _ts(info.started_at),
                                "finishedAt": _ts(info.finished_at),
                                "containerID": f"docker://{info.id}",
                            }
                        },
                    }

                tg.start_soon(adopt_one)
        ok = len(apps) == len(app_names) and all(
            w.statuses[n]["state"]["terminated"]["exitCode"] == 0 for n in app_names
        )
        if w.deadline_exceeded:
            await w.report("Failed", reason=deadline.REASON, message=deadline.MESSAGE)
        else:
            await w.report("Succeeded" if ok and not w.kill.is_set() else "Failed")
        if w.sandbox_id:
            with contextlib.suppress(MinikError):
                await self.docker.stop(w.sandbox_id, grace_seconds=0)
        w.done.set()

    async def forget_pod(self, pod: Obj) -> None:
        uid = str(meta(pod)["uid"])
        w = self.workers.pop(uid, None)
        if w is not None:
            w.kill.set()
            await w.done.wait()
            w.forgotten.set()
            await w.sandbox_lock.acquire()  # a sandbox stop in flight ends first
        self.sandboxes.pop(uid, None)
        self.aliases.pop(uid, None)
        await self.docker.remove_labelled({"minik.io/instance": self.instance, "minik.io/pod-uid": uid})
        # Docker 20.10 may keep a removed sandbox's endpoint (the network then
        # cannot be removed); a forced disconnect by name drops it.
        sandbox = PodWorker(self, pod).cname("POD")
        with contextlib.suppress(MinikError):
            await self.docker.call(
                f"forget endpoint {sandbox}", lambda: forget_endpoint(self.docker.api, self.network, sandbox)
            )
        self.volumes.remove(uid)

    async def logs(
        self,
        pod: Obj,
        container: str,
        *,
        previous: bool,
        follow: bool,
        tail: int | None,
        timestamps: bool,
        since_seconds: int | None,
    ) -> AsyncIterator[bytes]:
        uid = str(meta(pod)["uid"])
        found = await self.docker.list_containers(
            {"minik.io/instance": self.instance, "minik.io/pod-uid": uid, "minik.io/container": container}
        )
        found.sort(key=lambda c: int(c.labels.get("minik.io/attempt", "0")))
        if previous:
            found = found[:-1]
        if not found:
            return
        cid = found[-1].id
        async for chunk in _stream_logs(
            self.docker, cid, follow=follow, tail=tail, timestamps=timestamps, since_seconds=since_seconds
        ):
            yield chunk

    async def sync_services(self, services: list[Obj], pods: list[Obj]) -> None:
        """Give each pod's sandbox the DNS names of the Services that select it."""
        for pod in pods:
            m = meta(pod)
            uid = str(m.get("uid"))
            sandbox = self.sandboxes.get(uid)
            if not sandbox:
                continue
            ns = str(m.get("namespace") or "default")
            names: set[str] = set()
            spec = pod.get("spec") or {}
            for svc in services:
                sm = meta(svc)
                sel = (svc.get("spec") or {}).get("selector")
                if sm.get("namespace", "default") != ns or not sel:
                    continue
                if selector_matches({"matchLabels": sel}, m.get("labels")):
                    n = str(sm["name"])
                    names |= {n, f"{n}.{ns}", f"{n}.{ns}.svc", f"{n}.{ns}.svc.cluster.local"}
                    if spec.get("subdomain") == n and spec.get("hostname"):
                        h = spec["hostname"]
                        names |= {
                            f"{h}.{n}",
                            f"{h}.{n}.{ns}",
                            f"{h}.{n}.{ns}.svc",
                            f"{h}.{n}.{ns}.svc.cluster.local",
                        }
            want = frozenset(names)
            if self.aliases.get(uid, frozenset()) == want:
                continue
            await _set_aliases(self.docker, self.network, sandbox, sorted(want))
            self.aliases[uid] = want
            # Reconnecting may give the sandbox a new address: report it.
            ip = (await self.docker.inspect(sandbox)).ip
            w = self.workers.get(uid)
            if w is not None and ip and ip != w.ip:
                w.ip = ip
                phase = str((w.status or {}).get("phase") or "Pending")
                if phase not in ("Succeeded", "Failed"):
                    await w.report(phase)


# -- Docker operations the pod runtime needs beyond DockerAPI's basics ---------
async def _ensure_network(d: DockerAPI, name: str, labels: dict[str, str]) -> None:
    def run() -> None:
        if not d.api.networks(names=[name]):
            d.api.create_network(name, driver="bridge", labels={"minik.io/managed": "true", **labels})

    await d.call(f"network {name}", run)


async def _create_volume(d: DockerAPI, name: str, labels: dict[str, str]) -> None:
    await d.call(
        f"volume {name}", lambda: d.api.create_volume(name, labels={"minik.io/managed": "true", **labels})
    )


async def _volume_path(d: DockerAPI, name: str) -> str:
    info = await d.call(f"volume {name}", lambda: d.api.inspect_volume(name))
    return str(info["Mountpoint"])


async def _has_image(d: DockerAPI, image: str) -> bool:
    try:
        await d.call(f"image {image}", lambda: d.api.inspect_image(image))
        return True
    except NoSuchObject:
        return False


async def _pull(d: DockerAPI, image: str) -> None:
    repo, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "latest")
    await d.call(f"pull {image}", lambda: d.api.pull(repo, tag=tag or "latest"))


async def _set_aliases(d: DockerAPI, network: str, container: str, aliases: list[str]) -> None:
    def run() -> None:
        with contextlib.suppress(Exception):
            d.api.disconnect_container_from_network(container, network)
        d.api.connect_container_to_network(container, network, aliases=aliases)

    await d.call(f"aliases {container[:12]}", run)


async def _stream_logs(
    d: DockerAPI, cid: str, *, follow: bool, tail: int | None, timestamps: bool, since_seconds: int | None
) -> AsyncIterator[bytes]:
    kwargs: dict[str, Any] = {"stdout": True, "stderr": True, "timestamps": timestamps}
    if tail is not None and tail >= 0:
        kwargs["tail"] = tail
    if since_seconds:
        import time

        kwargs["since"] = int(time.time() - since_seconds)
    if not follow:
        data = await d.call(f"logs {cid[:12]}", lambda: d.api.logs(cid, **kwargs))
        if data:
            yield bytes(data)
        return
    it = await d.call(f"logs {cid[:12]}", lambda: iter(d.api.logs(cid, stream=True, follow=True, **kwargs)))
    done = object()
    while True:
        chunk = await anyio.to_thread.run_sync(lambda: next(it, done))
        if chunk is done:
            return
        yield bytes(chunk)  # type: ignore[call-overload]
