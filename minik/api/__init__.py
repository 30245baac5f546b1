"""minik.api: the Kubernetes-shaped REST API (Starlette).

Public API: :func:`create_app` and the :class:`ApiHooks` protocol it needs.
See ``docs/internals.md``.
"""

from minik.api.app import create_app
from minik.api.hooks import ApiHooks

__all__ = ["ApiHooks", "create_app"]
