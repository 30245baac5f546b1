"""Moved to :mod:`minik.resources` (the one table the CLI and the server share); kept one step for old imports."""

from minik.resources import (
    ALL_VERBS,
    DEFAULT_SERVICE_ACCOUNT,
    GENERATION_RESOURCES,
    INITIAL_NAMESPACES,
    RBAC,
    RESOURCES,
    STORAGE,
    SYSTEM_NAMESPACES,
    Resource,
    resource,
)

__all__ = [
    "ALL_VERBS",
    "DEFAULT_SERVICE_ACCOUNT",
    "GENERATION_RESOURCES",
    "INITIAL_NAMESPACES",
    "RBAC",
    "RESOURCES",
    "STORAGE",
    "SYSTEM_NAMESPACES",
    "Resource",
    "resource",
]
