"""Errors of the pod runtime, and how they read in events."""

from __future__ import annotations

import re

from minik.errors import MinikError


class ConfigError(MinikError):
    """A configMap/secret the pod needs is missing (CreateContainerConfigError)."""


class ImagePullError(ConfigError):
    """The image is not there and cannot be pulled (ErrImagePull, ImagePullBackOff)."""

    def __init__(self, message: str, *, never: bool = False) -> None:
        super().__init__(message)
        self.never = never


class PodDeleted(Exception):
    """The pod was deleted while it waited to be set up."""


def sentence(exc: BaseException) -> str:
    """One readable sentence for an error, unwrapping task-group exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return " ".join(str(exc).split())[:1000] or type(exc).__name__


def sanitize(s: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", s)
