"""minik.registry: the API rules of each resource, between the API and the store.

Public API: :class:`Registry` (every write to an API object; a client's
through :meth:`Registry.client_create` / :meth:`Registry.client_update` with a
:class:`ClientWrite`, giving a :class:`Written`), the strategies
(:data:`STRATEGIES`, :class:`Strategy`) and :data:`SERVER_OWNED`. See
``docs/architecture.md`` for where each rule lives.
"""

from minik.registry.kinds import STRATEGIES
from minik.registry.registry import ClientWrite, Registry, Written
from minik.registry.strategy import SERVER_OWNED, Strategy

__all__ = ["SERVER_OWNED", "STRATEGIES", "ClientWrite", "Registry", "Strategy", "Written"]
