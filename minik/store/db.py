"""The SQLite store: objects, the resourceVersion counter, the change log, events.

Owns persistence and the object lifecycle rules the API server applies on
write (uid, creationTimestamp, generation, resourceVersion, finalizers,
graceful pod deletion, namespace termination). It does not validate or
default objects (that is :mod:`minik.manifest`, called by the API) and it
does not run controllers: it only publishes committed changes
(:mod:`minik.store.watch`).

One writer, the control plane's event loop thread: every method is
synchronous and atomic; ``with store.transaction():`` groups calls into one
commit (nested calls join it through SAVEPOINTs); watch events are published
only after the outermost commit. Every sqlite3 failure becomes one
:class:`~minik.errors.StoreError` sentence.
"""

from __future__ import annotations

import copy
import json
import math
import secrets
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from minik.errors import StoreError
from minik.k8s import NODE_NAME, Obj, meta, rfc3339
from minik.resources import (
    DEFAULT_SERVICE_ACCOUNT,
    GENERATION_RESOURCES,
    INITIAL_NAMESPACES,
    RESOURCES,
    SYSTEM_NAMESPACES,
    Resource,
    generate_name,
)
from minik.store import status as st
from minik.store.selectors import compile_filter
from minik.store.watch import Hub, Subscription, WatchEvent

Clock = Callable[[], datetime]

SCHEMA_VERSION = 1
TERMINAL_PHASES = ("Succeeded", "Failed")
DEFAULT_POD_GRACE = 30
_CACHE_MAX = 50_000
_SERVER_OWNED = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")

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
CREATE INDEX IF NOT EXISTS events_repeat ON objects (
    namespace, json_extract(json, '$.involvedObject.uid'), json_extract(json, '$.involvedObject.name'),
    json_extract(json, '$.reason')
) WHERE resource = 'events';
CREATE INDEX IF NOT EXISTS events_expiry ON objects (
    COALESCE(json_extract(json, '$.lastTimestamp'), json_extract(json, '$.metadata.creationTimestamp'))
) WHERE resource = 'events';
"""
EVENT_TTL = timedelta(hours=1)
"""How long an Event lives after its last occurrence: the API server's default ``--event-ttl``."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _describe(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return (
            f"the store {path} is locked by another process "
            "(is another minik server using this state directory?)"
        )
    if "full" in text:
        return f"the disk holding the store {path} is full; free some space and try again"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"{path} is not a usable minik store (not a SQLite database, truncated or corrupt); "
            "move it away to start afresh"
        )
    if "readonly" in text or "read-only" in text:
        return f"the store {path} is read-only"
    if "unable to open" in text:
        return f"cannot open the store {path}: check that its directory exists and is writable"
    return f"the store {path} failed: {exc}"


def _dumps(obj: Obj) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=False)


