"""Validation of ``policy/v1`` PodDisruptionBudgets.

Owns upstream's ``ValidatePodDisruptionBudget`` (``pkg/apis/policy/validation``)
in its wording: minAvailable and maxUnavailable exclusive, each a
non-negative integer or a percentage of at most 100%, the label selector,
the unhealthy-pod eviction policy. Pure functions over schema-valid dicts.
"""

from __future__ import annotations

import re
from typing import Any

from minik.errors import FieldError
from minik.manifest import fields as f
from minik.manifest import rules_meta as m
from minik.manifest.fields import OMIT, PathT
from minik.manifest.rules_job import label_selector

POLICY_KINDS = {"PodDisruptionBudget": "policy/v1"}
UNHEALTHY_POD_EVICTION_POLICIES = ("AlwaysAllow", "IfHealthyBudget")
_PERCENT_FMT = "[0-9]+%"
_PERCENT = re.compile(f"^{_PERCENT_FMT}$")


def _int_or_percent(value: Any, path: PathT) -> list[FieldError]:
    """``ValidatePositiveIntOrPercent`` and ``IsNotMoreThan100Percent``."""
    if isinstance(value, str):
        if not _PERCENT.match(value):
            msg = m.regex_error(
                "a valid percent string must be a numeric string followed by an ending '%'",
                _PERCENT_FMT,
                "1%",
                "93%",
            )
            return [f.invalid(path, value, msg)]
        if int(value[:-1]) > 100:
            return [f.invalid(path, value, "must not be greater than 100%")]
        return []
    if int(value) < 0:
        return [f.invalid(path, value, "must be greater than or equal to 0")]
    return []


def validate_pdb(pdb: dict[str, Any]) -> list[FieldError]:
    errors = m.object_meta(pdb.get("metadata") or {})
    spec = pdb.get("spec") or {}
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        errors.append(f.invalid(("spec",), OMIT, "minAvailable and maxUnavailable cannot be both set"))
    for key in ("minAvailable", "maxUnavailable"):
        if spec.get(key) is not None:
            errors += _int_or_percent(spec[key], ("spec", key))
    if spec.get("selector") is not None:
        errors += label_selector(spec["selector"], ("spec", "selector"))
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in UNHEALTHY_POD_EVICTION_POLICIES:
        errors.append(
            f.not_supported(("spec", "unhealthyPodEvictionPolicy"), policy, UNHEALTHY_POD_EVICTION_POLICIES)
        )
    return errors


RULES = {"PodDisruptionBudget": validate_pdb}
