"""One container run as a node reports it: waiting reasons, start errors, the run's end, its message."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import anyio

from minik.errors import DockerUnavailable, MinikError
from minik.k8s import Obj
from minik.kubelet import labels, lifecycle, status, termination
from minik.kubelet.errors import ImagePullError, sentence
from minik.kubelet.plan import is_sidecar
from minik.kubelet.probe_actions import Outcome
from minik.kubelet.probe_loop import ContainerProbes
from minik.kubelet.runtime import ContainerInfo, Endpoint, NoSuchObject
from minik.kubelet.status import (
    container_status,
    docker_time,
    start_error,
    vanished,
)
from minik.kubelet.worker_sandbox import SandboxWorker


class ContainerWorker(SandboxWorker):
    """The per-container states of a :class:`~minik.kubelet.worker.PodWorker`."""

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

    async def _create_and_start(
        self, c: Obj, image: str, restarts: int, config: dict[str, Any]
    ) -> tuple[str, MinikError | None]:
        """Create one run of the container and start it: its id, and the start's error if any.

        A container that owns the pod's network namespace (sandbox-less, its
        ``endpoint`` in ``config``) becomes the pod's network target before it
        starts; an alias change waits meanwhile, so the new owner gets it.
        """
        name = c["name"]
        async with self.net_lock:
            cid = await self.k.docker.create_container(
                image=image,
                name=self.cname(name, restarts),
                labels={**self.labels(name), labels.ATTEMPT: str(restarts)},
                **config,
            )
            await self.k.sink.record_event(
                self.pod, "Normal", "Created", f"Created container: {name}", "kubelet"
            )
            endpoint = config.get("endpoint")
            if isinstance(endpoint, Endpoint):
                self.net_container = cid
                self.net_owners.append(cid)
                self.aliased[cid] = frozenset(endpoint.aliases)
            try:
                await self.k.docker.start(cid)
            except DockerUnavailable:
                raise
            except MinikError as exc:
                return cid, exc
        await self.k.sink.record_event(self.pod, "Normal", "Started", f"Started container {name}", "kubelet")
        if isinstance(endpoint, Endpoint):
            with contextlib.suppress(MinikError):  # the Services loop retries on its next change
                await self.apply_aliases()  # Services that changed while it was being created
        return cid, None

    async def _start_error(self, c: Obj, cid: str, exc: MinikError) -> Obj:
        """Docker created the container but could not start it (containerd's StartError)."""
        message = sentence(exc)
        await self.k.sink.record_event(self.pod, "Warning", "Failed", f"Error: {message}", "kubelet")
        return start_error(cid, message, now=self.k.clock())

    async def _run_started(self, c: Obj, cid: str, name: str, restarts: int, init: bool) -> tuple[int, Obj]:
        """Wait for a started container; its exit code and terminated state.

        Its postStart hook runs first (the pod shows it still being created
        meanwhile, as the kubelet's sync does); then its probes run while it
        does (app containers and sidecars), deciding ``started``/``ready``
        and whether it is killed.
        """
        mark = self.k.exits.mark()
        info = await self.k.docker.inspect(cid)
        started_at = info.started_at  # kept: the container may be gone when it ends
        sidecar = is_sidecar(c, init)
        hook_failed = anyio.Event()
        if not await lifecycle.post_start(
            self.k.actions, c, cid=cid, ip=self.probe_address(), pod_ref=self.pod_ref,
            record=self.record, stopped=self.kill,
        ):  # fmt: skip
            hook_failed.set()
        watch = self._probes(c, cid, name, init, sidecar) if not init or sidecar else None
        self.statuses[name] = container_status(
            c,
            {"running": {"startedAt": docker_time(info.started_at)}},
            cid=cid,
            restarts=restarts,
            ready=watch.ready if watch is not None else False,
            started=watch.started if watch is not None else True,
            last=self._last_state(name),
        )
        await self.report(self._live_phase(init, sidecar))
        if sidecar and watch is not None and watch.started:
            self.sidecar_started[name].set()
        async with anyio.create_task_group() as tg:
            if watch is not None and watch.any and not hook_failed.is_set():
                tg.start_soon(watch.run)
            code = await self._wait_or_kill(
                cid,
                also=self.sidecar_stop if sidecar else None,
                known=info,
                mark=mark,
                container=name,
                spec=c,
                probes=watch,
                hook_failed=hook_failed,
            )
            tg.cancel_scope.cancel()
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

    def _probes(self, c: Obj, cid: str, name: str, init: bool, sidecar: bool) -> ContainerProbes:
        """The probe workers of this container run; their changes update its status and the pod's."""

        async def run_probe(kind: str, spec: Obj) -> Outcome:
            return await self.k.actions.probe(spec, c, cid=cid, ip=self.probe_address())

        async def changed() -> None:
            current = self.statuses.get(name) or {}
            if current.get("containerID") != f"docker://{cid}" or "running" not in current.get("state", {}):
                return
            current["ready"], current["started"] = watch.ready, watch.started
            if sidecar and watch.started:
                self.sidecar_started[name].set()
            await self.report(self._live_phase(init, sidecar))

        async def alive() -> bool:
            try:
                return (await self.k.docker.inspect(cid)).status == "running"
            except MinikError:
                return False

        watch = ContainerProbes(
            c,
            alive=alive,
            run_probe=run_probe,
            record=self.record,
            changed=changed,
            stopping=lambda: self._stopping(sidecar),
            scale=self.k.time_scale,
        )
        return watch
