"""The options of a write request: ``dryRun``, ``fieldManager``, ``force`` — checked as the API server does.

Owns the rules of apimachinery's ``Validate{Create,Update,Patch,Delete}Options``
(a bad value is a 422 naming ``CreateOptions.meta.k8s.io`` … and the field)
and how the manager of a write is named when the client gives none (the
User-Agent up to its first ``/``, as the API server's handlers do). It does
not own what a dry run skips (the handlers) nor how fields are tracked
(:mod:`minik.api.managed`). Pure apart from reading the request.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from starlette.requests import Request

from minik.apierrors import CAUSE_REASONS, error
from minik.errors import ApiError

Verb = Literal["create", "update", "patch", "delete"]
APPLY = "application/apply-patch+yaml"
MAX_MANAGER = 128
_KINDS = {
    "create": "CreateOptions",
    "update": "UpdateOptions",
    "patch": "PatchOptions",
    "delete": "DeleteOptions",
}


@dataclass(frozen=True)
class WriteOptions:
    dry_run: bool
    manager: str
    """The field manager: ``fieldManager`` or, when absent, derived from the User-Agent."""
    force: bool = False


def _go_strings(values: list[str]) -> str:
    """A ``[]string`` as Go's ``%#v`` prints it in a field error."""
    return "[]string{" + ", ".join(f'"{v}"' for v in values) + "}"


def _printable(text: str) -> bool:
    return all(unicodedata.category(ch)[0] not in ("C", "Z") or ch == " " for ch in text)


def options_error(verb: Verb, causes: list[tuple[str, str, str]]) -> ApiError:
    """422 ``<Kind>Options.meta.k8s.io "" is invalid: …`` with one cause per (field, reason, body)."""
    kind = _KINDS[verb]
    texts = [f"{field}: {body}" for field, _, body in causes]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    details: dict[str, Any] = {
        "group": "meta.k8s.io",
        "kind": kind,
        "causes": [
            {"reason": CAUSE_REASONS.get(reason, "FieldValueInvalid"), "message": body, "field": field}
            for field, reason, body in causes
        ],
    }
    return error(422, "Invalid", f'{kind}.meta.k8s.io "" is invalid: {joined}', details)


def manager_from_user_agent(user_agent: str) -> str:
    """``kubectl/v1.33.1 (linux/amd64) …`` → ``kubectl``, as the API server names an unnamed manager."""
    return user_agent.split("/", maxsplit=1)[0][:MAX_MANAGER]


def write_options(
    request: Request, verb: Verb, *, patch_type: str = "", body: dict[str, Any] | None = None
) -> WriteOptions:
    """The request's write options, or the API server's 422 for a bad one."""
    q = request.query_params
    dry = list(q.getlist("dryRun"))
    if body and isinstance(body.get("dryRun"), list):  # DeleteOptions in the body
        dry += [str(v) for v in body["dryRun"]]
    causes: list[tuple[str, str, str]] = []
    manager = q.get("fieldManager", "")
    force_raw = q.get("force")
    if verb == "patch":
        if patch_type != APPLY and force_raw is not None:
            causes.append(("force", "Forbidden", "Forbidden: may not be specified for non-apply patch"))
        if patch_type == APPLY and not manager:
            causes.append(("fieldManager", "Required value", "Required value: is required for apply patch"))
    if len(manager) > MAX_MANAGER:
        causes.append(("fieldManager", "Too long", f"Too long: must have at most {MAX_MANAGER} bytes"))
    for i, ch in enumerate(manager):
        if not _printable(ch):
            text = f"Invalid value: {manager!r}: invalid character U+{ord(ch):04X} (at position {i})"
            causes.append(("fieldManager", "Invalid value", text))
            break
    if any(v != "All" for v in dry):
        causes.append(
            ("dryRun", "Unsupported value", f'Unsupported value: {_go_strings(dry)}: supported values: "All"')
        )
    if causes:
        raise options_error(verb, causes)
    if not manager:
        manager = manager_from_user_agent(request.headers.get("user-agent", ""))
    force = (force_raw or "").lower() in ("true", "1")
    return WriteOptions(dry_run=bool(dry), manager=manager, force=force)
