"""``k8s.clone``: the store's copy of an object shares nothing mutable with the original."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from minik.k8s import clone


def test_a_clone_equals_the_object_and_shares_no_dict_or_list() -> None:
    pod = {
        "metadata": {"labels": {"a": "b"}, "finalizers": ["f"]},
        "spec": {"containers": [{"ports": [{"n": 1}]}]},
    }
    c = clone(pod)
    assert c == pod
    c["metadata"]["labels"]["a"] = "x"
    c["metadata"]["finalizers"].append("g")
    c["spec"]["containers"][0]["ports"][0]["n"] = 2
    assert pod == {
        "metadata": {"labels": {"a": "b"}, "finalizers": ["f"]},
        "spec": {"containers": [{"ports": [{"n": 1}]}]},
    }


def test_scalars_are_kept_and_other_types_are_deep_copied() -> None:
    when = datetime(2026, 12, 2, tzinfo=UTC)
    value = {"n": 1, "f": 0.5, "b": True, "none": None, "s": "x", "t": ([1],), "when": when}
    c = clone(value)
    assert c == value
    assert c["t"][0] is not value["t"][0]  # a tuple holding a list is copied as deepcopy would
    assert c == copy.deepcopy(value)
