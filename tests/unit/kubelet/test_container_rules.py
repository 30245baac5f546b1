"""The kubelet's pure container rules: runAsNonRoot, no-new-privileges, termination messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from minik.kubelet import termination
from minik.kubelet.security import needs_image_user, security_opts, verify_run_as_non_root

POD = "p_default(u1)"


def container(**sc: Any) -> dict[str, Any]:
    return {"name": "c", "securityContext": sc} if sc else {"name": "c"}


@pytest.mark.parametrize(
    ("scenario", "c", "pod_sc", "image_user", "want"),
    [
        ("runAsNonRoot unset: anything runs", container(), {}, "", None),
        ("runAsNonRoot with runAsUser 1000 runs", container(runAsNonRoot=True, runAsUser=1000), {}, "", None),
        (
            "runAsNonRoot with runAsUser 0 breaks the policy",
            container(runAsNonRoot=True, runAsUser=0),
            {},
            "",
            'container\'s runAsUser breaks non-root policy (pod: "p_default(u1)", container: c)',
        ),
        (
            "an image with no USER runs as root",
            container(),
            {"runAsNonRoot": True},
            "",
            'container has runAsNonRoot and image will run as root (pod: "p_default(u1)", container: c)',
        ),
        (
            "an image whose USER is 0 runs as root",
            container(runAsNonRoot=True),
            {},
            "0:0",
            'container has runAsNonRoot and image will run as root (pod: "p_default(u1)", container: c)',
        ),
        ("an image whose USER is 1000 runs", container(runAsNonRoot=True), {}, "1000", None),
        (
            "a non-numeric image USER cannot be verified",
            container(runAsNonRoot=True),
            {},
            "nobody",
            "container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is "
            'non-root (pod: "p_default(u1)", container: c)',
        ),
        ("the pod's runAsUser counts", container(runAsNonRoot=True), {"runAsUser": 5}, "", None),
        (
            "the container's runAsNonRoot false overrides the pod's",
            container(runAsNonRoot=False),
            {"runAsNonRoot": True},
            "",
            None,
        ),
    ],
)
def test_run_as_non_root_as_the_kubelet_verifies_it(
    scenario: str, c: dict[str, Any], pod_sc: dict[str, Any], image_user: str, want: str | None
) -> None:
    spec = {"securityContext": pod_sc}
    assert verify_run_as_non_root(c, spec, POD, image_user) == want, scenario


def test_the_image_user_is_looked_up_only_when_it_decides() -> None:
    assert needs_image_user(container(runAsNonRoot=True), {})
    assert not needs_image_user(container(runAsNonRoot=True, runAsUser=7), {})
    assert not needs_image_user(container(), {})


def test_allow_privilege_escalation_false_is_no_new_privileges() -> None:
    assert security_opts(container(allowPrivilegeEscalation=False)) == ["no-new-privileges"]
    assert security_opts(container(allowPrivilegeEscalation=True)) == []
    assert security_opts(container()) == []


def test_a_termination_message_keeps_its_last_4096_bytes(tmp_path: Path) -> None:
    f = tmp_path / "msg"
    f.write_bytes(b"x" * 5000 + b"END")
    got = termination.read_file(f, termination.per_container_cap({"containers": [{"name": "c"}]}))
    assert len(got) == 4096 and got.endswith("END")


def test_a_pod_of_four_containers_shares_12_kib() -> None:
    spec = {"containers": [{"name": str(i)} for i in range(4)]}
    assert termination.per_container_cap(spec) == 3072


def test_a_symlink_in_place_of_the_message_file_is_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("host data")
    link = tmp_path / "msg"
    link.symlink_to(secret)
    assert termination.read_file(link, 4096) == ""


@pytest.mark.parametrize(
    ("policy", "code", "falls_back"),
    [("FallbackToLogsOnError", 1, True), ("FallbackToLogsOnError", 0, False), ("File", 1, False)],
)
def test_logs_stand_in_only_for_a_failure_under_fallback_to_logs_on_error(
    policy: str, code: int, falls_back: bool
) -> None:
    assert termination.falls_back_to_logs({"terminationMessagePolicy": policy}, code) is falls_back


def test_the_log_fallback_is_the_last_80_lines_at_most_2048_bytes() -> None:
    log = b"".join(f"line {i}\n".encode() for i in range(200))
    got = termination.from_logs(log, 4096)
    assert got.splitlines()[0] == "line 120" and got.endswith("line 199\n")
    long = b"y" * 3000 + b"\n"
    assert len(termination.from_logs(long, 4096)) == 2048
