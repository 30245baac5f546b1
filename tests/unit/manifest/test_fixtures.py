"""Every fixture: invalid ones fail with exactly their ``# expect:`` lines; valid ones pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from minik import manifest
from minik.errors import ManifestError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "manifests"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
VALID = sorted((FIXTURES / "valid").iterdir()) + sorted(EXAMPLES.glob("*.yaml"))


def _errors(path: Path) -> list[str]:
    text = path.read_text()
    docs, errors = manifest.parse(text, path.name)
    try:
        if errors:
            raise ManifestError(errors)
        manifest.validate_documents(docs)
    except ManifestError as exc:
        return [e.render()[len(path.name) + 1 :] for e in exc.errors]
    return []


def test_there_are_at_least_forty_invalid_fixtures() -> None:
    assert len(INVALID) >= 40


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_reports_exactly_the_expected_located_errors(path: Path) -> None:
    expected = [
        line[len("# expect: ") :] for line in path.read_text().splitlines() if line.startswith("# expect: ")
    ]
    assert expected, f"{path.name} has no # expect: lines"
    assert _errors(path) == expected


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_fixture_is_accepted(path: Path) -> None:
    assert _errors(path) == []


def test_loading_a_directory_reads_every_manifest() -> None:
    docs = manifest.load([str(FIXTURES / "valid")])
    kinds = sorted(d.obj["kind"] for d in docs)
    assert kinds.count("Job") == 4 and "Pod" in kinds and "List" not in kinds


def test_every_accepted_manifest_is_accepted_by_the_official_schema() -> None:
    kv = pytest.importorskip("kubernetes_validate")
    docs = manifest.load([str(p) for p in VALID])
    for doc in docs:
        kv.validate(doc.obj, "1.33.0", strict=True)
