"""The SQLite store: rows of objects, the resourceVersion counter, the change log, transactions.

Owns persistence only: a row per (resource, namespace, name), a new
resourceVersion on every write, the change log a watch replays from, and
the committed changes published to subscribers (:mod:`minik.store.watch`).
What an object must look like before it is written (server-owned fields,
generation, finalizers, graceful deletion, namespace termination, events)
is the registry's (:mod:`minik.registry`), which is the only writer.

One writer, the control plane's event loop thread: every method is
synchronous and atomic; ``with store.transaction():`` groups calls into one
commit (nested calls join it through SAVEPOINTs); watch events are published
only after the outermost commit. Every sqlite3 failure becomes one
:class:`~minik.errors.StoreError` sentence.
"""

from __future__ import annotations

import builtins
import json
import math
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from minik import apierrors as st
from minik.errors import StoreError
from minik.k8s import Obj, clone, meta
from minik.resources import RESOURCES, Resource
from minik.store.damage import damage, describe
from minik.store.query import JsonIndex, Select
from minik.store.selectors import compile_filter
from minik.store.watch import Hub, Subscription, WatchEvent

SCHEMA_VERSION = 1
_CACHE_MAX = 50_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
    uid TEXT NOT NULL, rv INTEGER NOT NULL, json TEXT NOT NULL,
    PRIMARY KEY (resource, namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (
    rv INTEGER PRIMARY KEY, resource TEXT NOT NULL, type TEXT NOT NULL, json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters VALUES ('rv', 0), ('compacted', 0);
"""


def _dumps(obj: Obj) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=False)


class Store:
    """Objects by (resource, namespace, name); see the module docstring."""

    def __init__(
        self,
        path: Path,
        *,
        log_size: int = 10_000,
        busy_timeout: float = 1.0,
    ) -> None:
        self.path = Path(path)
        # After a write found the file locked by another process, writes fail at once
        # until this monotonic time: waiting out the lock on every write would block the
        # event loop (and so every API call, reads included) for busy_timeout each time.
        self._busy_backoff = busy_timeout
        self._busy_until = 0.0
        self._log_size = log_size
        self._hub = Hub()
        self._depth = 0
        self._pending: list[WatchEvent] = []
        # Parsed objects for list(shared=True), keyed by identity, valid for one rv.
        self._cache: dict[tuple[str, str, str], tuple[int, Obj]] = {}
        with self._guard():
            self._conn = sqlite3.connect(
                str(self.path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            try:
                self._open(busy_timeout)
            except BaseException:
                self._conn.close()
                raise

    def _open(self, busy_timeout: float) -> None:
        c = self._conn
        c.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        version = c.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"the store {self.path} was written by a newer minik (schema {version})")
        if version:  # a store minik wrote before: it must be whole before anything is created in it
            broken = damage(c)
            if broken:
                raise StoreError(
                    f"the store {self.path} is damaged: {broken}; minik will not start on it "
                    f"(stop it, move the store away to start afresh: mv {self.path} {self.path}.damaged, "
                    "or repair that row or table with sqlite3 and start again)"
                )
        c.execute("PRAGMA journal_mode = WAL")
        c.execute("PRAGMA synchronous = NORMAL")
        c.executescript(_SCHEMA)
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._rv = self._counter("rv")
        self._committed_rv = self._rv
        self._compacted = self._counter("compacted")

    def _counter(self, key: str) -> int:
        return int(self._conn.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()[0])

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(describe(self.path, exc)) from exc

    def close(self) -> None:
        """Close every subscription and the database."""
        self._hub.close_all()
        with self._guard():
            self._conn.close()

    @property
    def resource_version(self) -> int:
        """The last committed resourceVersion."""
        return self._committed_rv

    def side_table(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """One statement on a table of the store's own (no objects, no change feed), in a
        transaction of its own, or joining the one open: :mod:`minik.store.podips`."""
        with self.transaction(), self._guard():
            return self._conn.execute(sql, params).fetchall()

    # -- transactions --------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one commit; nested calls join (as a SAVEPOINT)."""
        depth = self._depth
        mark_rv, mark_events = self._rv, len(self._pending)
        with self._guard():
            self._begin(depth)
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth = depth
            self._rv = mark_rv
            self._cache.clear()  # resourceVersions are reused after a rollback
            del self._pending[mark_events:]
            self._rollback(depth)
            raise
        self._depth = depth
        if depth > 0:
            with self._guard():
                self._conn.execute(f"RELEASE sp{depth}")
            return
        try:
            with self._guard():
                self._compact()
                self._conn.execute("COMMIT")
        except BaseException:
            self._rv = mark_rv
            self._cache.clear()
            self._pending.clear()
            self._rollback(0)
            raise
        self._committed_rv = self._rv
        events, self._pending = self._pending, []
        self._hub.publish(events)

    def _begin(self, depth: int) -> None:
        """Start a transaction (or a savepoint), failing fast while another process holds the lock."""
        if depth > 0:
            self._conn.execute(f"SAVEPOINT sp{depth}")
            return
        if time.monotonic() < self._busy_until:
            raise sqlite3.OperationalError("database is locked (still; not retried yet)")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                self._busy_until = time.monotonic() + self._busy_backoff
            raise

    def _rollback(self, depth: int) -> None:
        """Undo the writes since the mark of ``depth``, keeping the error that caused it.

        SQLite rolls the whole transaction back by itself on some errors (a
        full disk, an I/O error); then there is nothing left to undo, and a
        ROLLBACK would fail and hide the real cause. A rollback that fails
        anyway is left to SQLite's own recovery, for the same reason.
        """
        if not self._conn.in_transaction:
            return
        try:
            if depth == 0:
                self._conn.execute("ROLLBACK")
            else:
                self._conn.execute(f"ROLLBACK TO sp{depth}")
                self._conn.execute(f"RELEASE sp{depth}")
        except sqlite3.Error:
            pass

    def _compact(self) -> None:
        """Trim the change log to the last ``log_size`` changes (in batches)."""
        floor = self._rv - self._log_size
        if floor - self._compacted < max(1, self._log_size // 100):
            return
        self._conn.execute("DELETE FROM changes WHERE rv <= ?", (floor,))
        self._conn.execute("UPDATE counters SET value = ? WHERE key = 'compacted'", (floor,))
        self._compacted = floor

    # -- low level -----------------------------------------------------------------
    def _resource(self, resource: str) -> Resource:
        try:
            return RESOURCES[resource]
        except KeyError:
            message = f'the server doesn\'t have a resource type "{resource}"'
            raise st.error(404, "NotFound", message) from None

    def _ns(self, r: Resource, namespace: str | None) -> str:
        return (namespace or "default") if r.namespaced else ""

    def _row(self, resource: str, namespace: str, name: str) -> Obj | None:
        with self._guard():
            row = self._conn.execute(
                "SELECT json FROM objects WHERE resource = ? AND namespace = ? AND name = ?",
                (resource, namespace, name),
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def _bump(self) -> int:
        self._rv += 1
        self._conn.execute("UPDATE counters SET value = ? WHERE key = 'rv'", (self._rv,))
        return self._rv

    def _write(self, resource: str, obj: Obj, kind: str, old: Obj | None = None) -> Obj:
        """Store ``obj`` with a new resourceVersion and log the change (inside a transaction)."""
        with self._guard():
            rv = self._bump()
            m = meta(obj)
            m["resourceVersion"] = str(rv)
            text = _dumps(obj)
            self._conn.execute(
                "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?)",
                (resource, m.get("namespace", ""), m["name"], m.get("uid", ""), rv, text),
            )
            self._conn.execute("INSERT INTO changes VALUES (?, ?, ?, ?)", (rv, resource, kind, text))
        self._pending.append(WatchEvent(kind, resource, json.loads(text), rv, old))
        return obj

    def _remove(self, resource: str, obj: Obj) -> Obj:
        with self._guard():
            rv = self._bump()
            m = meta(obj)
            m["resourceVersion"] = str(rv)
            text = _dumps(obj)
            self._conn.execute(
                "DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?",
                (resource, m.get("namespace", ""), m["name"]),
            )
            self._cache.pop((resource, m.get("namespace", ""), m["name"]), None)
            self._conn.execute("INSERT INTO changes VALUES (?, ?, 'DELETED', ?)", (rv, resource, text))
        self._pending.append(WatchEvent("DELETED", resource, json.loads(text), rv))
        return obj

    # -- reads ---------------------------------------------------------------------
    def get(self, resource: str, namespace: str | None, name: str) -> Obj:
        """The stored object; :class:`~minik.errors.NotFound` when absent."""
        r = self._resource(resource)
        obj = self._row(resource, self._ns(r, namespace), name)
        if obj is None:
            raise st.not_found(resource, name)
        return obj

    def list(
        self,
        resource: str,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        shared: bool = False,
    ) -> tuple[list[Obj], str]:
        """Objects sorted by (namespace, name), filtered; and the list's resourceVersion.

        ``shared=True`` returns the store's cached parsed objects instead of
        fresh copies: much cheaper for a controller that re-lists thousands
        of pods on every sync, and only for callers that never mutate them.
        """
        r = self._resource(resource)
        match = compile_filter(resource, label_selector, field_selector)
        where = "WHERE resource = ?"
        args: tuple[str, ...] = (resource,)
        if namespace is not None and r.namespaced:
            where += " AND namespace = ?"
            args += (namespace,)
        with self._guard():
            if shared:
                keys = self._conn.execute(
                    f"SELECT namespace, name, rv FROM objects {where} ORDER BY namespace, name", args
                ).fetchall()
                parsed: Iterator[Obj] = (self._parsed(resource, ns, name, rv) for ns, name, rv in keys)
                items = [o for o in parsed if match(o)]
            else:
                rows = self._conn.execute(
                    f"SELECT json FROM objects {where} ORDER BY namespace, name", args
                ).fetchall()
                items = [o for o in (json.loads(row[0]) for row in rows) if match(o)]
        return items, str(self._committed_rv if self._depth == 0 else self._rv)

    def _parsed(self, resource: str, namespace: str, name: str, rv: int) -> Obj:
        """The cached parse of a row at ``rv``, reading its JSON only on a miss."""
        key = (resource, namespace, name)
        hit = self._cache.get(key)
        if hit is not None and hit[0] == rv:
            return hit[1]
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        row = self._conn.execute(
            "SELECT json FROM objects WHERE resource = ? AND namespace = ? AND name = ?", key
        ).fetchone()
        obj: Obj = json.loads(row[0])
        self._cache[key] = (rv, obj)
        return obj

    # -- writes (rows only: the registry, minik.registry, decides what to write) ----------
    def find(self, resource: str, namespace: str, name: str) -> Obj | None:
        """The stored object or ``None`` (``namespace`` is ``""`` for a cluster-scoped resource)."""
        return self._row(resource, namespace, name)

    def insert(self, resource: str, obj: Obj) -> Obj:
        """Write a new row (``AlreadyExists`` when the key is taken); a copy of what was stored."""
        m = meta(obj)
        if self._row(resource, m.get("namespace", ""), m["name"]) is not None:
            raise st.already_exists(resource, m["name"])
        with self.transaction():
            return self._write(resource, clone(obj), "ADDED")  # that copy is the caller's alone

    def replace(self, resource: str, obj: Obj, old: Obj) -> Obj:
        """Overwrite the row of ``old`` with ``obj`` (a MODIFIED change); a copy of what was stored."""
        with self.transaction():
            return self._write(resource, clone(obj), "MODIFIED", old)

    def remove(self, resource: str, obj: Obj) -> Obj:
        """Delete the row of ``obj`` (a DELETED change carrying ``obj``); a copy of it."""
        with self.transaction():
            return self._remove(resource, clone(obj))

    def once(self, key: str) -> bool:
        """True the first time ``key`` is asked for in this store's life (kept in the counters table)."""
        with self._guard():
            self._conn.execute("INSERT OR IGNORE INTO counters VALUES (?, 0)", (key,))
            if self._counter(key):
                return False
            self._conn.execute("UPDATE counters SET value = 1 WHERE key = ?", (key,))
        return True

    def namespace_has_objects(self, ns: str) -> bool:
        """Whether any row lives in namespace ``ns``."""
        with self._guard():
            row = self._conn.execute("SELECT 1 FROM objects WHERE namespace = ? LIMIT 1", (ns,)).fetchone()
        return row is not None

    def keys_in_namespace(self, ns: str) -> builtins.list[tuple[str, str]]:
        """(resource, name) of every row in namespace ``ns``, sorted."""
        with self._guard():
            rows = self._conn.execute(
                "SELECT resource, name FROM objects WHERE namespace = ? ORDER BY resource, name", (ns,)
            ).fetchall()
        return [(str(r), str(n)) for r, n in rows]

    # -- indexed queries on the objects' JSON (minik.store.query) -------------------------
    def ensure_index(self, index: JsonIndex) -> None:
        """Create ``index`` unless the store has it (the rules that query through it declare it)."""
        with self._guard():
            self._conn.execute(index.ddl())

    def select(self, query: Select) -> builtins.list[Obj]:
        """The objects ``query`` matches, in its order."""
        sql, params = query.sql()
        with self._guard():
            rows = self._conn.execute(sql, params).fetchall()
        return [dict(json.loads(text)) for (text,) in rows]

    def query_plan(self, query: Select) -> builtins.list[str]:
        """SQLite's plan for ``query`` (``EXPLAIN QUERY PLAN``), a line a step: what a test checks."""
        sql, params = query.sql()
        with self._guard():
            rows = self._conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        return [str(row[-1]) for row in rows]

    # -- watch ---------------------------------------------------------------------
    def subscribe(
        self, resource: str | None, since_rv: int | None, *, max_buffer: float = math.inf
    ) -> Subscription:
        """Committed changes of ``resource`` (every resource for ``None``) as an async iterator.

        With ``since_rv`` the changes after it are replayed from the log first
        (``Expired``, 410, when the log no longer reaches back that far); then
        live changes follow, in commit order, with no gap and no duplicate.
        """
        if resource is not None:
            self._resource(resource)
        if since_rv is not None and since_rv < self._compacted:
            raise st.expired(since_rv, self._compacted + 1)
        sub = self._hub.add(resource, max_buffer=max_buffer)
        if since_rv is not None:
            sql = "SELECT rv, resource, type, json FROM changes WHERE rv > ? AND rv <= ?"
            args: tuple[Any, ...] = (since_rv, self._committed_rv)
            if resource is not None:
                sql += " AND resource = ?"
                args += (resource,)
            with self._guard():
                rows = self._conn.execute(sql + " ORDER BY rv", args).fetchall()
            for rv, res, kind, text in rows:
                sub._offer(WatchEvent(kind, res, json.loads(text), rv))
        return sub

    @property
    def oldest_replayable_rv(self) -> int:
        """The smallest ``since_rv`` :meth:`subscribe` accepts."""
        return self._compacted
