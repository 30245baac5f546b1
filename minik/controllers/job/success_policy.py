"""``spec.successPolicy`` (Indexed Jobs): does the set of succeeded indexes
satisfy a rule (R5.5)?

Owns rule evaluation and the ``Matched rules at index <i>`` message. Does not
write conditions or delete pods; ``sync`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from minik.k8s import parse_indexes

REASON = "SuccessPolicy"


def match_success_policy(
    policy: Mapping[str, Any] | None, completions: int, succeeded: Set[int]
) -> str | None:
    """The condition message of the first matching rule, or ``None``.

    A rule with ``succeededIndexes`` matches when all of them succeeded or,
    with ``succeededCount``, when at least that many of them did; a rule with
    only ``succeededCount`` matches when that many indexes succeeded in total.
    """
    if not policy or not succeeded:
        return None
    for i, rule in enumerate(policy.get("rules") or []):
        count = rule.get("succeededCount")
        listed = rule.get("succeededIndexes")
        if listed is not None:
            try:
                required = parse_indexes(str(listed), limit=completions)
            except ValueError:
                continue
            if not required:
                continue
            contained = len(required & set(succeeded))
            if contained == len(required) or (count is not None and contained >= int(count)):
                return f"Matched rules at index {i}"
        elif count is not None and len(succeeded) >= int(count):
            return f"Matched rules at index {i}"
    return None
