"""The store's indexed JSON queries (minik.store.query): the SQL they make and what they refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from minik.store import Store
from minik.store.query import Before, Column, Field, FirstOf, Is, JsonIndex, Select, StartsWith

BY_REASON = JsonIndex("events_by_reason", "events", (Column("namespace"), Field("$.reason")))


def _event(name: str, reason: str, message: str, ns: str = "default") -> dict[str, object]:
    return {"metadata": {"name": name, "namespace": ns}, "reason": reason, "message": message}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "minik.db")
    s.ensure_index(BY_REASON)
    with s.transaction():
        s.insert("events", _event("a", "Pulled", "image pulled"))
        s.insert("events", _event("b", "Pulled", "image present"))
        s.insert("events", _event("c", "Started", "started"))
        s.insert("events", _event("d", "Pulled", "image pulled", ns="other"))
    return s


@pytest.mark.parametrize(
    ("where", "newest_first", "limit", "names"),
    [
        ([Is(Column("namespace"), "default"), Is(Field("$.reason"), "Pulled")], False, None, ["a", "b"]),
        ([Is(Column("namespace"), "default"), Is(Field("$.reason"), "Pulled")], True, 1, ["b"]),
        (
            [Is(Column("namespace"), "default"), StartsWith(Field("$.message"), "image p")],
            False,
            None,
            ["a", "b"],
        ),
        ([Is(Column("namespace"), "default"), Is(Field("$.missing"), None)], False, None, ["a", "b", "c"]),
        ([Is(Column("namespace"), "nowhere")], False, None, []),
    ],
    ids=["equal fields", "newest first, one", "a prefix", "an unset field is None", "no match"],
)
def test_a_select_returns_the_matching_objects(
    store: Store, where: list, newest_first: bool, limit: int | None, names: list[str]
) -> None:
    found = store.select(Select("events", where, BY_REASON, newest_first=newest_first, limit=limit))
    assert sorted(o["metadata"]["name"] for o in found) == sorted(names)


def test_a_timestamp_before_a_cutoff_through_first_of() -> None:
    first = FirstOf((Field("$.lastTimestamp"), Field("$.metadata.creationTimestamp")))
    sql, params = Before(first, "2026-01-01T00:00:00Z").sql()
    assert sql == (
        "COALESCE(json_extract(json, '$.lastTimestamp'), json_extract(json, '$.metadata.creationTimestamp')) < ?"
    )
    assert params == ("2026-01-01T00:00:00Z",)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Field("$.a'); DROP TABLE objects; --").sql(),
        lambda: Column("json").sql(),
        lambda: JsonIndex("x; DROP", "events", (Field("$.a"),)).ddl(),
        lambda: JsonIndex("ok", "no-such-resource", (Field("$.a"),)).ddl(),
        lambda: Select("pods", [], BY_REASON).sql(),
    ],
    ids=["a path that is not plain", "a column that is not a key", "an index name with SQL",
         "an unknown resource", "an index over another resource"],
)  # fmt: skip
def test_what_would_not_be_plain_sql_is_refused(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_a_query_names_its_index(store: Store) -> None:
    plan = store.query_plan(Select("events", [Is(Column("namespace"), "default")], BY_REASON))
    assert any("USING INDEX events_by_reason" in step for step in plan), plan
