"""Mutated valid manifests: accepted, or a ManifestError whose every error is located — nothing else."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minik import manifest
from minik.errors import ManifestError

VALID = Path(__file__).resolve().parents[2] / "fixtures" / "manifests" / "valid"
BASES = [d.obj for d in manifest.load([str(VALID)])]
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=8),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    obj = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(obj) if p]
        path = draw(st.sampled_from(paths))
        node: Any = obj
        for part in path[:-1]:
            node = node[part]
        if draw(st.booleans()) and isinstance(node, dict):
            node.pop(path[-1], None)
        else:
            node[path[-1]] = draw(LEAVES)
    return obj


def _check(obj: dict[str, Any]) -> None:
    doc = manifest.Document(obj=obj, source="f.yaml")
    try:
        manifest.validate_documents([doc])
    except ManifestError as exc:
        assert exc.errors and all(e.location.startswith("f.yaml:") for e in exc.errors)
    errors, warnings = manifest.validate_object(manifest.default_object(obj, uid="u"))
    assert all(e.reason for e in errors + warnings)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_never_raise_anything_but_located_manifest_errors(obj: dict[str, Any]) -> None:
    _check(obj)


@pytest.mark.fuzz
@settings(
    max_examples=int(os.environ.get("MINIK_FUZZ_EXAMPLES", "5000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutated())
def test_mutations_long_run(obj: dict[str, Any]) -> None:
    _check(obj)
