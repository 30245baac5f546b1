"""The end-to-end tests drive a private minik instance (the ``minik`` fixture) through the real CLI.

The harness lives in ``tests/support``; these names stay importable from here
for test modules that import them (``from tests.integration.e2e.conftest import Minik``).
"""

from __future__ import annotations

from tests.support.instance import EXAMPLES, ROOT, Minik
from tests.support.process import minik_command

__all__ = ["EXAMPLES", "ROOT", "Minik", "minik_command"]
