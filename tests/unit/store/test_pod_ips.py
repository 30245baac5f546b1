"""The pod-address ledger in the store's database: what a server killed with SIGKILL reads back."""

from __future__ import annotations

from pathlib import Path

from minik.kubelet.network.ipam import PodIPs
from minik.store import Store
from minik.store.podips import PodIPTable


def test_addresses_survive_the_store_being_closed_and_opened_again(tmp_path: Path) -> None:
    db = tmp_path / "minik.db"
    store = Store(db)
    ips = PodIPs(PodIPTable(store))
    ips.use_subnet("10.208.0.0/22")
    a, b = ips.allocate("a"), ips.allocate("b")
    ips.release("a")
    rv = store.resource_version
    store.close()  # no orderly stop needed: every row is committed when it is written

    again = Store(db)
    table = PodIPTable(again)
    assert table.load() == {"b": b}
    assert again.resource_version == rv  # not an API object: no resourceVersion, no watch event
    ips = PodIPs(table)
    ips.use_subnet("10.208.0.0/22")
    assert ips.get("b") == b and ips.allocate("c") not in (b,)
    assert a != b
    again.close()


def test_a_write_inside_an_open_transaction_joins_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "minik.db")
    table = PodIPTable(store)
    with store.transaction():
        table.put("a", "10.208.2.0")
    assert table.load() == {"a": "10.208.2.0"}
    store.close()
