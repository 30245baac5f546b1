"""Lifecycle hooks' rules, pure: the grace left after preStop, and the kubelet's words for failures.

From upstream's ``pkg/kubelet/kuberuntime/kuberuntime_container.go``
(``killContainer``, ``executePreStopHook``, ``startContainer``) and
``pkg/kubelet/lifecycle/handlers.go``:

- a container is stopped with a grace period; an override (an eviction's
  0) replaces it; a preStop hook runs first when there is grace left, for
  at most that long, and what it took is taken off the grace the stop
  signal then gets, but never below 2 s once a hook ran (the kubelet's
  ``minimumGracePeriodInSeconds``);
- a hook that fails is a Warning event with no detail (``PostStartHook
  failed``, ``PreStopHook failed``: the output could hold secrets); a failed
  postStart kills the container with the message ``FailedPostStartHook``;
- the hook's own message (``Exec lifecycle hook ([…]) for Container "c" in
  Pod "p_ns(uid)" failed - error: …, message: "…"``) is for the log.

The runner is :mod:`minik.kubelet.lifecycle.runner`; ``tests/unit/kubelet/test_hooks.py`` states the rules.
"""

from __future__ import annotations

import math

from minik.k8s import Obj

MIN_GRACE_AFTER_HOOK = 2  # minimumGracePeriodInSeconds
POST_START_FAILED = ("FailedPostStartHook", "PostStartHook failed")
PRE_STOP_FAILED = ("FailedPreStopHook", "PreStopHook failed")
POST_START_KILL_MESSAGE = "FailedPostStartHook"


def pre_stop_budget(c: Obj, grace: int) -> int:
    """Seconds the preStop hook may take: the whole grace period, 0 when there is none or no hook."""
    pre_stop = (c.get("lifecycle") or {}).get("preStop")
    return grace if pre_stop is not None and grace > 0 else 0


def grace_after_pre_stop(grace: int, elapsed: float, *, hook_ran: bool, override: bool = False) -> int:
    """The grace the stop signal gets once a preStop hook took ``elapsed`` seconds (whole seconds
    taken off, as Go's truncating ``int64(Duration.Seconds())``).

    At least 2 s, hook or not (killContainer's "minimal shutdown window");
    a grace the deletion or an eviction set (the kubelet's override) is
    taken as it is when no hook ran.
    """
    if not hook_ran:
        return grace if override else max(grace, MIN_GRACE_AFTER_HOOK)
    return max(grace - math.floor(elapsed), MIN_GRACE_AFTER_HOOK)


def go_command(command: list[str]) -> str:
    """A command as Go's ``%v`` prints a ``[]string``: ``[sh -c exit 3]``."""
    return "[" + " ".join(command) + "]"


def handler_message(handler: Obj, container: str, pod_ref: str, error: str, output: str = "") -> str:
    """handlers.go's message for a failed hook, by action."""
    where = f'for Container "{container}" in Pod "{pod_ref}" failed - error: {error}'
    if handler.get("exec") is not None:
        command = go_command(list(handler["exec"].get("command") or []))
        return f"Exec lifecycle hook ({command}) {where}, message: {_go_quote(output)}"
    if handler.get("httpGet") is not None:
        return f"HTTP lifecycle hook ({handler['httpGet'].get('path', '')}) {where}"
    if handler.get("sleep") is not None:
        return f"Sleep lifecycle hook ({handler['sleep'].get('seconds', 0)}) {where}"
    return f"Cannot run handler: {error}"


def exec_error(command: list[str], code: int, output: str) -> str:
    """The CRI's error for a command that exited non-zero (``command 'sh -c x' exited with 3: …``)."""
    return f"command '{' '.join(command)}' exited with {code}: {output}"


def _go_quote(s: str) -> str:
    """Go's ``%q`` for plain text: double quotes, backslash escapes."""
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'
