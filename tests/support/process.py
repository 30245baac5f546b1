"""The processes of an instance under test: the ``minik`` command and the server (``python -m minik.server run``)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Protocol

from tests.support.polling import eventually


class _Instance(Protocol):
    home: Path
    env: dict[str, str]

    def server_log(self) -> str: ...

    def server_pid(self) -> int: ...


def minik_command() -> list[str]:
    """The ``minik`` of this interpreter's environment (else the one on PATH, else ``python -m minik``)."""
    exe = shutil.which("minik", path=str(Path(sys.executable).parent)) or shutil.which("minik")
    return [exe] if exe else [sys.executable, "-m", "minik"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_process(
    proc: subprocess.Popen[bytes] | None, *, sig: int = signal.SIGTERM, timeout: float = 15
) -> None:
    """Send ``sig`` to a child still running and reap it; SIGKILL it after ``timeout``."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Server:
    """One ``python -m minik.server run`` process for a state directory."""

    def __init__(self, minik: _Instance) -> None:
        self.minik = minik
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 30) -> None:
        home = self.minik.home
        (home / "server.json").unlink(missing_ok=True)
        with open(home / "server.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "minik.server", "run"],
                env=self.minik.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        proc = self.proc
        eventually(
            "the minik server to start",
            lambda: (home / "server.json").exists() or proc.poll() is not None,
            timeout,
            every=0.02,
        )
        if proc.poll() is not None:
            raise AssertionError(f"minik server exited {proc.returncode}:\n{self.minik.server_log()[-3000:]}")

    @property
    def pid(self) -> int:
        return self.minik.server_pid()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None
