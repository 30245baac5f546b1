"""An instance's process and addresses, without Docker: subnets, the lock, the server's spawn, teardown."""

from __future__ import annotations

import fcntl
import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from minik import process
from minik.cli import server_ctl
from minik.errors import MinikError
from minik.kubelet import subnets
from minik.server.teardown import instance_of, remove_state_dir

N = ipaddress.IPv4Network


# -- subnets ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("scenario", "pool", "prefix", "used", "first_two"),
    [
        (
            "an empty engine takes the pool's first subnets",
            "10.208.0.0/12",
            22,
            [],
            ["10.208.0.0/22", "10.208.4.0/22"],
        ),
        (
            "a subnet another network holds is skipped",
            "10.208.0.0/12",
            22,
            ["10.208.0.0/22"],
            ["10.208.4.0/22", "10.208.8.0/22"],
        ),
        (
            "a host route covering part of the pool skips every subnet it overlaps",
            "10.208.0.0/12",
            22,
            ["10.208.0.0/21"],
            ["10.208.8.0/22", "10.208.12.0/22"],
        ),
        (
            "a wider used range skips nothing outside the pool",
            "10.208.0.0/12",
            22,
            ["172.17.0.0/16"],
            ["10.208.0.0/22", "10.208.4.0/22"],
        ),
        ("a small pool of /24s", "192.0.2.0/23", 24, ["192.0.2.0/24"], ["192.0.3.0/24"]),
    ],
)
def test_instance_subnets_come_from_minik_range(
    scenario: str, pool: str, prefix: int, used: list[str], first_two: list[str]
) -> None:
    got = subnets.candidates(N(pool), prefix, [N(u) for u in used])
    assert [str(n) for n, _ in zip(got, range(2), strict=False)] == first_two, scenario


def test_the_default_pool_holds_hundreds_of_instances_outside_dockers_default_pools() -> None:
    pool, prefix = N(subnets.DEFAULT_POOL), subnets.DEFAULT_PREFIX
    assert len(list(pool.subnets(new_prefix=prefix))) >= 500
    for docker_default in ("172.17.0.0/16", "172.16.0.0/12", "192.168.0.0/16"):
        assert not pool.overlaps(N(docker_default))


def test_proc_net_route_is_read_without_the_default_route() -> None:
    text = (
        "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
    )
    assert subnets.parse_routes(text) == [N("172.17.0.0/16")]


@pytest.mark.parametrize(
    ("pool", "prefix", "says"),
    [
        ("10.0.0.0/33", "22", "MINIK_SUBNET_POOL"),
        ("10.0.0.1/16", "22", "MINIK_SUBNET_POOL"),
        ("10.0.0.0/16", "8", "MINIK_SUBNET_PREFIX"),
    ],
)
def test_a_bad_subnet_setting_is_one_sentence(
    monkeypatch: pytest.MonkeyPatch, pool: str, prefix: str, says: str
) -> None:
    monkeypatch.setenv("MINIK_SUBNET_POOL", pool)
    monkeypatch.setenv("MINIK_SUBNET_PREFIX", prefix)
    with pytest.raises(MinikError, match=says):
        subnets.pool_from_env()


# -- the lock decides whether server.json is believed ----------------------------
def _write_info(home: Path, pid: int) -> None:
    (home / "server.json").write_text(json.dumps({"url": "https://127.0.0.1:1", "pid": pid}))


def test_a_stale_server_json_naming_a_live_unrelated_pid_is_not_believed(tmp_path: Path) -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        _write_info(tmp_path, bystander.pid)
        assert process.pid_alive(bystander.pid)
        assert process.live_info(tmp_path) is None  # no server holds the lock
        assert process.stop_now(tmp_path) is False
        assert bystander.poll() is None  # never signalled
    finally:
        bystander.kill()
        bystander.wait()


