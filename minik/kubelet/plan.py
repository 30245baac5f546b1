"""The pod plan: the kubelet's decisions about a pod's containers, as pure functions.

In the manner of the kubelet's ``computePodActions``: from the pod spec and
what the runtime reported, decide whether the pod needs (and gets) a sandbox, which
init container runs next, whether an exited container is restarted (and
so whether it counts as done), what phase a pod whose containers have all
stopped ends in, and what phase it shows while one runs. The worker
(:mod:`minik.kubelet.pod.worker`) carries the decisions out; table tests in
``tests/unit/kubelet/test_plan.py`` state them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from minik.k8s import Obj

TERMINAL = ("Succeeded", "Failed")


def is_sidecar(c: Obj, init: bool) -> bool:
    """A native sidecar: an init container with restartPolicy Always."""
    return init and c.get("restartPolicy") == "Always"


def needs_sandbox(spec: Obj) -> bool:
    """Whether two containers of the pod can run at once (several app containers, or sidecars).

    Only then must they share a network namespace through a sandbox; a pod
    whose containers run one at a time can run each directly (issue 22).
    """
    apps = spec.get("containers") or []
    sidecars = [c for c in spec.get("initContainers") or [] if is_sidecar(c, True)]
    return len(apps) > 1 or bool(sidecars)


def uses_sandbox(spec: Obj) -> bool:
    """Whether minik gives the pod a sandbox: when it needs one, or when it is the cheaper way.

    On Docker 20.10 a container that owns its network namespace starts in
    ~0.45 s, one joining a running sandbox in ~0.13 s, and the pause sandbox
    itself in ~0.44 s (docs/benchmarks.md, issue 22). A pod of one container
    is cheaper without a sandbox (0.45 s against 0.57 s); a pod whose init
    containers and app container run in turn pays a network per container
    without one (2 × 0.45 s against 0.44 + 2 × 0.13 s), so it keeps its
    sandbox — measured 1.13× slower sandbox-less for init + app pods. The
    sandbox-less path itself serves any pod whose containers run one at a
    time (:func:`needs_sandbox`); this rule only picks the cheaper one.

    A hostNetwork pod, and one publishing hostPorts, keep one too: the
    sandbox holds the host's network, or the published ports, for the pod's
    whole life; so does one with ``shareProcessNamespace``: its containers
    join the sandbox's process namespace, whose first process is the pause.
    """
    host_ports = any(p.get("hostPort") for c in spec.get("containers") or [] for p in c.get("ports") or [])
    held = spec.get("initContainers") or spec.get("hostNetwork") or spec.get("shareProcessNamespace")
    return needs_sandbox(spec) or bool(held or host_ports)


def restart_policy(c: Obj, pod_policy: str, *, init: bool) -> str:
    """The policy a container restarts under: a sidecar always restarts, others follow the pod."""
    return "Always" if is_sidecar(c, init) else pod_policy


@dataclass(frozen=True)
class AfterExit:
    """What happens to a container that exited: restart it, or it is done (``ok``: it succeeded)."""

    restart: bool
    ok: bool


def after_exit(c: Obj, pod_policy: str, code: int, *, init: bool, probe_killed: bool = False) -> AfterExit:
    """Restart or not (the kubelet's ``ShouldContainerBeRestarted``).

    Never: never. OnFailure: only a failure. Always: every exit — except a
    regular init container that succeeded, which is done whatever the policy.
    A container killed for a failed liveness or startup probe is restarted
    under OnFailure and Always whatever its exit code (computePodActions
    decides the restart with the kill).
    """
    policy = restart_policy(c, pod_policy, init=init)
    if policy == "Never":
        return AfterExit(False, code == 0)
    if probe_killed:
        return AfterExit(True, False)
    if code == 0 and ((init and not is_sidecar(c, init)) or policy == "OnFailure"):
        return AfterExit(False, True)
    return AfterExit(True, code == 0)


def next_init_container(spec: Obj, done: Mapping[str, bool]) -> Obj | None:
    """The first init container not done yet, in spec order (``done[name]``: it succeeded, or a
    sidecar started); ``None`` when every one is."""
    init: list[Obj] = list(spec.get("initContainers") or [])
    return next((c for c in init if not done.get(c["name"])), None)


def phase_when_stopped(app_specs: Sequence[Obj], statuses: Mapping[str, Obj]) -> str:
    """A terminal pod's phase from its app containers (the kubelet's ``getPhase`` for a terminal pod):
    Succeeded when every one terminated with exit code 0, else Failed."""
    for c in app_specs:
        term = ((statuses.get(c["name"]) or {}).get("state") or {}).get("terminated")
        if not term or term.get("exitCode") != 0:
            return "Failed"
    return "Succeeded"


def live_phase(current: str, *, init: bool, sidecar: bool) -> str:
    """The phase shown while a container runs: Pending during init, Running for app containers;
    a sidecar keeps the pod's current phase."""
    if sidecar:
        return current or "Pending"
    return "Pending" if init else "Running"
