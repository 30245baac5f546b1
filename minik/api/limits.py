"""How big an object a request may make the server build, store or copy.

The API server's own bounds, measured the same way here: a stored object is
at most 1.5 MiB of JSON (etcd's request limit, which the API server
inherits), a JSON patch has at most 10,000 operations, and its ``copy``
operations together copy at most the 3 MiB a request body may hold (the
``AccumulatedCopySizeLimit`` apiserver gives evanphx/json-patch). Sizes are
counted while walking, so a value far over a limit is refused after looking
at no more than the limit's worth of it. Nothing here parses or stores.
"""

from __future__ import annotations

from typing import Any

from minik.apierrors import bad_request, error
from minik.errors import ApiError

MAX_OBJECT_BYTES = 1_572_864
"""Largest object (as JSON) the store accepts: etcd's 1.5 MiB request limit."""
MAX_JSON_PATCH_OPS = 10_000
"""``maxJSONPatchOperations`` in apiserver's patch handler."""
MAX_COPY_BYTES = 3 * 1024 * 1024
"""What all ``copy`` operations of one JSON patch may copy together (the request body limit)."""
MAX_DEPTH = 100
"""Deepest nesting an object may have, before and after a patch (real objects stay under 30)."""


class TooLarge(Exception):
    """A value is over a size or depth limit; ``size`` is how far counting got."""

    def __init__(self, size: int, *, depth: bool = False) -> None:
        super().__init__(f"over the limit after {size} bytes")
        self.size, self.depth = size, depth


def _scalar_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return value.bit_length() * 3 // 10 + 2  # digits, without building the string
    return 24  # a float's repr is at most ~24 characters


def json_size(value: Any, *, limit: int, max_depth: int = MAX_DEPTH) -> int:
    """The approximate size of ``value`` as compact JSON; :class:`TooLarge` past ``limit`` or ``max_depth``.

    Iterative, and it stops as soon as the count passes ``limit``, so a
    huge value costs no more than ``limit`` to refuse.
    """
    size = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise TooLarge(size, depth=True)
        if isinstance(node, dict):
            size += 2 + len(node)
            for key, child in node.items():
                size += len(key) + 3
                stack.append((child, depth + 1))
        elif isinstance(node, list):
            size += 2 + len(node)
            stack.extend((child, depth + 1) for child in node)
        else:
            size += _scalar_size(node)
        if size > limit:
            raise TooLarge(size)
    return size


def check_object(obj: Any, what: str) -> None:
    """413 when ``obj`` is over :data:`MAX_OBJECT_BYTES`, 400 when nested deeper than :data:`MAX_DEPTH`."""
    try:
        json_size(obj, limit=MAX_OBJECT_BYTES)
    except TooLarge as exc:
        raise too_large(what, exc) from None


def too_large(what: str, exc: TooLarge) -> ApiError:
    if exc.depth:
        return bad_request(f"{what}: the object would be nested deeper than {MAX_DEPTH} levels")
    return error(
        413,
        "RequestEntityTooLarge",
        f"Request entity too large: {what}: the object would be larger than the limit of "
        f"{MAX_OBJECT_BYTES} bytes",
    )
