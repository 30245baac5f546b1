"""What a request for a container's logs asks: :class:`LogOptions` (core/v1 ``PodLogOptions``).

One value from the API's ``pods/NAME/log`` handler through the server's hooks
to the kubelet, which reads the container's logs from Docker.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LogOptions:
    container: str
    previous: bool = False
    """The previous run's logs (the one before the latest)."""
    follow: bool = False
    tail: int | None = None
    """The last lines only (``tailLines``)."""
    timestamps: bool = False
    since_seconds: int | None = None