class Store:
    """Objects by (resource, namespace, name); see the module docstring."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Clock = _utcnow,
        log_size: int = 10_000,
        busy_timeout: float = 1.0,
    ) -> None:
        self.path = Path(path)
        # After a write found the file locked by another process, writes fail at once
        # until this monotonic time: waiting out the lock on every write would block the
        # event loop (and so every API call, reads included) for busy_timeout each time.
        self._busy_backoff = busy_timeout
        self._busy_until = 0.0
        self._clock = clock
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
        c.execute("PRAGMA journal_mode = WAL")
        c.execute("PRAGMA synchronous = NORMAL")
        c.executescript(_SCHEMA)
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._rv = self._counter("rv")
        self._committed_rv = self._rv
        self._compacted = self._counter("compacted")
        with self.transaction():
            for ns in INITIAL_NAMESPACES:
                if self._row("namespaces", "", ns) is None:
                    self.create("namespaces", {"metadata": {"name": ns}})
                elif self._row("serviceaccounts", ns, DEFAULT_SERVICE_ACCOUNT) is None:
                    self.create(
                        "serviceaccounts", {"metadata": {"name": DEFAULT_SERVICE_ACCOUNT, "namespace": ns}}
                    )

    def _counter(self, key: str) -> int:
        return int(self._conn.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()[0])

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(_describe(self.path, exc)) from exc

    def close(self) -> None:
        """Close every subscription and the database."""
        self._hub.close_all()
        with self._guard():
            self._conn.close()

    @property
    def resource_version(self) -> int:
        """The last committed resourceVersion."""
        return self._committed_rv

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
        ns = m.get("namespace", "")
        if ns and resource != "namespaces":
            self._finish_namespace(ns)
        return obj

    def _removable(self, resource: str, obj: Obj) -> bool:
        m = meta(obj)
        if not m.get("deletionTimestamp") or m.get("finalizers"):
            return False
        if resource == "pods":
            phase = (obj.get("status") or {}).get("phase")
            return phase in TERMINAL_PHASES or m.get("deletionGracePeriodSeconds") == 0
        if resource == "namespaces":
            return not self._namespace_has_objects(m["name"])
        return True

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

    # -- writes --------------------------------------------------------------------
    def create(self, resource: str, obj: Obj) -> Obj:
        """Store a new object: uid (kept when given), creationTimestamp, resourceVersion, generation."""
        r = self._resource(resource)
        obj = {"apiVersion": r.api_version, "kind": r.kind, "metadata": {}, **copy.deepcopy(obj)}
        obj["apiVersion"], obj["kind"] = r.api_version, r.kind
        m = obj["metadata"]
        if not m.get("name") and m.get("generateName"):
            m["name"] = generate_name(m["generateName"])
        if not m.get("name"):
            body = "Required value: name or generateName is required"
            raise st.invalid(resource, "", [("metadata.name", "Required value", body)])
        with self.transaction():
            if r.namespaced:
                m["namespace"] = ns = m.get("namespace") or "default"
                owner = self._row("namespaces", "", ns)
                if owner is None:
                    raise st.not_found("namespaces", ns)
                if meta(owner).get("deletionTimestamp"):
                    why = f"unable to create new content in namespace {ns} because it is being terminated"
                    raise st.forbidden(resource, m["name"], why)
            else:
                m.pop("namespace", None)
                ns = ""
            if self._row(resource, ns, m["name"]) is not None:
                raise st.already_exists(resource, m["name"])
            m["uid"] = m.get("uid") or str(uuid.uuid4())
            m["creationTimestamp"] = rfc3339(self._clock())
            for key in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion"):
                m.pop(key, None)
            if resource in GENERATION_RESOURCES:
                m["generation"] = 1
            else:
                m.pop("generation", None)
            if resource == "namespaces":
                m.setdefault("labels", {})["kubernetes.io/metadata.name"] = m["name"]
                obj["spec"] = {"finalizers": ["kubernetes"]}
                obj["status"] = {"phase": "Active"}
                created = self._write(resource, obj, "ADDED")
                sa = {"metadata": {"name": DEFAULT_SERVICE_ACCOUNT, "namespace": m["name"]}}
                self.create("serviceaccounts", sa)  # as the service account controller does
                return copy.deepcopy(created)
            if resource == "pods" and not (obj.get("status") or {}).get("phase"):
                # As the API server's pod strategy does on create.
                obj["status"] = {**(obj.get("status") or {}), "phase": "Pending"}
            node = self._row("nodes", "", NODE_NAME) if resource == "pods" else None
            cordoned = bool(((node or {}).get("spec") or {}).get("unschedulable"))
            if resource == "pods" and not (obj.get("spec") or {}).get("nodeName") and not cordoned:
                # One node: the scheduler's binding, at once. On a cordoned node the control
                # plane's scheduler gate (minik.controllers.scheduling) decides.
                obj.setdefault("spec", {})["nodeName"] = NODE_NAME
            return copy.deepcopy(self._write(resource, obj, "ADDED"))

    def update(self, resource: str, obj: Obj, *, status_only: bool = False, status_meta: bool = False) -> Obj:
        """Replace an object's spec/metadata (or only its status with ``status_only``).

        ``status_meta`` (with ``status_only``): a ``/status`` write through the
        API, which also keeps the labels, annotations, finalizers and owner
        references it carries (the API's status strategy chose them).

        ``Conflict`` when ``metadata.resourceVersion`` (or uid) is given and stale.
        A spec change bumps ``generation``; a write that changes nothing is not
        stored and publishes nothing. A deleting object whose last finalizer is
        removed (and, for a pod, that is terminal) is removed.
        """
        r = self._resource(resource)
        m = meta(obj)
        name = m.get("name", "")
        ns = self._ns(r, m.get("namespace"))
        with self.transaction():
            current = self._row(resource, ns, name)
            if current is None:
                raise st.not_found(resource, name)
            cm = meta(current)
            if (m.get("resourceVersion") and m["resourceVersion"] != cm.get("resourceVersion")) or (
                m.get("uid") and m["uid"] != cm.get("uid")
            ):
                raise st.conflict(resource, name)
            if status_only:
                new = copy.deepcopy(current)
                if "status" in obj:
                    new["status"] = copy.deepcopy(obj["status"])
                if status_meta:
                    _copy_user_metadata(m, meta(new))
            else:
                new = {"apiVersion": r.api_version, "kind": r.kind, **copy.deepcopy(obj)}
                new.pop("status", None)
                if "status" in current:
                    new["status"] = copy.deepcopy(current["status"])
                nm = new.setdefault("metadata", {})
                for key in _SERVER_OWNED:
                    if key in cm:
                        nm[key] = cm[key]
                    else:
                        nm.pop(key, None)
                if r.namespaced:
                    nm["namespace"] = ns
                else:
                    nm.pop("namespace", None)
                if cm.get("deletionTimestamp"):
                    added = set(nm.get("finalizers") or []) - set(cm.get("finalizers") or [])
                    if added:
                        body = "Forbidden: no new finalizers can be added if the object is being deleted"
                        raise st.invalid(resource, name, [("metadata.finalizers", "Forbidden", body)])
                if not nm.get("finalizers"):
                    nm.pop("finalizers", None)
                if resource in GENERATION_RESOURCES and new.get("spec") != current.get("spec"):
                    nm["generation"] = int(cm.get("generation") or 0) + 1
            new["apiVersion"], new["kind"] = r.api_version, r.kind
            meta(new)["resourceVersion"] = cm.get("resourceVersion")
            if new == current:
                return current
            if self._removable(resource, new):
                return copy.deepcopy(self._remove(resource, new))
            return copy.deepcopy(self._write(resource, new, "MODIFIED", current))

    def delete(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        *,
        propagation: str | None = None,
        grace_seconds: int | None = None,
        preconditions: dict[str, str] | None = None,
    ) -> Obj:
        """Delete an object, or mark it deleting (``deletionTimestamp``); returns its state.

        ``propagation`` (``Orphan``/``Background``/``Foreground``) matters for
        the owner kinds, Jobs and CronJobs: ``Orphan`` — the default for a Job
        when ``None`` (R7.5; a CronJob's is ``Background``) — adds the
        ``orphan`` finalizer, ``Foreground`` ``foregroundDeletion``; the
        control plane's garbage collector handles both. A pod that is not terminal is marked (the kubelet stops it with
        ``grace_seconds`` or its ``terminationGracePeriodSeconds`` and reports
        the terminal phase, which removes it); ``grace_seconds=0`` forces it.
        """
        r = self._resource(resource)
        ns = self._ns(r, namespace)
        with self.transaction():
            current = self._row(resource, ns, name)
            if current is None:
                raise st.not_found(resource, name)
            cm = meta(current)
            pre = preconditions or {}
            if (pre.get("uid") and pre["uid"] != cm.get("uid")) or (
                pre.get("resourceVersion") and pre["resourceVersion"] != cm.get("resourceVersion")
            ):
                raise st.conflict(resource, name)
            if resource == "namespaces" and name in SYSTEM_NAMESPACES:
                raise st.forbidden(resource, name, "this namespace may not be deleted")
            new = copy.deepcopy(current)
            nm = meta(new)
            fins = list(nm.get("finalizers") or [])
            if resource in ("jobs", "cronjobs"):
                # batch/v1 Jobs orphan their pods by default (R7.5); CronJobs delete their Jobs.
                policy = propagation or ("Orphan" if resource == "jobs" else "Background")
                wanted = {"Orphan": "orphan", "Foreground": "foregroundDeletion"}.get(policy)
                fins = [f for f in fins if f not in ("orphan", "foregroundDeletion") or f == wanted]
                if wanted and wanted not in fins:
                    fins.append(wanted)
            if fins:
                nm["finalizers"] = fins
            now = self._clock()
            if resource == "pods":
                spec_grace = (new.get("spec") or {}).get("terminationGracePeriodSeconds")
                grace = grace_seconds if grace_seconds is not None else spec_grace
                grace = DEFAULT_POD_GRACE if grace is None else max(0, int(grace))
                old_grace = nm.get("deletionGracePeriodSeconds")
                if old_grace is None or grace < old_grace:
                    nm["deletionGracePeriodSeconds"] = grace
                    nm["deletionTimestamp"] = rfc3339(now + timedelta(seconds=grace))
            elif not nm.get("deletionTimestamp"):
                nm["deletionTimestamp"] = rfc3339(now)
                nm["deletionGracePeriodSeconds"] = 0
            if resource in GENERATION_RESOURCES and not cm.get("deletionTimestamp"):
                nm["generation"] = int(nm.get("generation") or 0) + 1
            if resource == "namespaces":
                new.setdefault("status", {})["phase"] = "Terminating"
                self._write(resource, new, "MODIFIED", current)
                self._empty_namespace(name)
                return copy.deepcopy(self._row(resource, "", name) or new)
            if self._removable(resource, new):
                return copy.deepcopy(self._remove(resource, new))
            if new == current:
                return current
            return copy.deepcopy(self._write(resource, new, "MODIFIED", current))

    # -- namespaces ----------------------------------------------------------------
    def _namespace_has_objects(self, ns: str) -> bool:
        with self._guard():
            row = self._conn.execute("SELECT 1 FROM objects WHERE namespace = ? LIMIT 1", (ns,)).fetchone()
        return row is not None

    def _empty_namespace(self, ns: str) -> None:
        with self._guard():
            rows = self._conn.execute(
                "SELECT resource, name FROM objects WHERE namespace = ? ORDER BY resource, name", (ns,)
            ).fetchall()
        for resource, name in rows:
            if self._row(resource, ns, name) is not None:
                self.delete(resource, ns, name, propagation="Background")
        self._finish_namespace(ns)

    def _finish_namespace(self, ns: str) -> None:
        owner = self._row("namespaces", "", ns)
        if owner is None or not meta(owner).get("deletionTimestamp") or self._namespace_has_objects(ns):
            return
        self._remove("namespaces", owner)

    # -- events --------------------------------------------------------------------
    def record_event(self, involved: Obj, *, type: str, reason: str, message: str, component: str) -> Obj:
        """Record a core/v1 Event about ``involved``; a repeat bumps ``count``/``lastTimestamp``."""
        m = meta(involved)
        ns = m.get("namespace") or "default"
        now = rfc3339(self._clock())
        owner = self._row("namespaces", "", ns)
        if owner is not None and meta(owner).get("deletionTimestamp"):
            # The API server forbids new content in a terminating namespace; the recorder drops it.
            return {}
        with self.transaction():
            with self._guard():
                row = self._conn.execute(
                    "SELECT json FROM objects INDEXED BY events_repeat WHERE resource = 'events'"
                    " AND namespace = ? AND json_extract(json, '$.involvedObject.uid') IS ?"
                    " AND json_extract(json, '$.involvedObject.name') = ?"
                    " AND json_extract(json, '$.reason') = ? AND json_extract(json, '$.message') = ?"
                    " AND json_extract(json, '$.type') = ? AND json_extract(json, '$.source.component') = ?"
                    " ORDER BY rv DESC LIMIT 1",
                    (ns, m.get("uid"), m.get("name", ""), reason, message, type, component),
                ).fetchone()
            if row is not None:
                event = json.loads(row[0])
                old = copy.deepcopy(event)
                event["count"] = int(event.get("count") or 1) + 1
                event["lastTimestamp"] = now
                return copy.deepcopy(self._write("events", event, "MODIFIED", old))
            involved_ref = {
                "kind": involved.get("kind", ""),
                "namespace": ns,
                "name": m.get("name", ""),
                "uid": m.get("uid", ""),
                "apiVersion": involved.get("apiVersion", ""),
                "resourceVersion": m.get("resourceVersion", ""),
            }
            event = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": f"{m.get('name', 'unknown')}.{secrets.token_hex(8)}", "namespace": ns},
                "involvedObject": {k: v for k, v in involved_ref.items() if v},
                "reason": reason,
                "message": message,
                "source": {"component": component},
                "firstTimestamp": now,
                "lastTimestamp": now,
                "count": 1,
                "type": type,
                "eventTime": None,
                "reportingComponent": component,
                "reportingInstance": "",
            }
            return self.create("events", event)

    def expire_events(self, *, batch: int = 1000) -> int:
        """Remove up to ``batch`` Events last seen more than :data:`EVENT_TTL` ago; how many went.

        Found through the ``events_expiry`` index; each removal is a DELETED watch event,
        as when etcd's lease on an Event runs out.
        """
        cutoff = rfc3339(self._clock() - EVENT_TTL)
        with self._guard():
            rows = self._conn.execute(
                "SELECT json FROM objects INDEXED BY events_expiry WHERE resource = 'events' AND COALESCE(json_extract(json, "
                "'$.lastTimestamp'), json_extract(json, '$.metadata.creationTimestamp')) < ? LIMIT ?",
                (cutoff, batch),
            ).fetchall()
        with self.transaction():
            for (text,) in rows:
                self._remove("events", json.loads(text))
        return len(rows)

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


def _copy_user_metadata(src: Obj, dst: Obj) -> None:
    """The metadata a status write may change (no new finalizers on a deleting object)."""
    for key in ("labels", "annotations", "ownerReferences", "finalizers"):
        value = src.get(key)
        if key == "finalizers" and dst.get("deletionTimestamp"):
            value = [f for f in value or [] if f in (dst.get("finalizers") or [])]
        if value:
            dst[key] = copy.deepcopy(value)
        else:
            dst.pop(key, None)
