"""The state directory and the server process keep their bounds.

- a ``MINIK_HOME`` that is a symbolic link, another user's, or writable by
  others is refused with one sentence and a non-zero exit, by the CLI and
  the server alike, before anything is read or written in it;
- files in it are never opened through a symbolic link;
- ``server.json`` may only send the CLI (and its token) to
  ``https://127.0.0.1:PORT``;
- the TLS key and certificate are written atomically, mode 0600;
- ``server.log`` rotates, so it stays bounded;
- the server lifts its open-file limit.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from minik import paths
from minik.errors import MinikError
from minik.server import bounds, tls

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="changing a directory's owner needs root")


def minik(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"MINIK_HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run(
        [sys.executable, "-m", "minik", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
    )


def refused(res: subprocess.CompletedProcess[str], words: str) -> None:
    assert res.returncode != 0, res
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], res.stderr
    assert "Traceback" not in res.stderr


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    h.mkdir(mode=0o700)
    monkeypatch.setenv("MINIK_HOME", str(h))
    return h


def test_a_symlinked_minik_home_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    refused(minik(link, "get", "pods"), "is a symbolic link")
    refused(minik(link, "server", "status"), "is a symbolic link")
    assert list(real.iterdir()) == []  # nothing was written through the link


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777, 0o1777])
def test_a_minik_home_writable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    h = tmp_path / "shared"
    h.mkdir()
    os.chmod(h, mode)
    refused(minik(h, "get", "pods"), "is writable by other users")
    assert list(h.iterdir()) == []


@ROOT_ONLY
def test_a_minik_home_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    h = tmp_path / "theirs"
    h.mkdir(mode=0o700)
    os.chown(h, 65534, 65534)
    refused(minik(h, "get", "pods"), "belongs to uid 65534")


def test_the_server_refuses_an_unsafe_home_too(tmp_path: Path) -> None:
    h = tmp_path / "shared"
    h.mkdir()
    os.chmod(h, 0o777)
    env = {"MINIK_HOME": str(h), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    res = subprocess.run(
        [sys.executable, "-m", "minik.server", "run"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    refused(res, "is writable by other users")


def test_a_fresh_home_is_made_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from minik.server import state

    monkeypatch.setenv("MINIK_HOME", str(tmp_path / "new" / "home"))
    made = state.ensure_home()
    assert made == tmp_path / "new" / "home"
    assert made.stat().st_mode & 0o777 == 0o700


def test_state_files_are_never_read_through_a_link(home: Path, tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere"
    secret.write_text("not minik's\n")
    (home / "token").symlink_to(secret)
    with pytest.raises(MinikError, match="is a symbolic link"):
        paths.read_text(paths.token_file())
    with pytest.raises(FileNotFoundError):
        paths.read_text(home / "missing")


def test_writes_replace_a_link_instead_of_following_it(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "victim"
    target.write_text("keep me\n")
    (home / "kubeconfig").symlink_to(target)
    paths.write_private(home / "kubeconfig", b"new\n")
    assert target.read_text() == "keep me\n"
    assert not (home / "kubeconfig").is_symlink()
    assert (home / "kubeconfig").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in home.iterdir()) == ["kubeconfig"]  # no temporary file left


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8443", "https://evil.example:443", "https://127.0.0.1:99999", "https://127.0.0.1:1/x"],
)
def test_server_json_may_only_name_https_on_loopback(home: Path, url: str) -> None:
    (home / "server.json").write_text(json.dumps({"url": url, "pid": os.getpid()}))
    (home / "token").write_text("t0ken\n")
    res = minik(home, "get", "pods")
    refused(res, "not https://127.0.0.1:PORT")
    assert "t0ken" not in res.stderr


def test_tls_files_are_written_atomically_and_private(home: Path) -> None:
    cert, key = tls.ensure_certificate()
    for f in (cert, key):
        assert f.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in home.iterdir()) == ["tls.crt", "tls.key"]
    assert tls.ensure_certificate() == (cert, key)  # made once


def test_a_linked_tls_key_is_refused(home: Path, tmp_path: Path) -> None:
    (home / "tls.key").symlink_to(tmp_path / "nowhere")
    with pytest.raises(MinikError, match="is a symbolic link"):
        tls.ensure_certificate()


class _QuietLog(bounds.RotatingLog):
    std_fds = ()  # leave pytest's own stdout and stderr alone


@pytest.fixture
def rotating(home: Path) -> Iterator[logging.Handler]:
    handler = _QuietLog(paths.log_file(), maxBytes=10_000, backupCount=2)
    handler.setFormatter(logging.Formatter("%(message)s"))
    yield handler
    handler.close()


def test_server_log_rotates_and_stays_bounded(home: Path, rotating: logging.Handler) -> None:
    logger = logging.getLogger("minik.test.rotation")
    logger.propagate = False
    logger.addHandler(rotating)
    try:
        for i in range(2000):
            logger.warning("line %d %s", i, "x" * 80)
    finally:
        logger.removeHandler(rotating)
    files = sorted(p.name for p in home.iterdir())
    assert files == ["server.log", "server.log.1", "server.log.2"]
    assert sum((home / f).stat().st_size for f in files) <= 3 * 10_000
    assert "line 1999" in (home / "server.log").read_text()


def test_the_default_log_budget_is_small() -> None:
    assert bounds.LOG_BYTES * (bounds.LOG_BACKUPS + 1) <= 16 * 1024 * 1024


def test_the_open_file_limit_is_raised() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, soft), hard))
        got = bounds.raise_fd_limit(4096)
        want = 4096 if hard == resource.RLIM_INFINITY else min(4096, hard)
        assert got == want == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _sans(path: Path) -> tuple[set[str], set[str]]:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(path.read_bytes())
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(ext.get_values_for_type(x509.DNSName)), {
        str(ip) for ip in ext.get_values_for_type(x509.IPAddress)
    }


def test_the_pods_certificate_names_the_gateway_the_kubernetes_service_and_its_names(home: Path) -> None:
    loopback, _ = tls.ensure_certificate()
    before = loopback.read_bytes()
    cert, key = tls.ensure_pod_certificate(ips=("10.208.0.1", "10.208.1.0", "10.208.1.1"))
    names, ips = _sans(cert)
    assert names == {
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    }
    assert ips == {"10.208.0.1", "10.208.1.0", "10.208.1.1"}
    assert (os.stat(cert).st_mode & 0o777, os.stat(key).st_mode & 0o777) == (0o600, 0o600)
    first_key = key.read_bytes()
    # the network made anew on another subnet: signed again with the same key, for the new addresses
    tls.ensure_pod_certificate(ips=("10.208.4.1", "10.208.5.0", "10.208.5.1"))
    assert key.read_bytes() == first_key
    assert _sans(cert)[1] == {"10.208.4.1", "10.208.5.0", "10.208.5.1"}
    assert loopback.read_bytes() == before  # the certificate kubeconfigs trust never changes
    assert _sans(loopback) == ({"localhost"}, {"127.0.0.1"})
