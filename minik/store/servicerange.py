"""The instance's Service range (the API server's ``--service-cluster-ip-range``), kept in the store.

One row: the CIDR the control plane derived from the instance network's
subnet (:func:`minik.kubelet.subnets.service_range`) when it last knew it.
ClusterIP admission (:mod:`minik.registry.clusterip`) reads it from here, so
the registry needs nothing of the engine and a Service created while the
engine is briefly away still gets its address. Not an API object: no
resourceVersion, no watch event. Which addresses are taken is not kept here:
the stored Services themselves are the allocation ledger (a deleted Service's
address is free at once, and nothing can leak across a crash).
"""

from __future__ import annotations

from minik.store.db import Store

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS service_range (id INTEGER PRIMARY KEY CHECK (id = 1), cidr TEXT NOT NULL)"
)


def get(store: Store) -> str:
    """The Service range's CIDR, ``""`` before the instance network was first known."""
    store.side_table(_SCHEMA)
    rows = store.side_table("SELECT cidr FROM service_range WHERE id = 1")
    return str(rows[0][0]) if rows else ""


def put(store: Store, cidr: str) -> None:
    store.side_table(_SCHEMA)
    store.side_table("INSERT OR REPLACE INTO service_range (id, cidr) VALUES (1, ?)", (cidr,))
