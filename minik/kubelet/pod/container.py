"""One container run at a time: create and start it (or take over a running one), watch it, stop it.

A run's life as a node reports it: the image and configuration are
prepared (an image that cannot be pulled, or a configuration that cannot
be honoured, holds the container in a waiting reason with back-off); the
container is created and started; its postStart hook runs before it shows
running; its probes decide ``started``/``ready`` and may kill it; a stop
the pod loop asks for runs its preStop hook, then the stop signal with the
grace that is left (a shorter grace asked for later cuts it short); its
end is read back as the terminated state, with the termination message.
What a run observes goes back to the worker, which decides what follows.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import anyio

from minik.errors import DockerUnavailable, MinikError
from minik.k8s import Obj, meta
from minik.kubelet import labels, plan, status, termination
from minik.kubelet.container_config import container_config, localhost_profile
from minik.kubelet.errors import ConfigError, ImagePullError, sentence
from minik.kubelet.lifecycle import rules as hooks
from minik.kubelet.lifecycle import runner as lifecycle
from minik.kubelet.pod.actions import EXITED, RUNNING, Run
from minik.kubelet.pod.owner import PodOwner
from minik.kubelet.probes.actions import Outcome
from minik.kubelet.probes.loop import ContainerProbes
from minik.kubelet.probes.rules import kill_for
from minik.kubelet.runtime import ContainerInfo, Endpoint, NoSuchObject
from minik.kubelet.seccomp import read_profile
from minik.kubelet.security import needs_image_user, verify_run_as_non_root
from minik.kubelet.status import docker_time, start_error, vanished

IMAGE_BACKOFF_FIRST = 10.0  # image pulls back off 10 s doubling to 5 min (upstream image manager)
CONFIG_BACKOFF_FIRST = 1.0  # a configuration error is retried 1 s doubling to 5 min


@dataclass
class StopRequest:
    """The pod loop asked this run to stop (or the run's own probe or hook failed)."""

    event: anyio.Event = field(default_factory=anyio.Event)
    grace: int = 30
    message: str = ""
    override: bool = False  # the grace is the deletion's or an eviction's: no 2 s minimum
    shorter: anyio.Event = field(default_factory=anyio.Event)  # a shorter grace came after the stop began


class ContainerRuns:
    def __init__(self, w: PodOwner) -> None:
        self.w = w
        self.probes: dict[str, ContainerProbes] = {}  # container id → the probes of its run
        self.stops: dict[tuple[str, int], StopRequest] = {}

    # -- names -------------------------------------------------------------------------
    def pod_labels(self) -> dict[str, str]:
        return labels.of_pod(self.w.ctx.instance, self.w.uid)

    def _request(self, name: str, attempt: int) -> StopRequest:
        return self.stops.setdefault((name, attempt), StopRequest())

    # -- what the loop asks ---------------------------------------------------------------
    def stop(self, name: str, run: Run, grace: int, message: str, *, override: bool) -> None:
        req = self._request(name, run.attempt)
        if req.event.is_set():
            if grace < req.grace:  # e.g. a force delete during a graceful one
                req.grace, req.override = grace, override
                req.shorter.set()
            return
        req.grace, req.message, req.override = grace, message, override
        req.event.set()

    def started(self, run: Run) -> bool:
        """The run's startup gate: no startup probe, or it succeeded (a sidecar lets the next
        init container start then)."""
        watch = self.probes.get(run.cid)
        return run.state == RUNNING and (watch is None or watch.started)

    def probe_view(self, run: Run, init: bool) -> tuple[bool, bool]:
        """``ready`` and ``started`` of a running run, as its probes say."""
        watch = self.probes.get(run.cid)
        if watch is None:
            return (False, True)  # a regular init container, or probes not yet running
        return (watch.ready, watch.started)

    def terminated_of(self, info: ContainerInfo, run: Run) -> Obj:
        """The terminated state of a run found exited (after a restart), its message read back."""
        if info.status == "created":
            return start_error(info.id, info.error or "failed to start", now=self.w.ctx.clock())
        term = status.terminated(
            info.exit_code,
            oom=info.oom_killed,
            started_at=info.started_at,
            finished_at=info.finished_at,
            cid=info.id,
        )
        c, _ = self.w.container_spec(info.labels.get(labels.CONTAINER, ""))
        path = self._message_path(c, run.attempt)
        if path is not None:
            message = termination.read_file(path, termination.per_container_cap(self.w.spec))
            if message:
                term["message"] = message
        return term

    def _message_path(self, c: Obj, attempt: int) -> Path | None:
        if not c.get("terminationMessagePath"):
            return None
        path = (
            self.w.ctx.volumes.pod_dir(self.w.uid) / "containers" / c["name"] / f"termination-log-{attempt}"
        )
        return path if path.exists() else None

    # -- one run ---------------------------------------------------------------------------
    async def run(self, c: Obj, init: bool, attempt: int) -> None:
        """Create and start one run of ``c``, then watch it to its end."""
        w, ctx, name = self.w, self.w.ctx, c["name"]
        req = self._request(name, attempt)
        try:
            env = ctx.env.resolve(w.pod, w.sandbox.ip, c)
            image = await ctx.images.ensure(w.pod, c)
            image_user = await ctx.runtime.image_user(image) if needs_image_user(c, w.spec) else ""
            refused = verify_run_as_non_root(c, w.spec, w.pod_ref, image_user)
            if refused:
                raise ConfigError(refused)
            assert w.sandbox.sources is not None
            binds, tmpfs = await ctx.volumes.mounts(w.pod, w.sandbox.ip, c, w.sandbox.sources)
            local = localhost_profile(c, w.spec)
            profile = (
                None if local is None else await anyio.to_thread.run_sync(read_profile, ctx.state_dir, local)
            )
        except ImagePullError as exc:
            await self._image_wait(c, exc)
            w.gave_up(name)
            return
        except ConfigError as exc:
            w.hold(name, CONFIG_BACKOFF_FIRST, "CreateContainerConfigError", str(exc))
            await w.record("Warning", "Failed", f"Error: {exc}")
            w.gave_up(name)
            return
        w.unhold(name)
        if req.event.is_set():  # the pod is stopping: nothing is made
            w.gave_up(name)
            return
        message_file = ctx.volumes.termination_file(w.uid, name, attempt, c)
        network_mode, owner = w.sandbox.container_network()
        config = container_config(
            c, w.spec, env, network_mode=network_mode, binds=binds, tmpfs=tmpfs,
            message_file=message_file, seccomp_profile=profile,
        )  # fmt: skip
        cid, failed = await self._create_and_start(c, image, attempt, {**config, **owner})
        if failed is not None:
            message = sentence(failed)
            await w.record("Warning", "Failed", f"Error: {message}")
            term = start_error(cid, message, now=ctx.clock())
            run = Run(
                attempt,
                EXITED,
                cid=cid,
                exit_code=128,
                finished_at=term["finishedAt"],
                image=str(c.get("image")),
            )
            w.started_run(name, run)
            w.ended(name, run, term)
            return
        await self.watch(
            c, init, Run(attempt, RUNNING, cid=cid, image=str(c.get("image"))), message_file, fresh=True
        )

    async def _image_wait(self, c: Obj, exc: ImagePullError) -> None:
        """The image is missing: the waiting state and events of the kubelet's image manager.

        A failed pull is ErrImagePull (Warning Failed: the pull error, then
        "Error: ErrImagePull"); while the pull backs off the container waits
        in ImagePullBackOff (Normal BackOff "Back-off pulling image"); with
        imagePullPolicy Never it is ErrImageNeverPull.
        """
        w, name, image = self.w, c["name"], str(c["image"])
        backoff = name in w.holds
        if exc.never:
            reason, message = "ErrImageNeverPull", str(exc)
            await w.record("Warning", reason, message)
        elif backoff:
            reason, message = "ImagePullBackOff", f'Back-off pulling image "{image}"'
            await w.record("Normal", "BackOff", message)
        else:
            reason, message = "ErrImagePull", str(exc)
            await w.record("Warning", "Failed", message)
        w.hold(name, IMAGE_BACKOFF_FIRST, reason, message)
        await w.record("Warning", "Failed", f"Error: {reason}")

    async def _create_and_start(
        self, c: Obj, image: str, attempt: int, config: dict[str, object]
    ) -> tuple[str, MinikError | None]:
        """Create one run of the container and start it: its id, and the start's error if any.

        A container that owns the pod's network namespace (sandbox-less, its
        ``endpoint`` in ``config``) becomes the pod's network target before it
        starts; an alias change waits meanwhile, so the new owner gets it.
        """
        w, ctx, name = self.w, self.w.ctx, c["name"]
        async with w.sandbox.net_lock:
            cid = await ctx.runtime.create_container(
                image=image,
                name=labels.container_name(ctx.instance, w.pod, name, attempt),
                labels={**labels.for_container(ctx.instance, w.pod, name), labels.ATTEMPT: str(attempt)},
                **config,  # type: ignore[arg-type]
            )
            await w.record("Normal", "Created", f"Created container: {name}")
            endpoint = config.get("endpoint")
            if isinstance(endpoint, Endpoint):
                w.sandbox.owns_network(cid)
                w.sandbox.aliased[cid] = frozenset(endpoint.aliases)
            try:
                await ctx.runtime.start(cid)
            except DockerUnavailable:
                raise
            except MinikError as exc:
                return cid, exc
        await w.record("Normal", "Started", f"Started container {name}")
        if isinstance(endpoint, Endpoint):
            with contextlib.suppress(MinikError):  # the Services loop retries on its next change
                await w.sandbox.apply_aliases()  # Services that changed while it was being created
        return cid, None

    async def watch(
        self, c: Obj, init: bool, run: Run, message_file: Path | None, *, fresh: bool = False
    ) -> None:
        """A started (or found running) run, to its end: postStart hook (a fresh run), probes, a stop."""
        w, ctx, name, cid = self.w, self.w.ctx, c["name"], run.cid
        req = self._request(name, run.attempt)
        mark = ctx.exits.mark()
        try:
            info = await ctx.runtime.inspect(cid)
        except NoSuchObject:
            info = None
        started_at = info.started_at if info is not None else ""
        sidecar = plan.is_sidecar(c, init)
        hook_failed = anyio.Event()
        if (
            fresh
            and info is not None
            and not await lifecycle.post_start(
                ctx.actions, c, cid=cid, ip=w.sandbox.probe_address(), pod_ref=w.pod_ref,
                record=w.record, stopped=req.event,
            )
        ):  # fmt: skip
            hook_failed.set()
        watch = self._probes(c, cid, req) if (not init or sidecar) and info is not None else None
        if watch is not None:
            self.probes[cid] = watch
        if fresh:
            w.started_run(name, replace(run, started_at=started_at))
        probe_killed = False
        code = 137 if info is None else -1
        if info is not None:
            async with anyio.create_task_group() as tg:
                if watch is not None and watch.any and not hook_failed.is_set():
                    tg.start_soon(watch.run)
                code, probe_killed = await self._wait_or_stop(
                    c, cid=cid, req=req, probes=watch, hook_failed=hook_failed, known=info, mark=mark
                )
                tg.cancel_scope.cancel()
        self.probes.pop(cid, None)
        after: ContainerInfo | None = None
        with contextlib.suppress(NoSuchObject):
            after = await ctx.runtime.inspect(cid)
        if after is None or after.status in ("removing", "dead"):  # docker rm -f from outside
            code = 137
            term = vanished(cid, started_at=docker_time(started_at), now=ctx.clock())
            finished = term["finishedAt"]
        else:
            term = status.terminated(
                code,
                oom=after.oom_killed,
                started_at=after.started_at,
                finished_at=after.finished_at,
                cid=cid,
            )
            finished = after.finished_at
            await self._termination_message(
                c, cid, code, term, message_file or self._message_path(c, run.attempt)
            )
        ended = replace(
            run, state=EXITED, exit_code=code, started_at=started_at or run.started_at, finished_at=finished,
            probe_killed=probe_killed,
        )  # fmt: skip
        self.stops.pop((name, run.attempt), None)
        w.ended(name, ended, term)

    async def _termination_message(self, c: Obj, cid: str, code: int, term: Obj, path: Path | None) -> None:
        """``state.terminated.message``: the termination-message file, or (FallbackToLogsOnError,
        a failure, no message written) the log's tail, as the kubelet reads them."""
        cap = termination.per_container_cap(self.w.spec)
        message = termination.read_file(path, cap) if path is not None else ""
        if not message and termination.falls_back_to_logs(c, code):
            with contextlib.suppress(MinikError):
                tail = await self.w.ctx.runtime.logs(cid, tail=termination.LOG_LINES)
                message = termination.from_logs(tail, cap)
        if message:
            term["message"] = message

    def _probes(self, c: Obj, cid: str, req: StopRequest) -> ContainerProbes:
        """The probe workers of this run; their changes wake the pod loop."""
        w = self.w

        async def run_probe(kind: str, spec: Obj) -> Outcome:
            return await w.ctx.actions.probe(spec, c, cid=cid, ip=w.sandbox.probe_address())

        async def changed() -> None:
            w.poke()

        async def alive() -> bool:
            try:
                return (await w.ctx.runtime.inspect(cid)).status == "running"
            except MinikError:
                return False

        return ContainerProbes(
            c,
            alive=alive,
            run_probe=run_probe,
            record=w.record,
            changed=changed,
            stopping=req.event.is_set,
            scale=w.ctx.time_scale,
        )

    async def _wait_or_stop(
        self,
        c: Obj,
        *,
        cid: str,
        req: StopRequest,
        probes: ContainerProbes | None,
        hook_failed: anyio.Event,
        known: ContainerInfo,
        mark: int | None,
    ) -> tuple[int, bool]:
        """The run's exit code, and whether a probe killed it. It is stopped (preStop hook first,
        then the signal with the grace left) when the pod loop asks, when a liveness/startup probe
        failed, or when its postStart hook failed."""
        w, ctx, name = self.w, self.w.ctx, c["name"]
        code = -1
        probe_killed = False
        async with anyio.create_task_group() as tg:

            async def waiter() -> None:
                nonlocal code
                code = await ctx.exits.wait(cid, known=known, mark=mark)  # GONE: the caller's inspect tells
                tg.cancel_scope.cancel()

            async def stopper() -> None:
                nonlocal probe_killed
                triggers = [req.event, hook_failed] + ([probes.failed] if probes is not None else [])
                await _first(*triggers)
                grace, message, override = (
                    req.grace,
                    req.message or f"Stopping container {name}",
                    req.override,
                )
                if not req.event.is_set():
                    m = meta(w.pod)
                    pod_grace = int(w.spec.get("terminationGracePeriodSeconds", 30))
                    deletion = m.get("deletionGracePeriodSeconds") if m.get("deletionTimestamp") else None
                    grace, message, override = pod_grace, f"Stopping container {name}", deletion is not None
                    if probes is not None and probes.failed.is_set():
                        # Only an init container can set restartPolicy (Always: a sidecar).
                        policy = plan.restart_policy(
                            c, str(w.spec.get("restartPolicy") or "Always"), init="restartPolicy" in c
                        )
                        decided = kill_for(
                            probes.states, c, restart=policy != "Never", pod_grace=pod_grace,
                            deletion_grace=None if deletion is None else int(deletion),
                        )  # fmt: skip
                        if decided is not None:
                            grace, message = decided.grace, decided.message
                            probe_killed = True
                    elif hook_failed.is_set():
                        message = hooks.POST_START_KILL_MESSAGE
                await w.record("Normal", "Killing", message)
                tg.start_soon(shorten)
                with contextlib.suppress(MinikError):
                    await lifecycle.stop(
                        ctx.actions, c, cid=cid, ip=w.sandbox.probe_address(), pod_ref=w.pod_ref,
                        grace=grace, record=w.record, override=override,
                    )  # fmt: skip

            async def shorten() -> None:
                while True:
                    await req.shorter.wait()
                    req.shorter = anyio.Event()
                    with contextlib.suppress(MinikError):
                        await ctx.runtime.stop(cid, grace_seconds=req.grace)

            tg.start_soon(waiter)
            tg.start_soon(stopper)
        return code, probe_killed


async def _first(*events: anyio.Event) -> None:
    """Wait until any of ``events`` is set."""
    async with anyio.create_task_group() as tg:

        async def one(e: anyio.Event) -> None:
            await e.wait()
            tg.cancel_scope.cancel()

        for e in events:
            tg.start_soon(one, e)
