"""What every command shares: the invocation context and kubectl's error texts.

:class:`Ctx` carries the namespace, the output streams, the clock and a lazily
connected API client (so ``--help`` and client-only commands never start the
server). :func:`render_error` words an API failure as kubectl does (R2.3).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from minik.errors import ApiError, Invalid

if TYPE_CHECKING:
    from minik.cli.client import Client


def _now() -> datetime:
    return datetime.now(UTC)


def _connect() -> Client:
    from minik.cli import server_ctl

    return server_ctl.connect()


@dataclass
class Ctx:
    namespace: str = "default"
    all_namespaces: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    clock: Callable[[], datetime] = _now
    connect: Callable[[], Client] = _connect
    _client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = self.connect()
            if self._client.on_warning is None:
                self._client.on_warning = lambda text: self.eprint(f"Warning: {text}")
        return self._client

    def ns(self) -> str | None:
        """The namespace for collection URLs (``None`` with ``-A``)."""
        return None if self.all_namespaces else self.namespace

    def print(self, text: str = "", *, end: str = "\n") -> None:
        self.out.write(text + end)
        self.out.flush()

    def eprint(self, text: str) -> None:
        self.err.write(text + "\n")
        self.err.flush()


def render_error(exc: ApiError) -> str:
    """kubectl's rendering of an API failure."""
    if isinstance(exc, Invalid):
        details: dict[str, Any] = exc.status.get("details") or {}
        causes = details.get("causes") or []
        if causes:
            kind = details.get("kind") or ""
            name = details.get("name") or ""
            seen: list[str] = []
            for c in causes:
                text = f"{c.get('field')}: {c.get('message')}" if c.get("field") else str(c.get("message"))
                if text not in seen:
                    seen.append(text)
            head = f'The {kind} "{name}" is invalid: '
            if len(seen) == 1:
                return head + seen[0]
            return head + "\n" + "\n".join(f"* {t}" for t in seen)
    reason = exc.reason or "InternalError"
    return f"Error from server ({reason}): {exc.message}"


def add_namespace(p: argparse.ArgumentParser, *, all_namespaces: bool = False) -> None:
    p.add_argument("-n", "--namespace", default="default", help="the namespace (default: default)")
    if all_namespaces:
        p.add_argument("-A", "--all-namespaces", action="store_true", help="across all namespaces")


def no_resources(ctx: Ctx) -> None:
    if ctx.all_namespaces:
        ctx.eprint("No resources found")
    else:
        ctx.eprint(f"No resources found in {ctx.namespace} namespace.")
