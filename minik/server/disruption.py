"""The disruption executor: recomputes the PodDisruptionBudgets of one namespace and writes them.

Owns reading the budgets and pods of a namespace, calling the pure
:func:`minik.controllers.disruption.sync_pdb` for each budget, and writing
the new status (and its events) when it changed. A write that loses a race
with the eviction API (Conflict) is retried shortly. It decides nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from minik.controllers.disruption import sync_pdb
from minik.errors import Conflict, NotFound
from minik.registry import Registry

PDBS = "poddisruptionbudgets"
COMPONENT = "controllermanager"


class DisruptionExecutor:
    def __init__(self, registry: Registry, *, clock: Callable[[], datetime]) -> None:
        self.registry = registry
        self.clock = clock

    def sync(self, namespace: str) -> float | None:
        """Recompute every budget of ``namespace``; seconds until the next recheck, if any."""
        budgets = self.registry.list(PDBS, namespace)[0]
        if not budgets:
            return None
        pods = self.registry.list("pods", namespace, shared=True)[0]
        now = self.clock()
        recheck: list[float] = []
        for pdb in budgets:
            res = sync_pdb(pdb, pods, now)
            if res.recheck_after is not None:
                recheck.append(res.recheck_after)
            if res.status == pdb.get("status"):
                continue
            pdb["status"] = res.status
            try:
                self.registry.update(PDBS, pdb, status_only=True)
            except Conflict:
                recheck.append(0.2)
                continue
            except NotFound:
                continue
            for type_, reason, message in res.events:
                self.registry.record_event(
                    pdb, type=type_, reason=reason, message=message, component=COMPONENT
                )
        return min(recheck) if recheck else None
