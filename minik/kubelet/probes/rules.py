"""The prober's rules, as pure values: timings, thresholds, results → ready, started, kill.

In the manner of upstream's prober worker and manager
(``pkg/kubelet/prober/worker.go``, ``prober_manager.go``):

- one worker per probe of a container run; it starts with the probe's
  initial value (readiness Failure, liveness Success, startup Unknown);
- it probes on a period, first at the first tick not before
  ``initialDelaySeconds`` (upstream skips ticks until then);
- liveness and readiness wait until the container has *started* (its
  startup probe succeeded, or it has none); the startup probe stops once
  it has;
- a result changes the probe's value only after ``successThreshold``
  successes or ``failureThreshold`` failures in a row;
- a liveness or startup value of Failure kills the container (and the
  worker holds until a new container run);
- a probe error (a port name not found, …) throws the result away.

The container's ``started`` and ``ready`` then follow the manager's rule:
started when its startup probe succeeded (or it has none); ready when
started and its readiness probe succeeded (or it has none).
Everything here is a function of its arguments; ``probe_loop`` runs them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum

from minik.k8s import Obj

LIVENESS, READINESS, STARTUP = "livenessProbe", "readinessProbe", "startupProbe"
KINDS = (STARTUP, READINESS, LIVENESS)
TITLE = {LIVENESS: "Liveness", READINESS: "Readiness", STARTUP: "Startup"}  # probeType.String()


class Result(Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Timing:
    """A probe's timing fields with the API server's defaults (SetDefaults_Probe), in seconds."""

    initial_delay: int = 0
    period: int = 10
    timeout: int = 1
    success_threshold: int = 1
    failure_threshold: int = 3
    termination_grace: int | None = None

    @classmethod
    def of(cls, probe: Obj) -> Timing:
        return cls(
            initial_delay=int(probe.get("initialDelaySeconds") or 0),
            period=int(probe.get("periodSeconds") or 10),
            timeout=int(probe.get("timeoutSeconds") or 1),
            success_threshold=int(probe.get("successThreshold") or 1),
            failure_threshold=int(probe.get("failureThreshold") or 3),
            termination_grace=probe.get("terminationGracePeriodSeconds"),
        )

    def first_probe(self) -> int:
        """Seconds after the container started of the first probe: the first period tick
        (counted from the start) not before the initial delay."""
        if self.initial_delay <= 0:
            return 0
        return math.ceil(self.initial_delay / self.period) * self.period


def initial_value(kind: str) -> Result:
    """The probe's value before its first result (newWorker's ``initialValue``)."""
    return {READINESS: Result.FAILURE, LIVENESS: Result.SUCCESS}.get(kind, Result.UNKNOWN)


@dataclass(frozen=True)
class ProbeState:
    """One probe worker's memory: its value, the last result and how many times in a row it came."""

    kind: str
    value: Result
    last: Result | None = None
    run: int = 0
    on_hold: bool = False  # a liveness/startup failure: nothing more until a new container run

    @classmethod
    def new(cls, kind: str) -> ProbeState:
        return cls(kind, initial_value(kind))


def should_probe(kind: str, *, started: bool, on_hold: bool) -> bool:
    """Whether a probe runs at this tick: startup only until started, the others only after."""
    if on_hold:
        return False
    return not started if kind == STARTUP else started


def record(state: ProbeState, result: Result, timing: Timing) -> ProbeState:
    """The state after one probe result (worker.doProbe, from the result on)."""
    run = state.run + 1 if state.last == result else 1
    below = (result == Result.FAILURE and run < timing.failure_threshold) or (
        result == Result.SUCCESS and run < timing.success_threshold
    )
    if below:
        return replace(state, last=result, run=run)
    new = replace(state, last=result, run=run, value=result)
    if state.kind in (LIVENESS, STARTUP) and result == Result.FAILURE:
        new = replace(new, on_hold=True, run=0)
    return new


def started(states: dict[str, ProbeState], *, running: bool) -> bool:
    """The container's ``started``: running, and its startup probe succeeded or it has none."""
    if not running:
        return False
    startup = states.get(STARTUP)
    return startup is None or startup.value == Result.SUCCESS


def ready(states: dict[str, ProbeState], *, running: bool) -> bool:
    """The container's ``ready``: started, and its readiness probe succeeded or it has none."""
    if not started(states, running=running):
        return False
    readiness = states.get(READINESS)
    return readiness is None or readiness.value == Result.SUCCESS


@dataclass(frozen=True)
class Kill:
    """A container to kill for a failed probe: the Killing event's message and its grace period."""

    reason: str
    message: str
    grace: int


def kill_for(
    states: dict[str, ProbeState], c: Obj, *, restart: bool, pod_grace: int, deletion_grace: int | None
) -> Kill | None:
    """Kill the container when its liveness (else startup) probe failed (computePodActions).

    The message says ``, will be restarted`` when the pod's policy restarts
    it. The grace period is setTerminationGracePeriod's: the pod's deletion
    grace period if it is being deleted, else the failed probe's own
    ``terminationGracePeriodSeconds``, else the pod's.
    """
    for kind, word in ((LIVENESS, "liveness"), (STARTUP, "startup")):
        st = states.get(kind)
        if st is None or st.value != Result.FAILURE:
            continue
        message = f"Container {c['name']} failed {word} probe"
        if restart:
            message += ", will be restarted"
        probe_grace = (c.get(kind) or {}).get("terminationGracePeriodSeconds")
        if deletion_grace is not None:
            grace = deletion_grace
        elif probe_grace is not None:
            grace = int(probe_grace)
        else:
            grace = pod_grace
        return Kill(f"{TITLE[kind]}Probe", message, grace)
    return None


def event_message(kind: str, result: Result, output: str) -> str | None:
    """The Unhealthy event of a failed probe (``Liveness probe failed: …``); None otherwise."""
    if result != Result.FAILURE:
        return None
    return f"{TITLE[kind]} probe failed: {output}"
