"""`minik --version` and `minik --help` work without a server or Docker."""

from __future__ import annotations

import subprocess
import sys

from minik import __version__


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "minik", *args], capture_output=True, text=True, check=False)


def test_version_prints_the_package_version() -> None:
    res = run("--version")
    assert res.returncode == 0
    assert res.stdout.strip() == f"minik {__version__}"


def test_help_describes_minik() -> None:
    res = run("--help")
    assert res.returncode == 0
    assert "Kubernetes batch/v1 Jobs" in res.stdout
