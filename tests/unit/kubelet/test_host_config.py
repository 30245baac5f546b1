"""Host namespaces, host ports, seccomp and terminals in the engine config (pure), and Localhost profiles.

Upstream: ``pkg/kubelet/kuberuntime/kuberuntime_sandbox.go`` (the sandbox owns
the network namespace and the port mappings), ``security_context_others.go``
and ``helpers.go`` (namespace modes, ``getSeccompProfile``: the container's
profile wins over the pod's), ``pkg/apis/core/types.go`` (tty/stdin/stdinOnce).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from minik.kubelet.container_config import (
    container_config,
    localhost_profile,
    published_ports,
    sandbox_config,
    terminal,
)
from minik.kubelet.errors import ConfigError
from minik.kubelet.seccomp import MAX_PROFILE_BYTES, read_profile


def cfg(c: dict[str, Any], spec: dict[str, Any], *, profile: str | None = None) -> dict[str, Any]:
    return container_config(
        {"name": "c", **c},
        spec,
        {},
        network_mode="container:sb",
        binds=[],
        tmpfs=None,
        seccomp_profile=profile,
    )


@pytest.mark.parametrize(
    ("scenario", "spec", "want"),
    [
        ("no host namespaces: the engine's private ones", {}, {}),
        ("hostPID: the host's process namespace", {"hostPID": True}, {"pid_mode": "host"}),
        ("hostIPC: the host's IPC namespace", {"hostIPC": True}, {"ipc_mode": "host"}),
        (
            "both, false ones ignored",
            {"hostPID": True, "hostIPC": True, "hostNetwork": False},
            {"pid_mode": "host", "ipc_mode": "host"},
        ),
    ],
)
def test_host_pid_and_ipc_become_every_containers_namespace_modes(
    scenario: str, spec: dict[str, Any], want: dict[str, str]
) -> None:
    hc = cfg({}, spec)["host_config"]
    got = {k: hc[k] for k in ("pid_mode", "ipc_mode") if k in hc}
    assert got == want, scenario


UNCONFINED = {"seccompProfile": {"type": "Unconfined"}}
RUNTIME_DEFAULT = {"seccompProfile": {"type": "RuntimeDefault"}}
LOCALHOST = {"seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/a.json"}}


@pytest.mark.parametrize(
    ("scenario", "pod_sc", "c_sc", "want"),
    [
        ("no profile anywhere: the engine's default", {}, {}, None),
        ("pod Unconfined", UNCONFINED, {}, ["seccomp=unconfined"]),
        ("pod RuntimeDefault: the engine's default", RUNTIME_DEFAULT, {}, None),
        ("container RuntimeDefault wins over pod Unconfined", UNCONFINED, RUNTIME_DEFAULT, None),
        ("container Unconfined wins over pod RuntimeDefault", RUNTIME_DEFAULT, UNCONFINED, ["seccomp=unconfined"]),
        ("Localhost: the profile's text", {}, LOCALHOST, ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']),
        (
            "no-new-privileges comes first",
            {},
            {**UNCONFINED, "allowPrivilegeEscalation": False},
            ["no-new-privileges", "seccomp=unconfined"],
        ),
    ],
)  # fmt: skip
def test_the_seccomp_profile_becomes_the_engines_security_option(
    scenario: str, pod_sc: dict[str, Any], c_sc: dict[str, Any], want: list[str] | None
) -> None:
    c = {"securityContext": c_sc}
    spec = {"securityContext": pod_sc}
    local = localhost_profile(c, spec)
    profile = '{"defaultAction":"SCMP_ACT_ALLOW"}' if local is not None else None
    assert cfg(c, spec, profile=profile)["host_config"].get("security_opt") == want, scenario


def test_a_localhost_profile_is_named_relative_to_the_profile_directory() -> None:
    assert localhost_profile({"securityContext": LOCALHOST}, {}) == "profiles/a.json"
    assert localhost_profile({}, {"securityContext": LOCALHOST}) == "profiles/a.json"
    assert localhost_profile({"securityContext": UNCONFINED}, {"securityContext": LOCALHOST}) is None


@pytest.mark.parametrize(
    ("scenario", "c", "want"),
    [
        ("neither", {}, {}),
        ("tty alone", {"tty": True}, {"tty": True}),
        ("stdin kept open for every attach", {"stdin": True}, {"stdin_open": True, "detach": True}),
        (
            "stdin closed after the first attach",
            {"stdin": True, "stdinOnce": True, "tty": True},
            {"tty": True, "stdin_open": True, "detach": False},
        ),
        ("stdinOnce without stdin means nothing", {"stdinOnce": True}, {}),
    ],
)
def test_tty_and_stdin_map_to_the_engines_terminal_settings(
    scenario: str, c: dict[str, Any], want: dict[str, Any]
) -> None:
    assert terminal(c) == want, scenario
    out = cfg(c, {})
    assert {k: out[k] for k in ("tty", "stdin_open", "detach") if k in out} == want, scenario


def _ports(*ports: dict[str, Any]) -> dict[str, Any]:
    return {"containers": [{"name": "c", "ports": [{"protocol": "TCP", **p} for p in ports]}]}


@pytest.mark.parametrize(
    ("scenario", "spec", "want"),
    [
        ("no hostPort: nothing published", _ports({"containerPort": 80}), {}),
        (
            "a hostPort is bound on loopback only",
            _ports({"containerPort": 80, "hostPort": 8080}),
            {"ports": [(80, "tcp")], "host_config": {"port_bindings": {"80/tcp": [("127.0.0.1", 8080)]}}},
        ),
        (
            "hostIP names the address; UDP keeps its protocol",
            _ports({"containerPort": 53, "hostPort": 5353, "protocol": "UDP", "hostIP": "0.0.0.0"}),
            {"ports": [(53, "udp")], "host_config": {"port_bindings": {"53/udp": [("0.0.0.0", 5353)]}}},
        ),
        (
            "one container port on two host ports",
            _ports({"containerPort": 80, "hostPort": 8080}, {"containerPort": 80, "hostPort": 8081}),
            {
                "ports": [(80, "tcp")],
                "host_config": {"port_bindings": {"80/tcp": [("127.0.0.1", 8080), ("127.0.0.1", 8081)]}},
            },
        ),
        (
            "under hostNetwork nothing is published",
            {**_ports({"containerPort": 80, "hostPort": 80}), "hostNetwork": True},
            {},
        ),
    ],
)
def test_host_ports_are_published_where_the_pods_network_is_made(
    scenario: str, spec: dict[str, Any], want: dict[str, Any]
) -> None:
    assert published_ports(spec) == want, scenario


def test_a_host_network_sandbox_joins_the_host_and_keeps_its_hostname() -> None:
    spec = {**_ports({"containerPort": 80, "hostPort": 80}), "hostNetwork": True, "hostname": "h"}
    assert sandbox_config(spec, name="p", namespace="ns", network="minik-x") == {
        "host_config": {"network_mode": "host", "init": False}
    }


def test_a_pod_network_sandbox_has_the_pods_hostname_domain_and_host_ports() -> None:
    spec = {**_ports({"containerPort": 80, "hostPort": 8080}), "subdomain": "svc"}
    assert sandbox_config(spec, name="p" * 70, namespace="ns", network="minik-x") == {
        "hostname": "p" * 63,
        "domainname": "svc.ns.svc.cluster.local",
        "ports": [(80, "tcp")],
        "host_config": {
            "network_mode": "minik-x",
            "init": False,
            "port_bindings": {"80/tcp": [("127.0.0.1", 8080)]},
        },
    }


# -- Localhost profiles: read below $MINIK_HOME/seccomp, never outside -------------------------


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "seccomp" / "profiles").mkdir(parents=True)
    (tmp_path / "seccomp" / "profiles" / "ok.json").write_text('{"defaultAction": "SCMP_ACT_LOG"}')
    (tmp_path / "secret.json").write_text('{"token": "do-not-read"}')
    return tmp_path


def test_a_profile_in_the_directory_is_read(home: Path) -> None:
    assert read_profile(home, "profiles/ok.json") == '{"defaultAction": "SCMP_ACT_LOG"}'


def _link_file_out(home: Path) -> None:
    os.symlink("../../secret.json", home / "seccomp" / "profiles" / "link.json")


def _link_dir_out(home: Path) -> None:
    os.symlink("..", home / "seccomp" / "escape")


def _not_json(home: Path) -> None:
    (home / "seccomp" / "profiles" / "bad.json").write_text("{not json")


def _nothing(home: Path) -> None:
    pass


@pytest.mark.parametrize(
    ("scenario", "relative", "plant", "words"),
    [
        ("a missing file", "profiles/none.json", _nothing, "no such file or directory"),
        (
            "a .. path (validation refuses it too)",
            "../secret.json",
            _nothing,
            "must be a relative path below",
        ),
        ("an absolute path", "/etc/passwd", _nothing, "must be a relative path below"),
        ("a link to a file outside", "profiles/link.json", _link_file_out, "leads out of"),
        ("a link to a directory outside", "escape/secret.json", _link_dir_out, "leads out of"),
        ("not JSON", "profiles/bad.json", _not_json, "not JSON"),
        ("a directory", "profiles", _nothing, "is a directory"),
    ],
)
def test_a_localhost_profile_is_read_only_from_the_profile_directory(
    home: Path, scenario: str, relative: str, plant: Callable[[Path], None], words: str
) -> None:
    plant(home)
    with pytest.raises(ConfigError) as exc:
        read_profile(home, relative)
    assert words in str(exc.value), (scenario, str(exc.value))
    assert "do-not-read" not in str(exc.value)


def test_a_profile_over_a_mebibyte_is_refused(home: Path) -> None:
    (home / "seccomp" / "big.json").write_text(" " * (MAX_PROFILE_BYTES + 1))
    with pytest.raises(ConfigError, match="larger than"):
        read_profile(home, "big.json")
