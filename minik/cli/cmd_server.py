"""``minik server start|stop|status|logs`` and ``minik kubeconfig``.

No API requests except ``GET /readyz`` (bearer token) to tell a live server
from a stale ``server.json``.
"""

from __future__ import annotations

import argparse
from typing import Any

from minik import paths
from minik.cli import server_ctl
from minik.cli.common import Ctx


def register(sub: Any) -> None:
    p = sub.add_parser("server", help="start, stop or inspect this instance's control plane")
    ss = p.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    ss.add_parser("start", help="start the control plane (if not running)").set_defaults(func=start)
    ss.add_parser("stop", help="stop the control plane (containers keep running)").set_defaults(func=stop)
    ss.add_parser("status", help="is the control plane running?").set_defaults(func=status)
    d = ss.add_parser(
        "delete",
        help="stop the control plane and remove every container, volume and network of the instance and its state directory",
    )
    d.add_argument(
        "--all", action="store_true", help="every instance that a minik-labelled Docker object names"
    )
    d.set_defaults(func=delete)
    logs = ss.add_parser("logs", help="print the control plane's log")
    logs.add_argument("--tail", type=int, default=-1, help="only the last N lines")
    logs.set_defaults(func=logs_cmd)
    k = sub.add_parser("kubeconfig", help="print the path of the kubeconfig for real kubectl")
    k.set_defaults(func=kubeconfig)


def start(ctx: Ctx, args: argparse.Namespace) -> int:
    info = server_ctl.running()
    if info is not None:
        ctx.print(f"minik server already running at {info.url} (pid {info.pid})")
        return 0
    info = server_ctl.start()
    ctx.print(f"minik server running at {info.url} (pid {info.pid})")
    return 0


def stop(ctx: Ctx, args: argparse.Namespace) -> int:
    if server_ctl.stop(say=ctx.print):
        ctx.print("minik server stopped")
    else:
        ctx.print("minik server is not running")
    return 0


def status(ctx: Ctx, args: argparse.Namespace) -> int:
    info = server_ctl.running()
    if info is None:
        ctx.print(f"minik server is not running (state in {paths.home()})")
        return 1
    ctx.print(f"minik server running at {info.url} (pid {info.pid}, state in {paths.home()})")
    return 0


def delete(ctx: Ctx, args: argparse.Namespace) -> int:
    """Runs ``python -m minik.server delete``: the CLI itself never touches Docker."""
    import subprocess

    argv, env = server_ctl.server_command("delete", *(["--all"] if args.all else []))
    res = subprocess.run(argv, env=env, cwd="/", stdin=subprocess.DEVNULL, check=False)
    return res.returncode


def logs_cmd(ctx: Ctx, args: argparse.Namespace) -> int:
    try:
        text = paths.read_text(paths.log_file())
    except FileNotFoundError:
        return 0
    if args.tail >= 0:
        lines = text.splitlines(keepends=True)
        text = "".join(lines[-args.tail :] if args.tail else [])
    ctx.print(text, end="")
    return 0


def kubeconfig(ctx: Ctx, args: argparse.Namespace) -> int:
    server_ctl.ensure()
    ctx.print(str(paths.kubeconfig_file()))
    return 0
