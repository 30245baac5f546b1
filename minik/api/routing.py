"""What a request addresses once its path is parsed: :class:`Route`."""

from __future__ import annotations

from dataclasses import dataclass

from minik.store import Resource


@dataclass(frozen=True)
class Route:
    """A resource, its namespace (``None``: all, or cluster-scoped), a name and a subresource."""

    resource: Resource
    namespace: str | None
    name: str | None = None
    subresource: str | None = None
