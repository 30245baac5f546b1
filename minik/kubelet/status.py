"""Pure pieces of pod status: container states, the pod's conditions, crash-loop back-off.

Everything here is a function of its arguments (times are passed in), so the
rules are unit-tested without Docker: ``tests/unit/kubelet/test_status.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from minik.k8s import Obj, parse_time, qos_class, rfc3339

# The kubelet's crash-loop back-off (pkg/kubelet/kubelet.go: 10 s initial, 300 s cap).
BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0


def init_done(s: Obj, *, sidecar: bool) -> bool:
    """Whether an init container lets the pod be Initialized: exited 0, or (sidecar) started once."""
    state = s.get("state") or {}
    if sidecar:
        return bool(s.get("started") or "terminated" in state or s.get("restartCount"))
    return "terminated" in state and state["terminated"]["exitCode"] == 0


def container_status(
    c: Obj,
    state: Obj,
    *,
    cid: str = "",
    restarts: int = 0,
    ready: bool = False,
    started: bool = False,
    last: Obj | None = None,
) -> Obj:
    """One container's status: its spec's name and image, ``state`` and what the kubelet knows."""
    out: Obj = {"name": c["name"], "image": c.get("image", ""), "imageID": ""}
    if cid:
        out["containerID"] = f"docker://{cid}"
    out |= {"ready": ready, "started": started, "restartCount": restarts, "state": state}
    if last:
        out["lastState"] = last
    return out


def waiting(c: Obj, reason: str) -> Obj:
    """A container that has not been created yet, waiting for ``reason``."""
    return container_status(c, {"waiting": {"reason": reason}})


def docker_time(docker_time: str) -> str:
    """Docker's nanosecond timestamp as the API's; Docker's zero time (never) → ``""``."""
    t = parse_time(docker_time)
    return rfc3339(t) if t and t.year > 1 else ""


# -- container states -----------------------------------------------------------
def terminated(code: int, *, oom: bool, started_at: str, finished_at: str, cid: str) -> Obj:
    """The terminated state Docker's record of an exited container gives (R9.6).

    ``started_at``/``finished_at`` are Docker's timestamps.
    """
    return {
        "exitCode": code,
        "reason": "OOMKilled" if oom else ("Completed" if code == 0 else "Error"),
        "startedAt": docker_time(started_at),
        "finishedAt": docker_time(finished_at),
        "containerID": f"docker://{cid}",
    }


def vanished(cid: str, *, started_at: str, now: datetime) -> Obj:
    """The terminated state of a container Docker no longer knows (upstream's wording)."""
    return {
        "exitCode": 137,
        "reason": "ContainerStatusUnknown",
        "message": "The container could not be located when the pod was terminated",
        "startedAt": started_at,
        "finishedAt": rfc3339(now),
        "containerID": f"docker://{cid}",
    }


def start_error(cid: str, message: str, *, now: datetime) -> Obj:
    """Docker created the container but could not start it (containerd's StartError, exit 128)."""
    return {
        "exitCode": 128,
        "reason": "StartError",
        "message": message,
        "startedAt": "1970-01-01T00:00:00Z",
        "finishedAt": rfc3339(now),
        "containerID": f"docker://{cid}",
    }


# -- the pod -------------------------------------------------------------------
@dataclass(frozen=True)
class PodView:
    """What the kubelet knows of a pod when it reports: the inputs of :func:`pod_status`."""

    spec: Obj
    statuses: dict[str, Obj]  # container name → its status, for the containers that have one
    previous: Obj  # the status last reported ({} at first)
    sandbox_ready: bool
    ip: str = ""
    evicted: str = ""  # the kubelet's eviction message: a DisruptionTarget condition


