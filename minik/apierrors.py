"""The API's errors: Kubernetes ``Status`` failure payloads, raised as :mod:`minik.errors` classes.

Owns the wording of every API error (``jobs.batch "x" not found`` …), for
the store, the registry and the HTTP handlers alike, below all of them so
none imports an error from another's layer. Pure.
"""

from __future__ import annotations

from typing import Any

from minik.errors import ApiError, api_error_from_status
from minik.resources import RESOURCES

WITH_DETAILS = frozenset(
    {
        "NotFound",
        "AlreadyExists",
        "Conflict",
        "Forbidden",
        "Invalid",
        "MethodNotAllowed",
        "TooManyRequests",
        "Timeout",
        "ServerTimeout",
        "InternalError",
    }
)
"""Reasons whose Status always has ``details`` upstream (apimachinery's ``New<Reason>`` constructors
and ``NewGenericServerResponse``); BadRequest, Unauthorized, Expired, Gone, UnsupportedMediaType,
RequestEntityTooLarge and ServiceUnavailable have none. Clients read ``details`` without a nil
check (``kubectl debug`` reads ``Details.Name`` of a NotFound)."""

INTERNAL_PREFIX = "Internal error occurred: "


def _default_details(reason: str, message: str) -> dict[str, Any] | None:
    if reason not in WITH_DETAILS:
        return None
    if reason == "InternalError":  # NewInternalError: the error itself is the one cause
        return {"causes": [{"message": message.removeprefix(INTERNAL_PREFIX)}]}
    return {}


def failure(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``Status`` object with ``status: Failure`` (``details`` as upstream has them for ``reason``)."""
    status: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details is None:
        details = _default_details(reason, message)
    if details is not None:
        status["details"] = details
    return status


def complete(status: dict[str, Any]) -> dict[str, Any]:
    """``status`` with the ``details`` its reason always has upstream (a copy when any are added)."""
    if "details" in status or status.get("status") != "Failure":
        return status
    details = _default_details(str(status.get("reason") or ""), str(status.get("message") or ""))
    return status if details is None else {**status, "details": details}


def error(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> ApiError:
    """The :class:`ApiError` subclass for ``reason`` carrying that Status."""
    return api_error_from_status(failure(code, reason, message, details))


def _details(resource: str, name: str) -> dict[str, Any]:
    r = RESOURCES.get(resource)
    details: dict[str, Any] = {"name": name, "kind": resource}
    if r is not None and r.group:
        details["group"] = r.group
    return details


def _qualified(resource: str) -> str:
    r = RESOURCES.get(resource)
    return r.qualified if r is not None else resource


def not_found(resource: str, name: str) -> ApiError:
    return error(404, "NotFound", f'{_qualified(resource)} "{name}" not found', _details(resource, name))


def already_exists(resource: str, name: str) -> ApiError:
    message = f'{_qualified(resource)} "{name}" already exists'
    return error(409, "AlreadyExists", message, _details(resource, name))


def conflict(resource: str, name: str) -> ApiError:
    return error(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(resource)} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        _details(resource, name),
    )


def method_not_supported(resource: str, message: str) -> ApiError:
    """405 as ``NewMethodNotSupported`` has it: details name the group and resource, no name."""
    details = _details(resource, "")
    del details["name"]
    return error(405, "MethodNotAllowed", message, details)


def bad_request(message: str) -> ApiError:
    return error(400, "BadRequest", message)


def forbidden(resource: str, name: str, why: str) -> ApiError:
    message = f'{_qualified(resource)} "{name}" is forbidden: {why}'
    return error(403, "Forbidden", message, _details(resource, name))


CAUSE_REASONS = {
    "Required value": "FieldValueRequired",
    "Invalid value": "FieldValueInvalid",
    "Unsupported value": "FieldValueNotSupported",
    "Duplicate value": "FieldValueDuplicate",
    "Not found": "FieldValueNotFound",
    "Forbidden": "FieldValueForbidden",
    "Too long": "FieldValueTooLong",
    "Too many": "FieldValueTooMany",
    "Unsupported by minik": "FieldValueNotSupported",
}


def invalid(resource: str, name: str, causes: list[tuple[str, str, str]]) -> ApiError:
    """422 Invalid (R2.2): ``causes`` are (field, reason, body) with reason as in ``FieldError``."""
    r = RESOURCES.get(resource)
    kind, group = (r.kind, r.group) if r is not None else (resource, "")
    qualified = f"{kind}.{group}" if group else kind
    texts = [f"{field}: {body}" if field else body for field, _, body in causes]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    details: dict[str, Any] = {"name": name, "group": group, "kind": kind}
    if not group:
        del details["group"]
    details["causes"] = [
        {"reason": CAUSE_REASONS.get(reason, "FieldValueInvalid"), "message": body, "field": field}
        for field, reason, body in causes
    ]
    return error(422, "Invalid", f'{qualified} "{name}" is invalid: {joined}', details)


class Expired(ApiError):
    """410 Gone / Expired: a watch asked for a resourceVersion the log no longer holds."""


def expired(since: int, oldest: int) -> Expired:
    return Expired(failure(410, "Expired", f"too old resource version: {since} ({oldest})"))
