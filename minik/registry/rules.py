"""Defaulting and validation of a client's write, as the API server's decoder and
``rest.BeforeCreate`` / ``BeforeUpdate`` run them.

:class:`ObjectRules` is what the registry asks of an object's rules;
:data:`MANIFEST_RULES` answers with :mod:`minik.manifest` (the project's
defaulting and validation of every kind it has rules for); unit tests pass
fakes. :func:`check_write` owns what a request's ``fieldValidation`` does
with an unknown field (``Strict``: 400, ``Warn``: dropped with a warning,
``Ignore``: dropped) and turns every other error into a 422 ``Invalid``.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from minik import apierrors, manifest
from minik.errors import FieldError
from minik.k8s import Obj, meta
from minik.registry.strategy import Strategy
from minik.resources import Resource

FIELD_VALIDATION = ("Strict", "Warn", "Ignore")


class ObjectRules(Protocol):
    def default(self, obj: Obj, uid: str | None) -> Obj:
        """API-server defaulting; ``uid`` is the new object's uid at create time, else ``None``."""
        ...

    def validate(self, obj: Obj, old: Obj | None) -> tuple[list[FieldError], list[FieldError]]:
        """(errors, warnings) for a defaulted object; ``old`` is the stored one on update.

        An error whose ``reason`` starts with ``Unknown field`` (case-insensitive)
        is a strict-decoding problem (see :func:`check_write`); every other error
        makes the write a 422 Invalid.
        """
        ...


class _ManifestRules:
    def default(self, obj: Obj, uid: str | None) -> Obj:
        return manifest.default_object(obj, uid=uid)

    def validate(self, obj: Obj, old: Obj | None) -> tuple[list[FieldError], list[FieldError]]:
        return manifest.validate_object(obj, old=old)


MANIFEST_RULES: ObjectRules = _ManifestRules()


def cannot_handle(r: Resource) -> str:
    """The decoder's prefix for an object it cannot take as ``r``'s kind."""
    return f'{r.kind} in version "{r.version}" cannot be handled as a {r.kind}'


def check_field_validation(mode: str) -> None:
    """400 for a ``fieldValidation`` the API server does not know."""
    if mode not in FIELD_VALIDATION:
        supported = '"Ignore", "Strict", "Warn"'
        raise apierrors.bad_request(
            f'fieldValidation: Unsupported value: "{mode}": supported values: {supported}'
        )


def _unknown(e: FieldError) -> bool:
    return e.reason.lower().startswith("unknown field")


def _drop_path(obj: Any, path: str) -> None:
    """Remove ``a.b[0].c`` from ``obj`` (what the API server's decoder drops)."""
    parts = [p for p in re.split(r"\.|\[(\d+)\]", path) if p]
    cur = obj
    for part in parts[:-1]:
        if isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return
    if parts and isinstance(cur, dict):
        cur.pop(parts[-1], None)


def check_write(
    strategy: Strategy, rules: ObjectRules, obj: Obj, old: Obj | None, field_validation: str
) -> list[FieldError]:
    """Validate a defaulted object; raise for errors; return the warnings (R2.2/R2.3).

    A resource :mod:`minik.manifest` has no rules for is checked by its strategy alone.
    """
    r = strategy.resource
    if not strategy.manifest_rules:
        own = strategy.validate(obj)
        if own:
            raise apierrors.invalid(
                r.plural, meta(obj).get("name", ""), [(e.path, e.reason, e.body()) for e in own]
            )
        return []
    errors, warnings = rules.validate(obj, old)
    unknown = [e for e in errors if _unknown(e)]
    errors = [e for e in errors if not _unknown(e)]
    check_field_validation(field_validation)
    if unknown and field_validation == "Strict":
        fields = ", ".join(f'unknown field "{e.path}"' for e in unknown)
        raise apierrors.bad_request(f"{cannot_handle(r)}: strict decoding error: {fields}")
    if errors:
        raise apierrors.invalid(
            r.plural, meta(obj).get("name", ""), [(e.path, e.reason, e.body()) for e in errors]
        )
    for e in unknown:
        _drop_path(obj, e.path)
        if field_validation == "Warn":
            warnings.append(FieldError(path="", reason=f'unknown field "{e.path}"'))
    return warnings