def pod_status(view: PodView, phase: str, *, now: datetime, reason: str = "", message: str = "") -> Obj:
    """The pod's status for ``phase``: container statuses, conditions (R9.8), IPs.

    A container without a status yet waits ``PodInitializing`` (init
    containers, and app containers of a pod that has some) or
    ``ContainerCreating`` (R9.6). A condition keeps its
    ``lastTransitionTime`` while its value does not change.
    """
    spec = view.spec
    init_specs: Sequence[Obj] = spec.get("initContainers") or []
    app_specs: Sequence[Obj] = spec.get("containers") or []
    # Copies: the worker goes on changing its own container statuses after a report.
    inits = [dict(view.statuses.get(c["name"]) or waiting(c, "PodInitializing")) for c in init_specs]
    wait_reason = "PodInitializing" if init_specs else "ContainerCreating"
    # Sorted by name, as the kubelet sorts them (SortedContainerStatuses); init containers keep spec order.
    apps = sorted(
        (dict(view.statuses.get(c["name"]) or waiting(c, wait_reason)) for c in app_specs),
        key=lambda s: str(s["name"]),
    )
    # Ephemeral containers: the same default, sorted by name; never ready, no ``started``
    # (the prober manager does not see them).
    ephemeral = sorted(
        (
            {
                k: v
                for k, v in (view.statuses.get(c["name"]) or waiting(c, wait_reason)).items()
                if k != "started"
            }
            | {"ready": False}
            for c in spec.get("ephemeralContainers") or []
        ),
        key=lambda s: str(s["name"]),
    )
    finished = phase in ("Succeeded", "Failed")
    prev = {c["type"]: c for c in view.previous.get("conditions") or []}
    stamp = rfc3339(now)

    def cond(t: str, ok: bool, why: str = "", message: str = "") -> Obj:
        value = "True" if ok else "False"
        old = prev.get(t)
        c: Obj = {
            "type": t,
            "status": value,
            "lastProbeTime": None,
            "lastTransitionTime": old["lastTransitionTime"] if old and old["status"] == value else stamp,
        }
        if why:
            c["reason"] = why
        if message:
            c["message"] = message
        return c

    # Initialized (GeneratePodInitializedCondition): a Succeeded pod is, with reason
    # PodCompleted; so is one whose app containers ever started (a restarting sidecar
    # does not undo it); else every init container must be done (a sidecar: started).
    incomplete = [
        c["name"]
        for c, s in zip(init_specs, inits, strict=True)
        if not init_done(s, sidecar=c.get("restartPolicy") == "Always")
    ]
    app_started = any({"running", "terminated"} & (s.get("state") or {}).keys() for s in apps)
    if phase == "Succeeded":
        initialized = cond("Initialized", True, "PodCompleted")
    elif app_started or not incomplete:
        initialized = cond("Initialized", True)
    else:
        initialized = cond(
            "Initialized",
            False,
            "ContainersNotInitialized",
            f"containers with incomplete status: {_go_list(incomplete)}",
        )

    # ContainersReady and Ready (GenerateContainersReadyCondition): sidecars count
    # with the app containers; a terminal pod is not ready because it ended.
    sidecars = [s for c, s in zip(init_specs, inits, strict=True) if c.get("restartPolicy") == "Always"]
    by_name = {s["name"]: s for s in apps}
    in_spec_order = [by_name[c["name"]] for c in app_specs]
    unready = [s["name"] for s in sidecars + in_spec_order if not s.get("ready")]
    if finished:
        why = "PodCompleted" if phase == "Succeeded" else "PodFailed"
        ready = [cond(t, False, why) for t in ("Ready", "ContainersReady")]
    elif unready:
        unready_message = f"containers with unready status: {_go_list(unready)}"
        ready = [cond(t, False, "ContainersNotReady", unready_message) for t in ("Ready", "ContainersReady")]
    else:
        ready = [cond(t, True) for t in ("Ready", "ContainersReady")]

    disruption: list[Obj] = []
    if view.evicted:  # first, as generateAPIPodStatus copies it over before its own conditions
        disruption = [cond("DisruptionTarget", True, "TerminationByKubelet", view.evicted)]
    status: Obj = {
        "phase": phase,
        "conditions": [
            *disruption,
            cond("PodReadyToStartContainers", view.sandbox_ready),
            initialized,
            *ready,
            cond("PodScheduled", True),
        ],
        "hostIP": "127.0.0.1",
        "hostIPs": [{"ip": "127.0.0.1"}],
        "startTime": view.previous.get("startTime") or stamp,
        "qosClass": qos_class({"spec": spec}),
    }
    if view.ip:
        status["podIP"] = view.ip
        status["podIPs"] = [{"ip": view.ip}]
    if inits:
        status["initContainerStatuses"] = inits
    status["containerStatuses"] = apps
    if ephemeral:
        status["ephemeralContainerStatuses"] = ephemeral
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    return status


# -- crash-loop back-off (R9.4) ----------------------------------------------------
class CrashLoopBackoff:
    """One container's restart back-off, as the kubelet keeps it.

    No entry yet: the first restart is immediate and starts the entry at
    10 s. Each later restart waits until the last exit plus the entry's
    back-off, then doubles it (cap 300 s). A container that ran for more
    than 2 × 300 s before it exited starts over (immediate restart, 10 s).
    ``scale`` shrinks every duration alike (MINIK_TIME_SCALE, for tests).
    """

    def __init__(self, *, scale: float = 1.0) -> None:
        self.scale = scale
        self.backoff: float | None = None  # nominal seconds
        self.updated: datetime | None = None  # when the entry last advanced (≈ the last start)

    def _expired(self, finished: datetime) -> bool:
        assert self.updated is not None
        return (finished - self.updated).total_seconds() > 2 * BACKOFF_MAX * self.scale

    def remaining(self, finished: datetime, now: datetime) -> float:
        """Seconds (scaled) still to wait before restarting a container that exited at ``finished``."""
        if self.backoff is None or self._expired(finished):
            return 0.0
        due = self.backoff * self.scale - (now - finished).total_seconds()
        return max(due, 0.0)

    def advance(self, finished: datetime, now: datetime) -> None:
        """The container restarts now: move the entry on (client-go's ``Backoff.Next``)."""
        if self.backoff is None or self._expired(finished):
            self.backoff = BACKOFF_INITIAL
        else:
            self.backoff = min(self.backoff * 2, BACKOFF_MAX)
        self.updated = now

    def message(self, container: str, pod: str, namespace: str, uid: str) -> str:
        """The CrashLoopBackOff waiting message, with Go's duration format (``1m20s``)."""
        d = go_duration(self.backoff or BACKOFF_INITIAL)
        return f"back-off {d} restarting failed container={container} pod={pod}_{namespace}({uid})"


def _go_list(names: list[str]) -> str:
    """A list of names as Go's ``%s`` prints a ``[]string``: ``[a b]``."""
    return "[" + " ".join(names) + "]"


def go_duration(seconds: float) -> str:
    """Whole seconds as Go's ``time.Duration.String``: ``10s``, ``1m20s``, ``5m0s``, ``1h0m0s``."""
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return f"{h}h{m}m{sec}s"
    if m:
        return f"{m}m{sec}s"
    return f"{sec}s"
