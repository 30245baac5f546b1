"""minik's one error tree.

Every failure a user can see is a :class:`MinikError`. Library exceptions
(docker-py, sqlite3, yaml, http) are translated into these at the boundary
that calls the library, with the original chained as ``__cause__``. The CLI
turns a ``MinikError`` into one message on stderr and ``exit_code``; it never
shows a traceback.

This module owns the classes and their exit codes only; it imports nothing
from the rest of minik.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class MinikError(Exception):
    """Base of every error minik reports to a user."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(MinikError):
    """The command line itself is wrong (unknown flag, bad resource name)."""

    exit_code = 2


@dataclass(frozen=True)
class FieldError:
    """One validation problem, as the API server words it.

    ``path`` is the API server's field path (``spec.template.spec.containers[0].image``),
    ``reason`` one of ``Required value``, ``Invalid value``, ``Unsupported value``,
    ``Duplicate value``, ``Not found``, ``Forbidden``, ``Too many``, ``Too long``,
    ``Unsupported by minik``; ``detail`` the rest of the sentence. ``location``
    is ``file:line:col`` when the problem came from a file.
    """

    path: str
    reason: str
    detail: str = ""
    location: str = ""
    kind: str = ""
    name: str = ""
    warning: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def body(self) -> str:
        """``<reason>[: <detail>]`` as in apimachinery's field.Error."""
        return f"{self.reason}: {self.detail}" if self.detail else self.reason

    def render(self) -> str:
        """One line: ``file:line:col: Kind "name": path: reason: detail``."""
        parts = []
        if self.location:
            parts.append(self.location)
        if self.kind:
            parts.append(f'{self.kind} "{self.name}"' if self.name else self.kind)
        parts.append(f"{self.path}: {self.body()}" if self.path else self.body())
        return ": ".join(parts)


class ManifestError(MinikError):
    """One or more documents are not valid; nothing was applied."""

    exit_code = 1

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = list(errors)
        lines = [e.render() for e in self.errors]
        super().__init__("\n".join(lines) if lines else "invalid manifest")


class ApiError(MinikError):
    """The API answered with a ``Status`` failure; ``status`` is that payload."""

    def __init__(self, status: dict[str, Any]) -> None:
        self.status = status
        self.code = int(status.get("code", 500))
        self.reason = str(status.get("reason", ""))
        super().__init__(str(status.get("message") or self.reason or "API error"))


class NotFound(ApiError):
    """404 NotFound."""


class AlreadyExists(ApiError):
    """409 AlreadyExists."""


class Conflict(ApiError):
    """409 Conflict (stale resourceVersion)."""


class Invalid(ApiError):
    """422 Invalid, with ``status.details.causes``."""


class Unauthorized(ApiError):
    """401 Unauthorized."""


def api_error_from_status(status: dict[str, Any]) -> ApiError:
    """Pick the :class:`ApiError` subclass for a ``Status`` payload."""
    by_reason: dict[str, type[ApiError]] = {
        "NotFound": NotFound,
        "AlreadyExists": AlreadyExists,
        "Conflict": Conflict,
        "Invalid": Invalid,
        "Unauthorized": Unauthorized,
    }
    return by_reason.get(str(status.get("reason", "")), ApiError)(status)


class ServerUnavailable(MinikError):
    """The control plane could not be reached or started."""

    exit_code = 3


class DockerUnavailable(MinikError):
    """The Docker engine could not be reached."""

    exit_code = 3


class RuntimeFailure(MinikError):
    """A Docker call failed for a reason other than reachability."""


class StoreError(MinikError):
    """The SQLite store could not be read or written (locked, full, corrupt)."""

    exit_code = 4


class WaitTimeout(MinikError):
    """``minik wait`` ran out of time."""

    exit_code = 1


class WaitImpossible(MinikError):
    """``minik wait`` can never succeed (waiting for Complete on a Failed Job)."""

    exit_code = 2
