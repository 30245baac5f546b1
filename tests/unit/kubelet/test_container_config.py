"""A container's engine configuration from its spec (the kubelet's generateContainerConfig), pure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from minik.kubelet.container_config import container_config


def cfg(
    c: dict[str, Any], pod_sc: dict[str, Any] | None = None, env: dict[str, str] | None = None, **kw: Any
) -> dict[str, Any]:
    spec = {"securityContext": pod_sc or {}}
    return container_config(
        {"name": "c", **c},
        spec,
        env or {},
        network_mode="container:sb",
        binds=kw.get("binds", []),
        tmpfs=None,
        message_file=kw.get("message_file"),
    )


def test_command_and_args_expand_dollar_vars_from_the_environment() -> None:
    out = cfg({"command": ["sh", "-c"], "args": ["echo $(WHO) $$(WHO)"]}, env={"WHO": "x"})
    assert out["entrypoint"] == ["sh", "-c"] and out["command"] == ["echo x $(WHO)"]
    assert out["environment"] == ["WHO=x"]


def test_no_command_keeps_the_image_entrypoint() -> None:
    out = cfg({})
    assert "entrypoint" not in out and out["command"] is None


@pytest.mark.parametrize(
    ("scenario", "c", "pod_sc", "want_user"),
    [
        (
            "the container's runAsUser and runAsGroup",
            {"securityContext": {"runAsUser": 10, "runAsGroup": 20}},
            {},
            "10:20",
        ),
        ("the pod's runAsUser when the container has none", {}, {"runAsUser": 7}, "7"),
        ("the container's wins over the pod's", {"securityContext": {"runAsUser": 1}}, {"runAsUser": 7}, "1"),
        ("no runAsUser: the image's user", {}, {}, None),
    ],
)
def test_the_user_comes_from_the_security_contexts(
    scenario: str, c: dict[str, Any], pod_sc: dict[str, Any], want_user: str | None
) -> None:
    assert cfg(c, pod_sc).get("user") == want_user, scenario


def test_limits_privileges_and_capabilities_map_to_the_engine() -> None:
    c = {
        "resources": {"limits": {"memory": "64Mi", "cpu": "500m"}},
        "securityContext": {
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]},
        },
    }
    hc = cfg(c)["host_config"]
    assert hc["mem_limit"] == 64 * 1024 * 1024
    assert (hc["cpu_period"], hc["cpu_quota"]) == (100_000, 50_000)
    assert hc["read_only"] is True and hc["security_opt"] == ["no-new-privileges"]
    assert hc["cap_add"] == ["NET_ADMIN"] and hc["cap_drop"] == ["ALL"]
    assert hc["network_mode"] == "container:sb"


def test_the_termination_message_file_is_bound_at_its_path(tmp_path: Path) -> None:
    f = tmp_path / "t"
    out = cfg({"terminationMessagePath": "/dev/termination-log"}, binds=["/a:/b"], message_file=f)
    assert out["host_config"]["binds"] == ["/a:/b", f"{f}:/dev/termination-log"]
