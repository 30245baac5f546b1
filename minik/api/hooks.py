"""What the API needs from the layers above the store: :class:`ApiHooks`.

The server wires :func:`minik.manifest.default_object`,
:func:`minik.manifest.validate_object` and the kubelet's ``logs`` into one
object with this shape; unit tests pass fakes. The API never imports the
kubelet or Docker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from minik.errors import FieldError
from minik.k8s import Obj


class ApiHooks(Protocol):
    def validate(self, obj: Obj, old: Obj | None) -> tuple[list[FieldError], list[FieldError]]:
        """(errors, warnings) for a defaulted object; ``old`` is the stored one on update.

        An error whose ``reason`` starts with ``Unknown field`` (case-insensitive)
        is a strict-decoding problem: with ``fieldValidation=Strict`` it is a
        400 BadRequest (R2.3), with ``Warn`` (the default) a warning and the
        field is dropped, with ``Ignore`` it is dropped silently. Every other
        error makes the request a 422 Invalid (R2.2).
        """
        ...

    def default(self, obj: Obj, uid: str | None) -> Obj:
        """API-server defaulting; ``uid`` is the new object's uid at create time, else ``None``."""
        ...

    def logs(
        self,
        pod: Obj,
        container: str,
        *,
        previous: bool,
        follow: bool,
        tail: int | None,
        timestamps: bool,
        since_seconds: int | None,
    ) -> AsyncIterator[bytes]:
        """The container's log bytes (the kubelet reads Docker); may raise ``MinikError``."""
        ...
