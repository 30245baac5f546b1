"""Hypothesis over the work a request can ask for: JSON patches that grow, YAML aliases, selectors.

Three strategies, each with a property that holds for every example:

- **growing JSON patches** (copies of a value into itself, adds of large
  values, moves that nest): through the real app, the reply is never a 5xx
  and comes quickly; a patch that is accepted leaves an object within the
  store's size and depth limits; :func:`json_patch` alone never copies more
  than its budget.
- **YAML alias structures** (chains and trees of anchors with any fan-out,
  recursive ones, ordinary reuse): the loader and the API's YAML decoding
  finish quickly, and whatever they accept expands to no more than the
  alias budget beyond what is written out.
- **selectors** (selector-like text and long repetitions of the pieces that
  made the old regular expressions backtrack): parsing is a result or a 400,
  in time linear in the input.

Every budget is in CPU seconds of this process (``time.process_time``, all its threads):
the properties are about the work an input asks for, which a machine busy with other
processes (the integration suite beside ``tox -e fuzz``) does not change, while it does
stretch wall-clock time.

Every property is marked ``fuzz``: ``tox -e fuzz`` runs ``MINIK_FUZZ_EXAMPLES``
examples of each, the unit run (which does not deselect the marker) 100.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minik import manifest
from minik.api import limits
from minik.api.patch import PatchError, PatchTooLarge, json_patch
from minik.errors import ApiError
from minik.manifest import yamlsafe
from minik.store.selectors import parse_fields, parse_labels
from tests.unit.api.test_fuzz_api import Request, _run, seed_db  # noqa: F401 - seed_db is a fixture

EXAMPLES = int(os.environ.get("MINIK_FUZZ_EXAMPLES", "100"))
SETTINGS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}

# -- growing JSON patches ---------------------------------------------------------------------

POINTERS = ["/metadata/labels", "/metadata/annotations", "/data", "/spec", "/x", "/x/y", "/x/0"]


@st.composite
def growing_patches(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A seed value, then copies/moves/adds that grow or nest it, up to 60 operations."""
    root = draw(st.sampled_from(["/x", "/metadata/annotations"]))
    seed = draw(st.sampled_from([{"a": "v" * 100}, ["v" * 100], {"a": ["v" * 500]}, "v" * 1000]))
    ops: list[dict[str, Any]] = [{"op": "add", "path": root, "value": seed}]
    for i in range(draw(st.integers(1, 59))):
        kind = draw(st.sampled_from(["copy", "copy", "copy", "add", "move"]))
        target = draw(st.sampled_from([f"{root}/k{i}", f"{root}/-", f"{root}/a/k{i}", f"/y{i}"]))
        if kind == "add":
            size = draw(st.sampled_from([10, 1000, 100_000]))
            ops.append({"op": "add", "path": target, "value": "z" * size})
        else:
            ops.append({"op": kind, "from": draw(st.sampled_from([root, *POINTERS])), "path": target})
    return ops


@pytest.mark.fuzz
@settings(max_examples=EXAMPLES, **SETTINGS)
@given(ops=growing_patches())
def test_json_patch_never_copies_more_than_its_budget(ops: list[dict[str, Any]]) -> None:
    doc = {"metadata": {"name": "cm", "annotations": {}}, "data": {"k": "v"}}
    budget = 200_000
    start = time.process_time()
    try:
        out = json_patch(doc, ops, copy_limit=budget)
    except PatchTooLarge:
        pass
    except PatchError:
        pass
    else:
        # Adds are at most the body's size; copies at most the budget.
        added = sum(len(json.dumps(op.get("value", ""))) for op in ops)
        assert len(json.dumps(out)) <= len(json.dumps(doc)) + added + budget * 2
    assert time.process_time() - start < 2.0


@pytest.mark.fuzz
@settings(max_examples=EXAMPLES, **SETTINGS)
@given(ops=growing_patches(), target=st.sampled_from(["configmaps/cm1", "pods/p1"]))
def test_growing_json_patches_through_the_api(seed_db: Path, ops: list[dict[str, Any]], target: str) -> None:  # noqa: F811
    body = json.dumps(ops).encode()
    start = time.process_time()
    status = _run(
        seed_db,
        Request("PATCH", f"/api/v1/namespaces/default/{target}", [], "application/json-patch+json", body),
    )
    took = time.process_time() - start
    assert status < 500
    assert took < 5.0, f"{took:.2f}s for a {len(ops)}-operation patch"


