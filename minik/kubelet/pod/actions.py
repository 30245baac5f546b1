"""What the kubelet does next for a pod, decided from what it observes now (``computePodActions``).

Pure: :func:`compute_pod_actions` takes the pod's spec and metadata as they
are now, each container's runs as the runtime recorded them (running or
exited, exit codes, times), what the worker holds in memory that the
runtime cannot show (a container's image pull backing off, a run a probe
killed, a sidecar's startup gate), and the clock; it returns the actions
— kill these containers (with grace and message), start these, these wait
in CrashLoopBackOff — and the phase to report. The worker
(:mod:`minik.kubelet.pod.worker`) carries them out and asks again on every
change, so a pod found after a server restart is decided exactly like one
just created: there is no second path. Table tests in
``tests/unit/kubelet/test_pod_actions.py`` state the rules.

Sources (kubernetes/kubernetes, pkg/kubelet): ``kuberuntime_manager.go``
(computePodActions: the next init container, restarts, a changed container
definition, liveness kills, ephemeral containers started once), ``kubelet_pods.go`` (getPhase), ``kubelet.go``
(the active deadline), ``pkg/kubelet/container/helpers.go``
(ShouldContainerBeRestarted), and the sidecar rules of KEP-753.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from minik.k8s import Obj, parse_time
from minik.kubelet import deadline, plan
from minik.kubelet.status import CrashLoopBackoff

EVICTED = "Evicted"  # the eviction manager's pod reason

RUNNING = "running"
EXITED = "exited"
STARTING = "starting"  # asked for, not yet created: counts as running for every decision


@dataclass(frozen=True)
class Run:
    """One run of a container, as observed (the runtime's record, or a start under way)."""

    attempt: int  # 0 for the first run; the restart count of the container while this is its latest
    state: str  # RUNNING | EXITED | STARTING
    cid: str = ""
    exit_code: int = 0
    started_at: str = ""  # the runtime's timestamps (RFC 3339, Docker's nanoseconds allowed)
    finished_at: str = ""
    image: str = ""  # the image the run was created with ("" when unknown)
    probe_killed: bool = False  # a liveness or startup probe killed it (restarted whatever its exit code)
    started: bool = False  # its startup gate passed (no startup probe, or it succeeded)

    @property
    def active(self) -> bool:
        return self.state in (RUNNING, STARTING)


@dataclass(frozen=True)
class PodInputs:
    """Everything :func:`compute_pod_actions` decides from."""

    spec: Obj
    runs: Mapping[str, Sequence[Run]]  # container name → its runs, oldest first
    now: datetime
    start_time: datetime | None = None  # status.startTime (the active deadline counts from it)
    deletion_grace: int | None = None  # being deleted: metadata.deletionGracePeriodSeconds
    kill_grace: int | None = None  # a grace that overrides every other (eviction, force delete)
    evicted: str = ""  # the kubelet's eviction message
    holds: Mapping[str, float] = field(default_factory=dict)  # container → seconds until it may be tried
    time_scale: float = 1.0  # MINIK_TIME_SCALE: crash-loop back-off shrinks with it
    sandboxed: bool | None = None  # the pod has a sandbox (None: as plan.uses_sandbox says)


@dataclass(frozen=True)
class Kill:
    name: str
    attempt: int
    grace: int
    message: str  # the Killing event's


@dataclass(frozen=True)
class Start:
    container: Obj
    init: bool
    attempt: int
    ephemeral: bool = False  # a debug container: it joins the pod's namespaces, never restarts


@dataclass(frozen=True)
class BackOff:
    """A container that exited waits before its restart (CrashLoopBackOff)."""

    name: str
    init: bool
    attempt: int  # of the run that exited
    seconds: float  # left to wait (scaled)
    backoff: float  # the back-off entry, nominal seconds (the waiting message's)


@dataclass(frozen=True)
class PodActions:
    kills: tuple[Kill, ...] = ()
    starts: tuple[Start, ...] = ()
    backoffs: tuple[BackOff, ...] = ()
    phase: str = "Pending"
    reason: str = ""  # a terminal pod's status.reason (DeadlineExceeded, Evicted)
    message: str = ""
    done: bool = False  # terminal: nothing runs and nothing will start again
    wake_in: float | None = None  # seconds until a decision changes by itself (back-off, deadline)
    deadline_exceeded: bool = False


def compute_pod_actions(i: PodInputs) -> PodActions:
    """The pod's next actions and phase; see the module docstring."""
    spec = i.spec
    inits: list[Obj] = list(spec.get("initContainers") or [])
    apps: list[Obj] = list(spec.get("containers") or [])
    last = {name: runs[-1] for name, runs in i.runs.items() if runs}
    active = {name: r for name, r in last.items() if r.active}
    wakes: list[float] = list(i.holds.values())

    # -- must the whole pod stop? -------------------------------------------
    left = deadline.remaining_seconds(spec, i.start_time, i.now)
    reason = message = ""
    stopping = False
    if i.evicted:
        stopping, reason, message = True, EVICTED, i.evicted
    elif left is not None and left <= 0:
        stopping, reason, message = True, deadline.REASON, deadline.MESSAGE
    elif i.deletion_grace is not None:
        stopping = True
    if stopping:
        grace = _pod_grace(spec, i)
        kills = tuple(
            Kill(name, r.attempt, grace, f"Stopping container {name}") for name, r in sorted(active.items())
        )
        ended = not kills
        if reason:
            phase = "Failed" if ended else _live_phase(apps, last)
        else:  # deleted: the phase its app containers earned (getPhase for a terminal pod)
            phase = _phase_when_stopped(apps, last) if ended else _live_phase(apps, last)
        return PodActions(
            kills=kills,
            phase=phase,
            reason=reason if ended else "",
            message=message if ended else "",
            done=ended,
            deadline_exceeded=reason == deadline.REASON,
        )
    if left is not None:
        wakes.append(left)

    policy = str(spec.get("restartPolicy") or "Always")
    starts: list[Start] = []
    backoffs: list[BackOff] = []
    kills_: list[Kill] = []

    def restart(c: Obj, init: bool) -> None:
        """Start ``c`` again now, or when its crash-loop back-off ends."""
        runs = i.runs[c["name"]]
        wait, entry = _backoff(runs, i.now, i.time_scale)
        held = i.holds.get(c["name"])
        if wait > 0:
            backoffs.append(BackOff(c["name"], init, runs[-1].attempt, wait, entry))
            wakes.append(wait)
        elif held is None:
            starts.append(Start(c, init, runs[-1].attempt + 1))

    def start(c: Obj, init: bool) -> None:
        if c["name"] not in i.holds:
            starts.append(Start(c, init, 0))

    # -- init containers, in order (sidecars start and stay) ------------------
    apps_begun = any(a["name"] in last for a in apps)
    initialized = True
    failed_init = False
    sidecars: list[Obj] = []
    for c in inits:
        name, r = c["name"], last.get(c["name"])
        if plan.is_sidecar(c, True):
            sidecars.append(c)
            if r is None:
                start(c, True)
                if not apps_begun:
                    initialized = False  # the next init container waits for it to start
                    break
            elif r.active and not r.started and r.attempt == 0 and not apps_begun:
                initialized = False  # the next init container waits for its startup probe
                break
            continue  # started (or exited: restarted below)
        if apps_begun:
            continue  # the pod was initialized: regular init containers never run again
        if r is None:
            start(c, True)
            initialized = False
            break
        if r.active:
            initialized = False
            break
        if r.exit_code == 0:
            continue
        if plan.after_exit(c, policy, r.exit_code, init=True).restart:
            restart(c, True)
            initialized = False
            break
        failed_init = True  # restartPolicy Never: the pod fails
        break

    # -- app containers ------------------------------------------------------
    apps_done = True
    apps_ok = True
    if failed_init:
        apps_ok = False
    elif initialized:
        for c in apps:
            name, r = c["name"], last.get(c["name"])
            if r is None:
                start(c, False)
                apps_done = False
                continue
            changed = bool(r.image) and r.image != c.get("image")
            if r.active:
                apps_done = False
                if changed and r.state == RUNNING:
                    kills_.append(
                        Kill(
                            name,
                            r.attempt,
                            _pod_grace(spec, i),
                            f"Container {name} definition changed, will be restarted",
                        )
                    )
                continue
            if changed:  # a new image: restarted at once, whatever the policy (computePodActions)
                if name not in i.holds:
                    starts.append(Start(c, False, r.attempt + 1))
                apps_done = False
                continue
            decision = plan.after_exit(c, policy, r.exit_code, init=False, probe_killed=r.probe_killed)
            if decision.restart:
                restart(c, False)
                apps_done = False
            else:
                apps_ok = apps_ok and decision.ok
    else:
        apps_done = False

    # -- sidecars: restarted while the app containers run, stopped once they are done --
    finishing = failed_init or (initialized and apps_done)
    for c in sidecars:
        name, r = c["name"], last.get(c["name"])
        if r is None:
            continue
        if finishing:
            if r.state == RUNNING:
                kills_.append(Kill(name, r.attempt, _pod_grace(spec, i), f"Stopping container {name}"))
        elif not r.active:
            restart(c, True)  # a sidecar restarts whatever its exit code, with back-off
    # -- ephemeral containers: started once, never restarted, stopped with the pod --
    if not finishing:
        starts += _ephemeral_starts(i, last)
    else:
        for c in spec.get("ephemeralContainers") or []:
            r = last.get(c["name"])
            if r is not None and r.state == RUNNING:
                name = c["name"]
                kills_.append(Kill(name, r.attempt, _pod_grace(spec, i), f"Stopping container {name}"))
    if finishing and not any(r.active for r in active.values()):
        phase = "Succeeded" if apps_ok and not failed_init else "Failed"
        return PodActions(phase=phase, done=True)
    return PodActions(
        kills=tuple(kills_),
        starts=tuple(starts) if not finishing else (),
        backoffs=tuple(backoffs),
        phase=_live_phase(apps, last),
        wake_in=min(wakes) if wakes else None,
    )


def _ephemeral_starts(i: PodInputs, last: Mapping[str, Run]) -> list[Start]:
    """The ephemeral containers to start now (``computePodActions``: one that has no status yet;
    one that ever ran, or failed to, is never started again).

    Each joins the pod's network namespace — its sandbox's, or (a pod without one) its running
    container's, so it waits while none runs — and, with ``targetContainerName``, that
    container's process namespace, so it waits until the target runs.
    """
    sandboxed = plan.uses_sandbox(i.spec) if i.sandboxed is None else i.sandboxed
    owners = [a["name"] for a in i.spec.get("containers") or []]
    network = sandboxed or any(n in last and last[n].state == RUNNING for n in owners)
    out: list[Start] = []
    for c in i.spec.get("ephemeralContainers") or []:
        name = c["name"]
        if name in i.runs or name in i.holds or not network:
            continue
        target = c.get("targetContainerName")
        if target and (target not in last or last[target].state != RUNNING):
            continue
        out.append(Start(c, False, 0, ephemeral=True))
    return out


def _pod_grace(spec: Obj, i: PodInputs) -> int:
    """The grace period of a kill: an override (eviction, force delete), the deletion's, else the pod's."""
    if i.kill_grace is not None:
        return i.kill_grace
    if i.deletion_grace is not None:
        return i.deletion_grace
    return int(spec.get("terminationGracePeriodSeconds", 30))


def _live_phase(apps: Sequence[Obj], last: Mapping[str, Run]) -> str:
    """Running once an app container has run (or runs), else Pending (getPhase)."""
    return (
        "Running" if any(a["name"] in last and last[a["name"]].state != STARTING for a in apps) else "Pending"
    )


def _phase_when_stopped(apps: Sequence[Obj], last: Mapping[str, Run]) -> str:
    """A terminal pod's phase: Succeeded when every app container exited 0, else Failed."""
    ok = all(
        a["name"] in last and last[a["name"]].state == EXITED and last[a["name"]].exit_code == 0 for a in apps
    )
    return "Succeeded" if ok and apps else "Failed"


def _backoff(runs: Sequence[Run], now: datetime, scale: float) -> tuple[float, float]:
    """Seconds left before the container may restart, and its back-off entry, replayed from its runs.

    Each run after the first was a restart at its start time after the
    previous run's exit (:class:`CrashLoopBackoff` keeps the entry); so the
    entry is the same whether the worker saw every restart or a restarted
    server reads the runs back.
    """
    b = CrashLoopBackoff(scale=scale)
    for prev, run in itertools.pairwise(runs):
        exited = parse_time(prev.finished_at)
        began = parse_time(run.started_at) or exited
        if exited is not None and began is not None:
            b.advance(exited, began)
    exited = parse_time(runs[-1].finished_at) or now
    return b.remaining(exited, now), (b.backoff or 0.0)