def test_server_stop_never_signals_a_pid_the_lock_does_not_vouch_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINIK_HOME", str(tmp_path))
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        _write_info(tmp_path, bystander.pid)
        assert server_ctl.stop() is False
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_a_held_lock_and_a_live_pid_make_a_running_server(tmp_path: Path) -> None:
    _write_info(tmp_path, os.getpid())
    with open(tmp_path / "server.lock", "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        info = process.live_info(tmp_path)
        assert info is not None and info.pid == os.getpid()
    assert process.live_info(tmp_path) is None


# -- the server is spawned so that the caller's directory is never imported ------
def test_the_server_runs_with_a_safe_path_and_no_foreign_pythonpath(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([".", "/somewhere/else", ""]))
    argv, env = server_ctl.server_command("run")
    assert argv[:4] == [sys.executable, "-P", "-m", "minik.server"]
    here = str(Path(server_ctl.__file__).resolve().parents[2])
    assert env.get("PYTHONPATH", here) == here  # only the checkout this minik came from, if any


def test_a_source_checkout_found_from_the_working_directory_is_what_the_server_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYTHONPATH", raising=False)
    here = Path(server_ctl.__file__).resolve().parents[2]
    _, env = server_ctl.server_command("run")
    if here.name in ("site-packages", "dist-packages"):
        assert "PYTHONPATH" not in env
    else:
        assert env["PYTHONPATH"] == str(here)


def test_a_pythonpath_that_found_this_minik_is_kept_alone_unless_it_is_site_packages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    here = Path(server_ctl.__file__).resolve().parents[2]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([".", str(here)]))
    _, env = server_ctl.server_command("run")
    if here.name in ("site-packages", "dist-packages"):
        assert "PYTHONPATH" not in env  # an installed minik is found without it
    else:
        assert env["PYTHONPATH"] == str(here)


# -- teardown removes only what minik made --------------------------------------
def test_a_state_directory_with_only_minik_files_is_removed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "pods" / "uid").mkdir(parents=True)
    for name in ("minik.db", "minik.db-wal", "token", "kubeconfig", "server.log", "instance", "tls.crt"):
        (home / name).write_text("x")
    said: list[str] = []
    remove_state_dir(home, said.append)
    assert not home.exists()
    assert said == [f"removed state directory {home}"]


def test_a_directory_holding_other_files_keeps_them_and_loses_minik_s_own(tmp_path: Path) -> None:
    (tmp_path / "pods" / "uid").mkdir(parents=True)
    (tmp_path / "seccomp").mkdir()
    (tmp_path / "seccomp" / "profile.json").write_text("{}")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "precious").write_text("x")
    for name in (
        "minik.db",
        "minik.db-wal",
        "token",
        "kubeconfig",
        "tls.key",
        "tls.crt",
        "sa.key",
        "server.json",
        "instance",
    ):
        (tmp_path / name).write_text("secret")
    (tmp_path / "server.log").symlink_to(outside / "precious")  # a link is removed, never followed
    (tmp_path / "thesis.tex").write_text("x")
    said: list[str] = []
    remove_state_dir(tmp_path, said.append)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seccomp", "thesis.tex"]
    assert (tmp_path / "seccomp" / "profile.json").read_text() == "{}"
    assert (outside / "precious").read_text() == "x"
    assert said == [
        f"removed minik's files from {tmp_path} and kept the directory: it holds files minik did not make "
        "(seccomp, thesis.tex)"
    ]


@pytest.mark.parametrize(("text", "want"), [("1a2b3c4d\n", "1a2b3c4d"), ("../../etc\n", None), ("", None)])
def test_an_instance_id_is_read_only_when_well_formed(tmp_path: Path, text: str, want: str | None) -> None:
    (tmp_path / "instance").write_text(text)
    assert instance_of(tmp_path) == want


# -- a restarted server takes its port again --------------------------------------------
def test_a_restarted_server_listens_on_its_last_port_unless_it_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minik.server import state
    from minik.server.main import api_socket

    monkeypatch.setenv("MINIK_HOME", str(tmp_path))
    assert state.previous_port() is None  # never started
    first = api_socket(None, None)
    port = first.getsockname()[1]
    state.write_kubeconfig(f"https://127.0.0.1:{port}", "t", b"pem")
    assert state.previous_port() == port
    first.close()  # the server stopped
    again = api_socket(None, state.previous_port())
    assert again.getsockname()[1] == port
    again.listen()  # now another process holds it
    other = api_socket(None, state.previous_port())
    assert other.getsockname()[1] not in (0, port)
    for s in (again, other):
        s.close()


@pytest.mark.parametrize(
    "server",
    [
        "https://127.0.0.1:80",
        "https://10.0.0.1:6443",
        "http://127.0.0.1:6443",
        "https://127.0.0.1:99999",
        "x",
    ],
)
def test_only_a_loopback_https_port_of_a_user_range_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    from minik.server import state

    monkeypatch.setenv("MINIK_HOME", str(tmp_path))
    state.write_kubeconfig(server, "t", b"pem")
    assert state.previous_port() is None
