"""Volume paths a manifest cannot use to reach outside its volume (issue 17), on a real file system."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from minik.kubelet.errors import ConfigError
from minik.kubelet.paths_safe import DATA_LINK, check_expanded_subpath, resolve_subpath, write_atomically


@pytest.mark.parametrize(
    ("scenario", "raw", "expanded", "error"),
    [
        (
            "an expression that expands to / is refused",
            "$(X)",
            "/",
            "error SubPath `/` must not be an absolute path",
        ),
        (
            "an absolute expansion is refused",
            "$(X)/data",
            "/etc/data",
            "error SubPath `/etc/data` must not be an absolute path",
        ),
        (
            "a backstep is refused",
            "$(X)",
            "../../etc",
            "unable to provision SubPath `$(X)`: must not contain '..'",
        ),
        ("a relative path passes", "$(POD)/logs", "p-0/logs", None),
        ("a name with dots passes", "$(X)", "a..b", None),
    ],
)
def test_sub_path_expr_is_checked_after_expansion(
    scenario: str, raw: str, expanded: str, error: str | None
) -> None:
    if error is None:
        check_expanded_subpath(raw, expanded)
        return
    with pytest.raises(ConfigError) as info:
        check_expanded_subpath(raw, expanded)
    assert str(info.value) == error, scenario


def test_a_missing_sub_path_is_made_inside_the_volume(tmp_path: Path) -> None:
    got = resolve_subpath(str(tmp_path), "a/b")
    assert got == str((tmp_path / "a" / "b").resolve()) and (tmp_path / "a" / "b").is_dir()


def test_a_symlink_planted_to_the_hosts_root_is_not_followed(tmp_path: Path) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "escape").symlink_to("/")
    with pytest.raises(ConfigError, match="not within volume path"):
        resolve_subpath(str(vol), "escape")
    with pytest.raises(ConfigError, match="not within volume path"):
        resolve_subpath(str(vol), "escape/etc")


def test_a_relative_symlink_climbing_out_is_not_followed(tmp_path: Path) -> None:
    vol = tmp_path / "vol"
    (vol / "d").mkdir(parents=True)
    (vol / "d" / "up").symlink_to("../..")
    with pytest.raises(ConfigError, match="not within volume path"):
        resolve_subpath(str(vol), "d/up")


def test_a_symlink_within_the_volume_is_followed(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to("real")
    assert resolve_subpath(str(tmp_path), "alias") == str((tmp_path / "real").resolve())


def test_rendered_files_are_published_through_a_data_link(tmp_path: Path) -> None:
    target = tmp_path / "cfg"
    write_atomically(target, [("key", b"v1", 0o644), ("dir/nested", b"n", 0o600)])
    assert os.readlink(target / DATA_LINK).startswith("..")
    assert (target / "key").read_bytes() == b"v1" and os.readlink(target / "key") == f"{DATA_LINK}/key"
    assert (target / "dir" / "nested").read_bytes() == b"n"
    first = os.readlink(target / DATA_LINK)
    write_atomically(target, [("key", b"v2", 0o644)])
    assert (target / "key").read_bytes() == b"v2"
    assert os.readlink(target / DATA_LINK) != first and not (target / first).exists()


def test_rendering_never_writes_through_a_planted_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.write_text("untouched")
    target = tmp_path / "cfg"
    target.mkdir()
    (target / "key").symlink_to(outside)  # what a writable volume would have let a container plant
    write_atomically(target, [("key", b"data", 0o644)])
    assert outside.read_text() == "untouched"
    assert (target / "key").read_bytes() == b"data" and os.readlink(target / "key") == f"{DATA_LINK}/key"


def test_paths_with_backsteps_are_never_written(tmp_path: Path) -> None:
    write_atomically(tmp_path / "cfg", [("../escape", b"x", 0o644)])
    assert not (tmp_path / "escape").exists()
