"""Entry point of the ``minik`` command.

Owns argument parsing and the one place where a :class:`MinikError` becomes
a message on stderr and an exit code. No traceback reaches a user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from minik import __version__
from minik.errors import MinikError, UsageError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minik",
        description=(
            "Run Kubernetes batch/v1 Jobs on the local Docker engine, "
            "with Kubernetes' own semantics, no cluster."
        ),
    )
    parser.add_argument("--version", action="version", version=f"minik {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def run(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    raise UsageError(f"unknown command {args.command!r}")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(list(sys.argv[1:] if argv is None else argv))
    except MinikError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
