"""Entry point of the ``minik`` command.

Owns argument parsing and the one place where a :class:`MinikError` becomes
a message on stderr and an exit code. No traceback reaches a user. Each
command group lives in its own module (``cmd_*``), which registers its
subcommands here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from minik import __version__
from minik.errors import ApiError, ManifestError, MinikError, UsageError

if TYPE_CHECKING:
    from minik.cli.common import Ctx


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    from minik.cli import (
        cmd_apply,
        cmd_create,
        cmd_describe,
        cmd_get,
        cmd_logs,
        cmd_run,
        cmd_server,
        cmd_timeline,
        cmd_wait,
    )

    parser = _Parser(
        prog="minik",
        description=(
            "Run Kubernetes batch/v1 Jobs on the local Docker engine, "
            "with Kubernetes' own semantics, no cluster."
        ),
    )
    parser.add_argument("--version", action="version", version=f"minik {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in (
        cmd_apply,
        cmd_create,
        cmd_get,
        cmd_describe,
        cmd_logs,
        cmd_timeline,
        cmd_wait,
        cmd_run,
        cmd_server,
    ):
        module.register(sub)
    return parser


def run(argv: Sequence[str], ctx: Ctx | None = None) -> int:
    from minik.cli.common import Ctx

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    ctx = ctx or Ctx()
    ctx.namespace = getattr(args, "namespace", "default") or "default"
    ctx.all_namespaces = bool(getattr(args, "all_namespaces", False))
    try:
        code: int = args.func(ctx, args)
    finally:
        if ctx._client is not None:
            ctx._client.close()
    return code


def main(argv: Sequence[str] | None = None, *, ctx: Ctx | None = None) -> int:
    """Run one command; ``ctx`` (tests) supplies streams, clock and the API connection."""
    err = ctx.err if ctx is not None else sys.stderr
    try:
        return run(list(sys.argv[1:] if argv is None else argv), ctx)
    except ApiError as exc:
        from minik.cli.common import render_error

        print(render_error(exc), file=err)
        return exc.exit_code
    except ManifestError as exc:
        print(exc.message, file=err)
        return exc.exit_code
    except MinikError as exc:
        print(f"error: {exc}", file=err)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except ConnectionError as exc:
        print(f"error: lost the connection to the minik server ({exc.strerror or exc})", file=err)
        return 3


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
