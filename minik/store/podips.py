"""The kubelet's pod-address ledger, kept in the store's database (:class:`minik.kubelet.network.ipam.IPLedger`).

One row per pod holding an address of the instance network (``pod_ips``:
pod uid → IPv4 address). The kubelet records an address here before any
container uses it and drops it once the pod's containers are removed, so a
server killed with SIGKILL gives adopted pods the same addresses and never
hands a held one to another pod. Not an API object: no resourceVersion, no
watch event.
"""

from __future__ import annotations

from minik.store.db import Store

_SCHEMA = "CREATE TABLE IF NOT EXISTS pod_ips (uid TEXT PRIMARY KEY, ip TEXT NOT NULL UNIQUE) WITHOUT ROWID"


class PodIPTable:
    """pod uid → address rows (an ``IPLedger``)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        store.side_table(_SCHEMA)

    def load(self) -> dict[str, str]:
        return {str(uid): str(ip) for uid, ip in self._store.side_table("SELECT uid, ip FROM pod_ips")}

    def put(self, uid: str, ip: str) -> None:
        self._store.side_table("INSERT OR REPLACE INTO pod_ips (uid, ip) VALUES (?, ?)", (uid, ip))

    def drop(self, uid: str) -> None:
        self._store.side_table("DELETE FROM pod_ips WHERE uid = ?", (uid,))
