"""``DefaultTolerationSeconds``: the NoExecute tolerations every pod gets."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minik import manifest
from minik.manifest.pod_admission import default_tolerations

NOT_READY = {
    "key": "node.kubernetes.io/not-ready",
    "operator": "Exists",
    "effect": "NoExecute",
    "tolerationSeconds": 300,
}
UNREACHABLE = {**NOT_READY, "key": "node.kubernetes.io/unreachable"}
GPU = {"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}

CASES: list[tuple[str, Any, Any]] = [
    # (scenario, tolerations given (absent: None), tolerations after admission)
    ("a pod without tolerations gets both", None, [NOT_READY, UNREACHABLE]),
    ("an empty list gets both", [], [NOT_READY, UNREACHABLE]),
    ("a user's toleration stays first", [GPU], [GPU, NOT_READY, UNREACHABLE]),
    (
        "a not-ready toleration of its own keeps its seconds",
        [{**NOT_READY, "tolerationSeconds": 10}],
        [{**NOT_READY, "tolerationSeconds": 10}, UNREACHABLE],
    ),
    (
        "a not-ready toleration without an effect counts",
        [{"key": "node.kubernetes.io/not-ready", "operator": "Exists"}],
        [{"key": "node.kubernetes.io/not-ready", "operator": "Exists"}, UNREACHABLE],
    ),
    ("a toleration of every taint counts for both", [{"operator": "Exists"}], [{"operator": "Exists"}]),
    (
        "an empty key with NoExecute counts whatever the operator",
        [{"operator": "Equal", "effect": "NoExecute"}],
        [{"operator": "Equal", "effect": "NoExecute"}],
    ),
    (
        "a NoSchedule toleration of not-ready does not count",
        [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule", "operator": "Exists"}],
        [
            {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule", "operator": "Exists"},
            NOT_READY,
            UNREACHABLE,
        ],
    ),
    ("the defaults already there are left alone", [NOT_READY, UNREACHABLE], [NOT_READY, UNREACHABLE]),
    ("tolerations that are not a list are left to validation", "bad", "bad"),
]


@pytest.mark.parametrize(("given", "after"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_default_toleration_seconds(given: Any, after: Any) -> None:
    pod: dict[str, Any] = {"kind": "Pod", "spec": {"containers": [{"name": "c", "image": "x"}]}}
    if given is not None:
        pod["spec"]["tolerations"] = copy.deepcopy(given)
    default_tolerations(pod)
    assert pod["spec"]["tolerations"] == after


def pod_with(*tolerations: dict[str, Any]) -> dict[str, Any]:
    return manifest.default_object(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}], "tolerations": list(tolerations)},
        }
    )


def test_the_defaulted_tolerations_warn_nothing() -> None:
    errors, warnings = manifest.validate_object(pod_with(NOT_READY, UNREACHABLE))
    assert errors == [] and [w for w in warnings if "tolerations" in w.path] == []


def test_a_users_toleration_still_warns_by_its_index() -> None:
    _, warnings = manifest.validate_object(pod_with(NOT_READY, GPU, UNREACHABLE))
    assert [w.path for w in warnings if "tolerations" in w.path] == ["spec.tolerations[1]"]


def _update(old_tolerations: list[dict[str, Any]], new_tolerations: list[dict[str, Any]]) -> list[str]:
    old, new = pod_with(*old_tolerations), pod_with(*new_tolerations)
    errors, _ = manifest.validate_object(new, old=old)
    return [f"{e.path}: {e.reason}: {e.detail}" for e in errors]


UPDATES = [
    # (scenario, old tolerations, new tolerations, errors)
    ("adding one is allowed", [NOT_READY], [NOT_READY, GPU], []),
    ("changing tolerationSeconds is allowed", [NOT_READY], [{**NOT_READY, "tolerationSeconds": 5}], []),
    ("removing one is forbidden", [NOT_READY, GPU], [NOT_READY],
     ["spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"]),
    ("changing its effect is forbidden", [GPU], [{**GPU, "effect": "NoExecute"}],
     ["spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"]),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "errors"), [u[1:] for u in UPDATES], ids=[u[0] for u in UPDATES])
def test_a_pod_update_may_only_add_tolerations(old: Any, new: Any, errors: list[str]) -> None:
    assert _update(old, new) == errors
