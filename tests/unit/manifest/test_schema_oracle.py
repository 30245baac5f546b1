"""jsonschema as the oracle of layer 1: the compiled validator (minik/manifest/schema.py) and
the ``jsonschema`` library agree on the shipped schemas (schemas/), accept for accept and reject
for reject.

Instances are drawn from each schema (known fields, map entries, list items), with a chance at
every level of a wrong-typed value, an unknown field, an out-of-range int32/int64, a value
outside an enum, or a JSON null. The oracle is ``jsonschema``'s validator for the schema's own
draft (2020-12) with the two readings the API server has and the compiled validator documents:

- an integer is a JSON number without a fraction that is not a boolean (Go's decoder refuses
  ``1.0`` for an ``int32`` field; JSON Schema calls ``1.0`` an integer);
- ``format: int32`` / ``int64`` bound the value (a FormatChecker with only those two);
- a JSON ``null`` on a known field or a map entry means the field is absent (``null`` in a list
  is an error): such entries are dropped before the oracle sees the instance.

300 examples in ``tox -e unit`` (a few seconds); ``tox -e fuzz`` runs ``MINIK_FUZZ_EXAMPLES``
(10,000 by default there).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import FormatChecker
from jsonschema.validators import extend, validator_for

from minik.errors import FieldError
from minik.manifest import schema as compiled

KINDS = sorted(compiled.SCHEMA_FILES)
RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
DEPTH = 6

FORMATS = FormatChecker(formats=())


def _in_range(fmt: str) -> Any:
    lo, hi = RANGES[fmt]

    def check(value: object) -> bool:
        return not isinstance(value, int) or isinstance(value, bool) or lo <= value <= hi

    return check


for _fmt in RANGES:
    FORMATS.checks(_fmt)(_in_range(_fmt))


def _oracle(root: dict[str, Any]) -> Any:
    base = validator_for(root)
    types = base.TYPE_CHECKER.redefine(
        "integer", lambda _checker, v: isinstance(v, int) and not isinstance(v, bool)
    )
    return extend(base, type_checker=types)(root, format_checker=FORMATS)


ORACLES = {k: _oracle(compiled.schema_text(*k)) for k in KINDS}


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _absent_nulls(value: Any, schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """``value`` with the nulls the API server reads as absent fields dropped (see the docstring)."""
    schema = _resolve(schema, defs)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        addl = schema.get("additionalProperties", True)
        out = {}
        for k, v in value.items():
            sub = props.get(k, addl if isinstance(addl, dict) else None)
            if sub is not None and v is None and _resolve(sub, defs).get("type"):
                continue
            out[k] = _absent_nulls(v, sub, defs) if sub is not None else v
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_absent_nulls(v, schema["items"], defs) for v in value]
    return value


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
    st.just([]),
    st.just({}),
    st.just([None]),
)


def values(schema: dict[str, Any], defs: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    """Mostly well-typed values for ``schema``; now and then a junk one (1 in 12)."""
    typed = _typed(_resolve(schema, defs), defs, depth)
    return st.integers(0, 11).flatmap(lambda n: JUNK if n == 0 else typed)


def _typed(schema: dict[str, Any], defs: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    t = schema.get("type")
    if "enum" in schema:
        return st.one_of(st.sampled_from(schema["enum"]), st.text(max_size=3))
    if t == "string":
        return st.text(max_size=6)
    if t == "integer":
        fmt = schema.get("format")
        if fmt in RANGES:
            lo, hi = RANGES[fmt]
            return st.one_of(
                st.integers(-5, 5), st.integers(lo - 3, hi + 3), st.sampled_from([lo - 1, hi + 1])
            )
        return st.integers(-(2**70), 2**70)
    if t == "number":
        return st.one_of(st.integers(-100, 100), st.floats(allow_nan=False, allow_infinity=False))
    if t == "boolean":
        return st.booleans()
    if t == "array":
        if depth <= 0 or not isinstance(schema.get("items"), dict):
            return st.just([])
        return st.lists(values(schema["items"], defs, depth - 1), max_size=2)
    if t == "object" or "properties" in schema:
        return _object(schema, defs, depth)
    return st.one_of(st.text(max_size=3), st.integers(-3, 3))  # int-or-string and other untyped fields


def _object(schema: dict[str, Any], defs: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    if depth <= 0:
        return st.just({})
    props: dict[str, Any] = schema.get("properties", {})
    addl = schema.get("additionalProperties", True)
    keys = sorted(props)
    unknown = st.lists(st.sampled_from(["bogus", "Spec", "comand"]), max_size=1, unique=True)

    def build(chosen: list[str], extra: list[str]) -> st.SearchStrategy[dict[str, Any]]:
        fields = {k: values(props[k], defs, depth - 1) for k in chosen}
        fields.update({k: JUNK for k in extra})
        fixed = st.fixed_dictionaries(fields)
        if isinstance(addl, dict):
            entries = st.dictionaries(st.text(max_size=4), values(addl, defs, depth - 1), max_size=2)
            return st.tuples(fixed, entries).map(lambda pair: {**pair[1], **pair[0]})
        return fixed

    chosen = st.lists(st.sampled_from(keys), max_size=4, unique=True) if keys else st.just([])
    extra = st.integers(0, 5).flatmap(lambda n: unknown if n == 0 else st.just([]))
    return st.tuples(chosen, extra).flatmap(lambda ce: build(*ce))


@st.composite
def instances(draw: st.DrawFn) -> tuple[tuple[str, str], dict[str, Any]]:
    kind = draw(st.sampled_from(KINDS))
    root = compiled.schema_text(*kind)
    obj = draw(_object(root, root.get("$defs", {}), DEPTH))
    obj["apiVersion"], obj["kind"] = kind
    return kind, obj


def _agree(kind: tuple[str, str], obj: dict[str, Any]) -> bool:
    """Both validators give the same verdict; whether they accepted."""
    root = compiled.schema_text(*kind)
    errors: list[FieldError] = []
    compiled.validator(*kind)(obj, (), errors)
    oracle_errors = list(ORACLES[kind].iter_errors(_absent_nulls(obj, root, root.get("$defs", {}))))
    assert bool(errors) == bool(oracle_errors), (
        f"compiled: {[e.render() for e in errors]}; jsonschema: {[e.message for e in oracle_errors]}"
    )
    return not errors


@pytest.mark.fuzz
@settings(
    max_examples=int(os.environ.get("MINIK_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(instances())
def test_the_compiled_validator_agrees_with_jsonschema(case: tuple[tuple[str, str], dict[str, Any]]) -> None:
    event("accepted" if _agree(*case) else "rejected")


@pytest.mark.parametrize(
    ("scenario", "obj", "accepted"),
    [
        (
            "a valid Job",
            {"spec": {"parallelism": 2, "template": {"spec": {"containers": [{"name": "c"}]}}}},
            True,
        ),
        ("an unknown field", {"spec": {"bogus": 1}}, False),
        ("an int32 out of range", {"spec": {"parallelism": 2**31}}, False),
        ("1.0 for an integer", {"spec": {"parallelism": 1.0}}, False),
        ("a boolean for an integer", {"spec": {"parallelism": True}}, False),
        ("null on a field is absent", {"spec": {"parallelism": None}}, True),
        ("null in a list is an error", {"spec": {"template": {"spec": {"containers": [None]}}}}, False),
        ("a kind outside its enum", {"kind": "Jobs"}, False),
    ],
)
def test_both_validators_on_known_cases(scenario: str, obj: dict[str, Any], accepted: bool) -> None:
    kind = ("batch/v1", "Job")
    obj = {"apiVersion": "batch/v1", "kind": "Job", **obj}
    errors: list[FieldError] = []
    compiled.validator(*kind)(obj, (), errors)
    assert _agree(kind, obj) is accepted
    assert (not errors) is accepted
