"""What went wrong with a store file, in words a user can act on.

:func:`describe` turns an SQLite error into a sentence (locked, full, not a
database, read-only); :func:`damage` checks a store minik wrote before, at
open, and names the broken table or row.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def describe(path: Path, exc: sqlite3.Error) -> str:
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


_TABLES = ("objects", "changes", "counters")


def damage(c: sqlite3.Connection) -> str:
    """What is wrong with a store minik wrote before, as a clause naming the table and row; ``""`` if whole.

    Checked at open, in milliseconds even for a large store: SQLite's own page
    check, the three tables, the counters, and that every stored object and
    change is a JSON object (one row that is not made every list of its
    resource fail; a dropped table was silently made anew, empty, while the
    change log still held its objects).
    """
    check = str(c.execute("PRAGMA quick_check(1)").fetchone()[0])
    if check != "ok":
        return f"SQLite's check fails ({check})"
    have = {str(r[0]) for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = [t for t in _TABLES if t not in have]
    if missing:
        held = ""
        if "changes" in have:
            count = int(c.execute("SELECT COUNT(*) FROM changes").fetchone()[0])
            held = f" while the change log still holds {count} changes"
        return f"the table {missing[0]} is missing{held}"
    for key in ("rv", "compacted"):
        row = c.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()
        if row is None or not isinstance(row[0], int):
            return f"the counters row {key!r} is missing or not a number"
    bad = c.execute(
        "SELECT resource, namespace, name FROM objects"
        " WHERE NOT json_valid(json) OR json_type(json) != 'object' LIMIT 1"
    ).fetchone()
    if bad is not None:
        resource, namespace, name = bad
        where = f"{namespace}/{name}" if namespace else name
        return f"the objects row of {resource} {where} is not a JSON object"
    bad = c.execute(
        "SELECT rv FROM changes WHERE NOT json_valid(json) OR json_type(json) != 'object' LIMIT 1"
    ).fetchone()
    if bad is not None:
        return f"the changes row of resourceVersion {bad[0]} is not a JSON object"
    return ""
