"""Field paths and the API server's error constructors.

A path is a tuple of struct field names (``str``), list indexes (``int``) and
map keys (:class:`Key`), so that ``("metadata", "labels", Key("a"))`` renders
as ``metadata.labels[a]`` exactly as apimachinery's ``field.Path`` does. The
constructors here build :class:`minik.errors.FieldError` values with the
apimachinery wording (R2.1); the path tuple rides along in ``extra["path"]``
so the loader can attach ``file:line:col``. This module owns wording only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from minik.errors import FieldError


class Key(str):
    """A map key inside a path (rendered ``[key]``, not ``.key``)."""

    __slots__ = ()


PathT = tuple[str | int, ...]

OMIT = object()
"""A value apimachinery leaves out of the message (body is ``<reason>: <detail>``)."""


def fmt_path(path: PathT) -> str:
    """``("spec", "containers", 0, "image")`` → ``spec.containers[0].image``."""
    out = ""
    for part in path:
        if (isinstance(part, int) and not isinstance(part, bool)) or isinstance(part, Key):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def fmt_value(value: Any) -> str:
    """A value as Go's ``%v``/``%q`` would print it in a field error (R2.1)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def _err(path: PathT, reason: str, detail: str, *, warning: bool = False) -> FieldError:
    return FieldError(
        path=fmt_path(path), reason=reason, detail=detail, warning=warning, extra={"path": tuple(path)}
    )


def required(path: PathT, detail: str = "") -> FieldError:
    return _err(path, "Required value", detail)


def invalid(path: PathT, value: Any, detail: str) -> FieldError:
    if value is OMIT:
        return _err(path, "Invalid value", detail)
    return _err(path, "Invalid value", f"{fmt_value(value)}: {detail}" if detail else fmt_value(value))


def not_supported(path: PathT, value: Any, supported: Iterable[str]) -> FieldError:
    values = ", ".join(json.dumps(s) for s in supported)
    return _err(path, "Unsupported value", f"{fmt_value(value)}: supported values: {values}")


def duplicate(path: PathT, value: Any) -> FieldError:
    return _err(path, "Duplicate value", fmt_value(value))


def not_found(path: PathT, value: Any) -> FieldError:
    return _err(path, "Not found", fmt_value(value))


def forbidden(path: PathT, detail: str) -> FieldError:
    return _err(path, "Forbidden", detail)


def too_many(path: PathT, actual: int, limit: int) -> FieldError:
    return _err(path, "Too many", f"{actual}: must have at most {limit} items")


def unknown_field(path: PathT) -> FieldError:
    """Strict decoding: a field the type does not have (reason starts ``Unknown field``)."""
    return _err(path, "Unknown field", "")


def wrong_type(path: PathT, value: Any, expected: str) -> FieldError:
    return _err(path, "Invalid value", f"{fmt_value(value)}: must be {expected}")


def unsupported_by_minik(path: PathT, what: str) -> FieldError:
    """Layer 2: Kubernetes accepts it, minik does not implement it."""
    return _err(path, "Unsupported by minik", f"minik does not implement {what}")


def ignored_by_minik(path: PathT, why: str) -> FieldError:
    """Layer 2 warning: accepted, but it means nothing on one machine."""
    return _err(path, "Ignored by minik", why, warning=True)


def host_access(path: PathT, what: str) -> FieldError:
    """Layer 2 warning: minik honours it, and the pod reaches into the host."""
    return _err(path, "Host access", what, warning=True)


def path_of(err: FieldError) -> PathT:
    """The tuple path an error was built with (empty when it has none)."""
    p = err.extra.get("path")
    return tuple(p) if isinstance(p, tuple) else ()
