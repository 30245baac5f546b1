"""``spec.podFailurePolicy``: which rule, if any, a failed pod matches (R6.7, R6.8).

Owns rule matching (``onExitCodes`` In/NotIn with ``containerName``,
``onPodConditions``) and the FailJob message of R6.3. Does not decide what
the Job does with the result; ``sync`` and ``indexes`` do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from minik.controllers.job import podutil
from minik.k8s import Obj, meta

FAIL_JOB = "FailJob"
IGNORE = "Ignore"
COUNT = "Count"
FAIL_INDEX = "FailIndex"


@dataclass(frozen=True)
class PolicyMatch:
    """Outcome of matching one failed pod against the policy."""

    action: str | None = None
    """The matched rule's action; ``None`` when no rule matched (or no policy)."""
    counts: bool = True
    """Does the failure count toward ``status.failed`` and backoff limits (False for Ignore)."""
    fail_job_message: str | None = None
    """The Job failure message when a FailJob rule matched."""


NO_MATCH = PolicyMatch()


def _exit_code_matches(code: int, requirement: Mapping[str, Any]) -> bool:
    values = [int(v) for v in requirement.get("values") or []]
    op = requirement.get("operator")
    if op == "In":
        return code in values
    if op == "NotIn":
        return code not in values
    return False


def _matching_container(statuses: list[Obj], requirement: Mapping[str, Any]) -> tuple[str, int] | None:
    wanted = requirement.get("containerName")
    for s in statuses:
        terminated = (s.get("state") or {}).get("terminated")
        if terminated is None:
            continue
        if wanted is not None and wanted != s.get("name"):
            continue
        code = int(terminated.get("exitCode") or 0)
        if code != 0 and _exit_code_matches(code, requirement):
            return str(s.get("name", "")), code
    return None


def _matching_condition(pod: Mapping[str, Any], patterns: list[Obj]) -> str | None:
    for cond in podutil.conditions(pod):
        for pattern in patterns:
            if cond.get("type") == pattern.get("type") and cond.get("status") == pattern.get(
                "status", "True"
            ):
                return str(cond.get("type"))
    return None


def _result(action: str, message: str) -> PolicyMatch:
    if action == IGNORE:
        return PolicyMatch(IGNORE, counts=False)
    if action == FAIL_JOB:
        return PolicyMatch(FAIL_JOB, counts=True, fail_job_message=message)
    return PolicyMatch(action, counts=True)


def match_pod_failure_policy(policy: Mapping[str, Any] | None, pod: Mapping[str, Any]) -> PolicyMatch:
    """First matching rule of ``policy`` for the failed ``pod`` (rules in order)."""
    if not policy:
        return NO_MATCH
    ns = meta(pod).get("namespace", "default")
    pod_name = podutil.name(pod)
    for i, rule in enumerate(policy.get("rules") or []):
        action = str(rule.get("action", ""))
        on_codes = rule.get("onExitCodes")
        on_conditions = rule.get("onPodConditions")
        if on_codes is not None:
            found = _matching_container(podutil.container_statuses(pod), on_codes) or _matching_container(
                podutil.init_container_statuses(pod), on_codes
            )
            if found is not None:
                container, code = found
                return _result(
                    action,
                    f"Container {container} for pod {ns}/{pod_name} failed with exit code {code} "
                    f"matching {action} rule at index {i}",
                )
        elif on_conditions is not None:
            cond_type = _matching_condition(pod, list(on_conditions))
            if cond_type is not None:
                return _result(
                    action,
                    f"Pod {ns}/{pod_name} has condition {cond_type} matching {action} rule at index {i}",
                )
    return NO_MATCH
