"""What the API needs from the server above it: :class:`ApiHooks`, the kubelet's logs.

The server wires the kubelet's ``logs`` into an object with this shape;
unit tests pass fakes. The API never imports the kubelet or Docker.
(Defaulting and validation are the registry's: :mod:`minik.registry.rules`.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from minik.k8s import Obj
from minik.logoptions import LogOptions


class ApiHooks(Protocol):
    def logs(self, pod: Obj, opts: LogOptions) -> AsyncIterator[bytes]:
        """The container's log bytes (the kubelet reads Docker); may raise ``MinikError``."""
        ...
