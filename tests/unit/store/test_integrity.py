"""A store damaged while minik was stopped is refused at start, in one sentence naming the table and row.

Before: one ``objects`` row that was not JSON made every list of its
resource a 500, and a dropped ``objects`` table was silently made anew,
empty, while the change log still held the objects.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from minik.errors import StoreError
from minik.registry import Registry
from tests.unit.store.test_faults import configmap


def _stored(path: Path) -> None:
    s = Registry.open(path)
    for i in range(3):
        s.create("configmaps", configmap(f"c{i}"))
    s.close()


def _sql(path: Path, statement: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("damage", "statement", "words"),
    [
        ("a row that is not JSON", "UPDATE objects SET json = '{not json' WHERE name = 'c1'",
         "the objects row of configmaps default/c1 is not a JSON object"),
        ("a row that is JSON but not an object", "UPDATE objects SET json = '[1]' WHERE name = 'c2'",
         "the objects row of configmaps default/c2 is not a JSON object"),
        ("a change that is not JSON", "UPDATE changes SET json = 'x' WHERE rv = (SELECT MAX(rv) FROM changes)",
         "the changes row of resourceVersion"),
        ("a dropped objects table", "DROP TABLE objects", "the table objects is missing while the change log still holds"),
        ("a dropped counters table", "DROP TABLE counters", "the table counters is missing"),
        ("a lost counter", "DELETE FROM counters WHERE key = 'rv'", "the counters row 'rv' is missing"),
    ],
)  # fmt: skip
def test_a_damaged_store_is_refused_at_start_in_one_sentence(
    tmp_path: Path, damage: str, statement: str, words: str
) -> None:
    path = tmp_path / "minik.db"
    _stored(path)
    _sql(path, statement)
    before = path.read_bytes()
    with pytest.raises(StoreError) as info:
        Registry.open(path)
    message = info.value.message
    assert words in message, (damage, message)
    assert str(path) in message and f"mv {path} {path}.damaged" in message and "sqlite3" in message
    assert "\n" not in message
    assert path.read_bytes() == before, "nothing is repaired or recreated behind the user's back"


def test_a_whole_store_and_a_new_one_open(tmp_path: Path) -> None:
    path = tmp_path / "minik.db"
    _stored(path)
    s = Registry.open(path)
    assert [c["metadata"]["name"] for c in s.list("configmaps", None)[0]] == ["c0", "c1", "c2"]
    s.close()
    fresh: Callable[[], Registry] = lambda: Registry.open(tmp_path / "new.db")  # noqa: E731
    s = fresh()
    s.close()
    s = fresh()  # and reopened
    s.close()