# -- YAML alias structures --------------------------------------------------------------------


@st.composite
def alias_documents(draw: st.DrawFn) -> str:
    """Anchors that refer to earlier anchors: chains, trees, merges, and sometimes themselves."""
    levels = draw(st.integers(1, 14))
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: a}"]
    lines.append(f"l0: &l0 [{', '.join(['x'] * draw(st.integers(1, 12)))}]")
    for i in range(1, levels):
        fan = draw(st.integers(1, 12))
        refs = [f"*l{draw(st.integers(max(0, i - 2), i - 1))}" for _ in range(fan)]
        if draw(st.booleans()):
            lines.append(f"l{i}: &l{i} [{', '.join(refs)}]")
        else:
            lines.append(f"l{i}: &l{i} {{{', '.join(f'k{j}: {r}' for j, r in enumerate(refs))}}}")
    if draw(st.integers(0, 9)) == 0:
        lines.append("self: &s {k: *s}")
    return "\n".join(lines) + "\n"


@pytest.mark.fuzz
@settings(max_examples=EXAMPLES, **SETTINGS)
@given(text=alias_documents())
def test_yaml_aliases_are_refused_quickly_or_within_budget(text: str) -> None:
    start = time.process_time()
    _, errors = manifest.parse(text, "f.yaml")
    assert all(e.location.startswith("f.yaml:") for e in errors)
    took = time.process_time() - start
    assert took < 1.0, f"the loader took {took:.2f}s"
    start = time.process_time()
    try:
        value = yamlsafe.safe_load(text)
    except (yamlsafe.AliasBomb, yaml.YAMLError):
        pass
    else:
        node = yaml.compose(text, Loader=yamlsafe.Loader)
        total, distinct = yamlsafe.expanded_size(node)
        assert total - distinct <= yamlsafe.MAX_ALIAS_VALUES
        assert isinstance(value, dict)
    assert time.process_time() - start < 1.0


@pytest.mark.fuzz
@settings(max_examples=EXAMPLES, **SETTINGS)
@given(text=alias_documents())
def test_yaml_aliases_through_the_api(seed_db: Path, text: str) -> None:  # noqa: F811
    start = time.process_time()
    status = _run(
        seed_db,
        Request("POST", "/api/v1/namespaces/default/configmaps", [], "application/yaml", text.encode()),
    )
    assert status < 500
    assert time.process_time() - start < 3.0


# -- selectors --------------------------------------------------------------------------------

PIECES = [
    " ",
    "a",
    "=",
    "!",
    "==",
    "!=",
    "in",
    "notin",
    "(",
    ")",
    ",",
    "/",
    ".",
    "-",
    "\\",
    "\n",
    "x y",
    "<",
    ">",
]


@st.composite
def selectors(draw: st.DrawFn) -> str:
    """Selector-like text, or one piece repeated thousands of times around a prefix and suffix."""
    if draw(st.booleans()):
        return "".join(draw(st.lists(st.sampled_from(PIECES), max_size=40)))
    piece = draw(st.sampled_from(PIECES))
    times = draw(st.sampled_from([100, 2000, 8000]))
    return (
        draw(st.sampled_from(["a", "metadata.name", "!a", "a in ("]))
        + piece * times
        + draw(st.sampled_from(["", "b", ")", "=x", "in"]))
    )


@pytest.mark.fuzz
@settings(max_examples=EXAMPLES, **SETTINGS)
@given(text=selectors(), resource=st.sampled_from(["pods", "events", "jobs"]))
def test_selectors_parse_in_linear_time(text: str, resource: str) -> None:
    for parse in (parse_labels, lambda t: parse_fields(t, resource)):
        start = time.process_time()
        try:
            parse(text)
        except ApiError as exc:
            assert exc.code == 400
        took = time.process_time() - start
        assert took < 0.25 + len(text) * 2e-5, f"{took:.3f}s for {len(text)} characters"


def test_object_limit_is_etcds() -> None:
    assert limits.MAX_OBJECT_BYTES == 1536 * 1024
