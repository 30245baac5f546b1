"""minik.store: the SQLite store of API objects and its change feed.

Public API: :class:`Store`, :class:`WatchEvent`, :class:`Subscription`,
:class:`Expired`, the resource table (:data:`RESOURCES`, :class:`Resource`)
and the selector parsers. See ``docs/internals.md``.
"""

from minik.apierrors import Expired
from minik.resources import RESOURCES, Resource
from minik.store.db import Store
from minik.store.selectors import compile_filter, parse_fields, parse_labels
from minik.store.watch import Subscription, WatchEvent

__all__ = [
    "RESOURCES",
    "Expired",
    "Resource",
    "Store",
    "Subscription",
    "WatchEvent",
    "compile_filter",
    "parse_fields",
    "parse_labels",
]
