"""``eventually``: the one way tests wait for something to hold.

It polls a probe until the probe returns something truthy and returns that
value; after the timeout it fails with what it was waiting for, the last
value seen and, when given, more context (a server log's tail, a status).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """A condition polled for did not hold before its deadline."""


def eventually(
    what: str,
    probe: Callable[[], T],
    timeout: float = 60,
    *,
    every: float = 0.1,
    context: Callable[[], Any] | None = None,
) -> T:
    """Call ``probe`` until it returns something truthy; that value is returned.

    Raises :class:`WaitTimeout` naming ``what``, the timeout and the last
    value seen, followed by ``context()`` when given.
    """
    deadline = time.monotonic() + timeout
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            message = f"timed out after {timeout:g}s waiting for {what}; last seen: {last!r}"
            if context is not None:
                message += f"\n{context()}"
            raise WaitTimeout(message)
        time.sleep(every)
