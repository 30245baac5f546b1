"""minik's pytest plugin without Docker: it is loaded everywhere and must cost and change nothing until used."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from minik.testing import plugin
from minik.testing.instance import Minik, Session, _takes_namespace

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@pytest.mark.parametrize(
    "nodeid",
    [
        "tests/test_jobs.py::test_hello",
        "tests/test_jobs.py::TestX::test_with_params[Upper Case-1.5/x]",
        "t.py::" + "very_long_name_" * 10,
        "t.py::___",
    ],
)
def test_namespace_names_are_dns_labels_unique_per_salt(nodeid: str) -> None:
    a, b = plugin.namespace_name(nodeid, "1"), plugin.namespace_name(nodeid, "2")
    assert DNS_LABEL.match(a) and len(a) <= 63
    assert a != b


def test_namespace_name_reads_as_the_test() -> None:
    assert plugin.namespace_name("tests/test_jobs.py::test_hello_completes", "s").startswith(
        "t-test-hello-completes-"
    )


@pytest.mark.parametrize(
    ("argv", "added"),
    [
        (["get", "jobs"], True),
        (["get", "jobs", "-n", "x"], False),
        (["get", "jobs", "--namespace=x"], False),
        (["get", "jobs", "-A"], False),
        (["server", "status"], False),
        (["kubeconfig"], False),
        (["--version"], False),
    ],
)
def test_the_handles_namespace_is_added_unless_given(argv: list[str], added: bool) -> None:
    assert _takes_namespace(argv) is added


def test_sources_become_files(tmp_path: Path) -> None:
    m = Minik(Session(root=tmp_path))
    f = tmp_path / "job.yaml"
    f.write_text("kind: Job\n")
    assert m._file(f) == f
    assert m._file(str(f)) == f
    text = m._file("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert text.read_text().startswith("apiVersion: v1")
    one = m._file({"kind": "ConfigMap"})
    assert one.read_text() == '{"kind": "ConfigMap"}'
    many = m._file([{"kind": "A"}, {"kind": "B"}])
    assert many.read_text() == '{"kind": "A"}\n---\n{"kind": "B"}'
    assert repr(m) == f"Minik(home={str(tmp_path / 'home')!r}, namespace='default')"


def test_the_plugin_is_registered_and_loading_it_starts_nothing(tmp_path: Path) -> None:
    """A session that uses no minik fixture: no state directory, no server, no MINIK_HOME, no Docker."""
    (tmp_path / "test_plain.py").write_text(
        "import os, sys\n"
        "def test_plain(request):\n"
        "    assert request.config.pluginmanager.has_plugin('minik')\n"
        "    assert 'MINIK_HOME' not in os.environ\n"
        "    assert not any(m.startswith(('docker', 'minik.cli.client')) for m in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("MINIK_HOME", "PYTEST_ADDOPTS")}
    env["TMPDIR"] = str(tmp_path)
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_plain.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert not list(tmp_path.glob("minik-pytest-*"))


def test_help_shows_the_keep_option(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "--help"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert "--minik-keep" in res.stdout


def _pod(phase: str, *exits: int, last: int = 0) -> dict[str, object]:
    return {
        "metadata": {"name": f"p-{phase}-{exits}-{last}"},
        "status": {
            "phase": phase,
            "containerStatuses": [
                {
                    "name": "c",
                    "state": {"terminated": {"exitCode": code}} if code >= 0 else {"running": {}},
                    "lastState": {"terminated": {"exitCode": last}} if last else {},
                }
                for code in exits
            ],
        },
    }


@pytest.mark.parametrize(
    ("pod", "failed"),
    [
        pytest.param(_pod("Succeeded", 0), False, id="succeeded: not reported"),
        pytest.param(_pod("Failed", 3), True, id="failed phase"),
        pytest.param(_pod("Running", -1, last=2), True, id="restarting after a non-zero exit"),
        pytest.param(_pod("Running", -1), False, id="running, never failed"),
        pytest.param(_pod("Failed"), True, id="failed without container statuses (evicted)"),
    ],
)
def test_failed_pods_for_the_report(pod: dict[str, object], failed: bool) -> None:
    from minik.testing.report import failed_pods

    assert failed_pods([pod]) == ([pod] if failed else [])
