"""The one shape of an Event a controller asks its executor to record: :class:`ControllerEvent`."""

from __future__ import annotations

from typing import NamedTuple


class ControllerEvent(NamedTuple):
    """An Event to record on the object a controller synced (its source component is the controller's)."""

    type: str
    """``Normal`` or ``Warning``."""
    reason: str
    message: str
