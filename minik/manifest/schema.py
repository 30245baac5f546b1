"""Layer 1a: strict structural validation against ``minik.schemas``.

Loads the JSON Schemas shipped as package data and compiles each once (module
cache) into nested closures, which is an order of magnitude faster than a
generic JSON Schema engine and lets map keys and unknown fields be reported
with the API server's paths (``...containers[0].comand: Unknown field``).
Only the keywords :mod:`minik.manifest.schemagen` emits are understood:
``type``, ``format`` (int32/int64 ranges), ``properties``,
``additionalProperties``, ``items``, ``enum`` and local ``$ref``. It owns
structure only; the API server's rules live in the ``rules_*`` modules.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Callable
from functools import cache
from typing import Any

from minik.errors import FieldError
from minik.manifest import fields as f
from minik.manifest.fields import Key, PathT
from minik.resources import RESOURCES

Check = Callable[[Any, PathT, list[FieldError]], None]


def _shipped() -> frozenset[str]:
    return frozenset(
        p.name for p in importlib.resources.files("minik.schemas").iterdir() if p.name.endswith(".json")
    )


_SHIPPED = _shipped()
SCHEMA_FILES = {
    (r.api_version, r.kind): f"{r.kind.lower()}.json"
    for r in RESOURCES.values()
    if f"{r.kind.lower()}.json" in _SHIPPED
}
"""The kinds of the resource table that have a schema (``schemas/<kind>.json``), by (apiVersion, kind)."""

_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "boolean": "a boolean",
    "object": "an object",
    "array": "a list",
    "number": "a number",
}


def _is(value: Any, t: str) -> bool:
    if t == "string":
        return isinstance(value, str)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    return False


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.defs: dict[str, Any] = root.get("$defs", {})
        self.compiled: dict[str, Check] = {}

    def ref(self, name: str) -> Check:
        if name not in self.compiled:
            slot: list[Check] = []
            self.compiled[name] = lambda v, p, e: slot[0](v, p, e)  # noqa: PLW0108 - forward reference for recursion
            slot.append(self.compile(self.defs[name]))
            self.compiled[name] = slot[0]
        return self.compiled[name]

    def compile(self, schema: dict[str, Any]) -> Check:
        if "$ref" in schema:
            return self.ref(schema["$ref"].rsplit("/", 1)[-1])
        types = schema.get("type")
        tlist: list[str] = [types] if isinstance(types, str) else list(types or [])
        fmt = schema.get("format")
        lo, hi = _RANGES.get(fmt, (None, None)) if isinstance(fmt, str) else (None, None)
        enum = schema.get("enum")
        props = {k: self.compile(v) for k, v in schema.get("properties", {}).items()}
        addl = schema.get("additionalProperties", True)
        extra: Check | None = self.compile(addl) if isinstance(addl, dict) else None
        strict = addl is False
        items = self.compile(schema["items"]) if "items" in schema else None
        expected = " or ".join(_WORDS.get(t, t) for t in tlist)

        def check(value: Any, path: PathT, errors: list[FieldError]) -> None:
            if tlist and not any(_is(value, t) for t in tlist):
                if value is None and path and not isinstance(path[-1], int):
                    return  # JSON null on a field = the field is absent
                errors.append(f.wrong_type(path, value, expected))
                return
            if enum is not None and value not in enum:
                errors.append(f.not_supported(path, value, enum))
                return
            if lo is not None and isinstance(value, int) and not lo <= value <= hi:  # type: ignore[operator]
                errors.append(f.invalid(path, value, f"must fit in a {fmt} number"))
                return
            if isinstance(value, dict):
                for k, v in value.items():
                    sub = props.get(k)
                    if sub is not None:
                        sub(v, (*path, k), errors)
                    elif strict:
                        errors.append(f.unknown_field((*path, k)))
                    elif extra is not None:
                        extra(v, (*path, Key(k)), errors)
            elif items is not None and isinstance(value, list):
                for i, v in enumerate(value):
                    items(v, (*path, i), errors)

        return check


@cache
def schema_text(api_version: str, kind: str) -> dict[str, Any]:
    """The raw schema for a kind (``KeyError`` for kinds minik has none for)."""
    name = SCHEMA_FILES[(api_version, kind)]
    data: dict[str, Any] = json.loads(importlib.resources.files("minik.schemas").joinpath(name).read_text())
    return data


@cache
def validator(api_version: str, kind: str) -> Check:
    """The compiled check for a kind, built once per process."""
    root = schema_text(api_version, kind)
    return _Compiler(root).compile(root)


def check(obj: dict[str, Any]) -> list[FieldError]:
    """Unknown fields and wrong types of one object (its apiVersion/kind must be known)."""
    errors: list[FieldError] = []
    validator(str(obj.get("apiVersion")), str(obj.get("kind")))(obj, (), errors)
    return errors


def is_unknown(err: FieldError) -> bool:
    return err.reason == "Unknown field"
