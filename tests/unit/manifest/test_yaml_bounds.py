"""Manifests that would make minik work for ever are refused at once, in one sentence.

A billion-laughs file (nine lines of nested aliases) used to keep `minik
apply --dry-run=client` busy for minutes; names, labels and keys that end
in a newline used to pass the `$`-anchored patterns.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from minik import manifest
from minik.errors import ManifestError
from minik.manifest import yamlsafe

# A YAML alias bomb ("billion laughs"): nine levels of nine aliases, 9^9 strings once expanded.
BOMB = (Path(__file__).parents[2] / "fixtures" / "billion-laughs.yaml").read_text()


def test_a_billion_laughs_file_is_refused_in_well_under_a_second() -> None:
    start = time.perf_counter()
    with pytest.raises(ManifestError) as info:
        manifest.load(["-"], stdin=io.StringIO(BOMB))
    took = time.perf_counter() - start
    assert took < 1.0, f"took {took:.2f}s"
    (error,) = info.value.errors
    assert error.location == "<stdin>:1:1"
    assert "aliases expand it to" in error.body()


def test_apply_dry_run_refuses_the_bomb_with_one_sentence_and_exit_1(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    start = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "minik", "apply", "--dry-run=client", "-f", str(bomb)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"MINIK_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
    )
    took = time.perf_counter() - start
    assert res.returncode == 1, res
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "aliases expand it" in lines[0], res.stderr
    assert "Traceback" not in res.stderr
    assert took < 10.0, f"took {took:.2f}s (interpreter start-up included)"


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(ManifestError) as info:
        manifest.load(["-"], stdin=io.StringIO("apiVersion: v1\nkind: ConfigMap\ndata: &a {k: *a}\n"))
    assert "refers to a node containing itself" in info.value.errors[0].body()


def test_an_integer_of_more_than_4300_digits_is_a_located_error() -> None:
    with pytest.raises(ManifestError) as info:
        manifest.load(["-"], stdin=io.StringIO("apiVersion: v1\nkind: ConfigMap\nx: " + "9" * 5000 + "\n"))
    (error,) = info.value.errors
    assert error.location.startswith("<stdin>:") and "4300" in error.body()


def test_ordinary_aliases_still_work() -> None:
    text = """apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: a, image: busybox, env: &env [{name: X, value: "1"}]}
      - {name: b, image: busybox, env: *env}
"""
    (doc,) = manifest.load(["-"], stdin=io.StringIO(text))
    containers = doc.obj["spec"]["template"]["spec"]["containers"]
    assert containers[1]["env"] == [{"name": "X", "value": "1"}]


def test_the_budget_counts_values_added_by_aliases_only() -> None:
    import yaml

    node = yaml.compose("a: &a [1, 2, 3]\nb: [*a, *a]\n", Loader=yamlsafe.Loader)
    total, distinct = yamlsafe.expanded_size(node)
    assert (total, distinct) == (16, 8)  # the mapping, 2 keys, 2 lists, 3 items; 2 × 4 by alias
    yamlsafe.check_aliases(node, budget=8)
    with pytest.raises(yamlsafe.AliasBomb):
        yamlsafe.check_aliases(node, budget=7)


def _errors(obj: dict[str, Any]) -> list[str]:
    errors, _ = manifest.validate_object(obj)
    return [e.path for e in errors]


CM: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"k": "v"}}


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("metadata.name", lambda o: o["metadata"].update(name="cm\n")),
        ("metadata.labels", lambda o: o["metadata"].update(labels={"app\n": "x"})),
        ("metadata.labels", lambda o: o["metadata"].update(labels={"app": "x\n"})),
        ("data", lambda o: o.update(data={"k\n": "v"})),
    ],
)
def test_names_labels_and_keys_ending_in_a_newline_are_rejected(where: str, change: Any) -> None:
    import copy

    obj = copy.deepcopy(CM)
    assert _errors(obj) == []
    change(obj)
    assert any(path.startswith(where) for path in _errors(obj)), _errors(obj)
