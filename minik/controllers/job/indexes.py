"""Indexed-Job bookkeeping: which indexes succeeded, failed, or still need a pod.

Owns R3.8 (lowest pending indexes), R5.1 (distinct succeeded indexes),
R6.9–R6.11 (per-index failure: failed indexes, the failed pod whose
accounting is delayed until its replacement exists, the failure-count
annotations the replacement inherits) and the duplicate/invalid-index pods
that must be removed. String formatting of index sets lives in ``minik.k8s``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Set
from typing import Any

from minik.controllers.job import podutil
from minik.controllers.job.backoff import finished_time
from minik.controllers.job.failure_policy import FAIL_INDEX, match_pod_failure_policy
from minik.k8s import Obj, parse_indexes

Pod = Mapping[str, Any]


def indexes_from_status(value: str | None, completions: int) -> set[int]:
    """Parse ``completedIndexes``/``failedIndexes``, dropping indexes ≥ completions."""
    try:
        return parse_indexes(value, limit=completions)
    except ValueError:  # corrupted status: upstream ignores it too
        return set()


def valid_index(pod: Pod, completions: int) -> int | None:
    """The pod's completion index when it is within ``[0, completions)``."""
    ix = podutil.completion_index(pod)
    return ix if ix is not None and ix < completions else None


def succeeded_indexes(previous: Set[int], pods: Iterable[Pod], completions: int) -> set[int]:
    """Indexes already recorded plus those of uncounted succeeded pods."""
    out = set(previous)
    for p in pods:
        ix = valid_index(p, completions)
        if ix is not None and podutil.phase(p) == "Succeeded" and podutil.has_tracking_finalizer(p):
            out.add(ix)
    return out


def is_index_failed(job_spec: Mapping[str, Any], pod: Pod, is_failed: Callable[[Pod], bool]) -> bool:
    """Does this failed pod exhaust its index (FailIndex rule, or failure count ≥ backoffLimitPerIndex)?"""
    if not is_failed(pod):
        return False
    m = match_pod_failure_policy(job_spec.get("podFailurePolicy"), pod)
    if m.action == FAIL_INDEX:
        return True
    return m.counts and podutil.failure_count(pod) >= int(job_spec.get("backoffLimitPerIndex") or 0)


def failed_indexes(
    job_spec: Mapping[str, Any],
    previous: Set[int],
    pods: Iterable[Pod],
    completions: int,
    is_failed: Callable[[Pod], bool],
) -> set[int]:
    """Indexes already recorded failed plus those newly exhausted by an uncounted pod."""
    out = set(previous)
    for p in pods:
        ix = valid_index(p, completions)
        if ix is not None and podutil.has_tracking_finalizer(p) and is_index_failed(job_spec, p, is_failed):
            out.add(ix)
    return out


def delayed_failed_pods(
    pods: Iterable[Pod],
    completions: int,
    *,
    blocked: Set[int],
    is_failed: Callable[[Pod], bool],
) -> dict[int, Pod]:
    """Per index, the uncounted failed pod whose accounting waits for its replacement.

    ``blocked`` = indexes succeeded, failed or active (their failure count is
    already carried elsewhere). When several qualify, the one with the highest
    failure count that finished last wins.
    """
    out: dict[int, Pod] = {}
    for p in pods:
        if not podutil.has_tracking_finalizer(p) or not is_failed(p):
            continue
        ix = valid_index(p, completions)
        if ix is None or ix in blocked:
            continue
        prev = out.get(ix)
        if prev is None or (
            _absolute_failures(prev) <= _absolute_failures(p) and finished_time(p) >= finished_time(prev)
        ):
            out[ix] = p
    return out


def _absolute_failures(pod: Pod) -> int:
    return podutil.failure_count(pod) + podutil.ignored_failure_count(pod)


def first_pending(count: int, completions: int, taken: Set[int]) -> list[int]:
    """The ``count`` lowest indexes below ``completions`` not in ``taken``."""
    out: list[int] = []
    ix = 0
    while len(out) < count and ix < completions:
        if ix not in taken:
            out.append(ix)
        ix += 1
    return out


def failure_count_annotations(job_spec: Mapping[str, Any], replaced: Pod | None) -> dict[str, str]:
    """R3.3 annotations for a new pod of an index whose previous pod is ``replaced``."""
    failures = ignored = 0
    if replaced is not None:
        failures = podutil.failure_count(replaced)
        ignored = podutil.ignored_failure_count(replaced)
        if match_pod_failure_policy(job_spec.get("podFailurePolicy"), replaced).counts:
            failures += 1
        else:
            ignored += 1
    out = {podutil.FAILURE_COUNT_KEY: str(failures)}
    if ignored > 0:
        out[podutil.IGNORED_FAILURE_COUNT_KEY] = str(ignored)
    return out


def split_for_removal(
    active: list[Obj], completions: int, order: Callable[[Obj], Any]
) -> tuple[list[Obj], list[Obj]]:
    """Active pods that must go regardless of counts (no index, index out of range,
    duplicates of an index — keeping the most progressed one) and the rest."""
    rm: list[Obj] = []
    by_index: dict[int, list[Obj]] = {}
    for p in active:
        ix = valid_index(p, completions)
        if ix is None:
            rm.append(p)
        else:
            by_index.setdefault(ix, []).append(p)
    left: list[Obj] = []
    for ix in sorted(by_index):
        group = sorted(by_index[ix], key=order)
        rm.extend(group[:-1])
        left.append(group[-1])
    return rm, left
