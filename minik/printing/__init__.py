"""minik.printing: kubectl's ``get`` columns as pure data, shared by the API and the CLI.

The API serves them as server-side ``meta.k8s.io/v1`` Tables (what real
kubectl asks for) and the minik CLI lays the same cells out itself, so the
two cannot drift. Pure: objects and ``now`` in, strings out; no I/O, no clock.
"""

from minik.printing.columns import COLUMNS, Column, cells, columns_for
from minik.printing.columns_access import ACCESS_COLUMNS
from minik.printing.columns_network import NETWORK_COLUMNS
from minik.printing.columns_node import NODE_COLUMNS
from minik.printing.columns_storage import STORAGE_COLUMNS

COLUMNS.update(ACCESS_COLUMNS)
COLUMNS.update(NETWORK_COLUMNS)
COLUMNS.update(NODE_COLUMNS)
COLUMNS.update(STORAGE_COLUMNS)

__all__ = ["COLUMNS", "Column", "cells", "columns_for"]
