"""Indexed queries on the JSON of stored objects: the store's primitive for rules that find
rows by what is inside them (the Event recorder's repeats and expiry, :mod:`minik.registry.events`).

The caller says which fields (:class:`Field`, :class:`FirstOf`), which indexes
(:class:`JsonIndex`, created by :meth:`Store.ensure_index`) and which conditions
(:class:`Is`, :class:`StartsWith`, :class:`Before`); this module turns them into SQL. An
index is partial (``WHERE resource = '…'``) and the query names it (``INDEXED BY``), so a
query that could not use it fails loudly instead of scanning every row. The resource is
written into the SQL as a literal (SQLite uses a partial index only when the query's own
``WHERE`` names the same value) and so must be one of :data:`minik.resources.RESOURCES`;
paths are checked against a plain ``$.a.b`` grammar. Values are always bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from minik.resources import RESOURCES

_PATH = re.compile(r"\$(\.[A-Za-z][A-Za-z0-9]*)+")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_RESOURCES = set(RESOURCES)


@dataclass(frozen=True)
class Column:
    """One of the row's own columns (``namespace``, ``name``)."""

    name: str

    def sql(self) -> str:
        if self.name not in ("namespace", "name"):
            raise ValueError(f"not a queryable column: {self.name!r}")
        return self.name


@dataclass(frozen=True)
class Field:
    """A value inside the object, by JSON path (``$.involvedObject.uid``)."""

    path: str

    def sql(self) -> str:
        if not _PATH.fullmatch(self.path):
            raise ValueError(f"not a plain JSON path: {self.path!r}")
        return f"json_extract(json, '{self.path}')"


@dataclass(frozen=True)
class FirstOf:
    """The first of ``fields`` that is set (SQL ``COALESCE``)."""

    fields: tuple[Field, ...]

    def sql(self) -> str:
        return f"COALESCE({', '.join(f.sql() for f in self.fields)})"


Expr = Column | Field | FirstOf


@dataclass(frozen=True)
class Is:
    """``expr`` equals ``value``; ``None`` matches an unset value."""

    expr: Expr
    value: Any

    def sql(self) -> tuple[str, tuple[Any, ...]]:
        return f"{self.expr.sql()} IS ?", (self.value,)


@dataclass(frozen=True)
class StartsWith:
    """``expr`` is a string that begins with ``prefix``."""

    expr: Expr
    prefix: str

    def sql(self) -> tuple[str, tuple[Any, ...]]:
        return f"substr({self.expr.sql()}, 1, ?) = ?", (len(self.prefix), self.prefix)


@dataclass(frozen=True)
class Before:
    """``expr`` sorts before ``value`` (RFC 3339 timestamps sort as strings)."""

    expr: Expr
    value: str

    def sql(self) -> tuple[str, tuple[Any, ...]]:
        return f"{self.expr.sql()} < ?", (self.value,)


Condition = Is | StartsWith | Before


@dataclass(frozen=True)
class JsonIndex:
    """A partial index over ``resource``'s rows, on ``on`` in order."""

    name: str
    resource: str
    on: tuple[Expr, ...]

    def ddl(self) -> str:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"not an index name: {self.name!r}")
        return (
            f"CREATE INDEX IF NOT EXISTS {self.name} ON objects ("
            f"{', '.join(e.sql() for e in self.on)}) WHERE {_resource(self.resource)}"
        )


@dataclass(frozen=True)
class Select:
    """``SELECT json`` of ``resource``'s rows matching every condition, through ``index``."""

    resource: str
    where: Sequence[Condition]
    index: JsonIndex
    newest_first: bool = False
    """Order by resourceVersion, newest first (else the index's order)."""
    limit: int | None = None

    def sql(self) -> tuple[str, tuple[Any, ...]]:
        if self.index.resource != self.resource:
            raise ValueError(f"index {self.index.name} is not over {self.resource}")
        clauses: list[str] = [_resource(self.resource)]
        params: list[Any] = []
        for cond in self.where:
            text, values = cond.sql()
            clauses.append(text)
            params.extend(values)
        sql = f"SELECT json FROM objects INDEXED BY {self.index.name} WHERE {' AND '.join(clauses)}"
        if self.newest_first:
            sql += " ORDER BY rv DESC"
        if self.limit is not None:
            sql += " LIMIT ?"
            params.append(int(self.limit))
        return sql, tuple(params)


def _resource(resource: str) -> str:
    if resource not in _RESOURCES:
        raise ValueError(f"not a resource: {resource!r}")
    return f"resource = '{resource}'"
