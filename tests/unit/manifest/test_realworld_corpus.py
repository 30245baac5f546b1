"""The real-world corpus (``tests/fixtures/realworld/``) through ``--dry-run=client``.

Each file says on its first line what minik does with it: ``# expect: accept``
(exit 0) or ``# expect: reject: <text>`` (non-zero, exactly one error line,
which contains the text). A file whose objects only have ``generateName`` is
what users run with ``kubectl create -f``, so it goes through ``minik create``;
every other file through ``minik apply``. The acceptance rate is reported in
``docs/support.md`` and checked here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
import yaml

from minik.cli.common import Ctx
from minik.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
CORPUS = sorted((ROOT / "tests" / "fixtures" / "realworld").glob("*.yaml"))


@dataclass(frozen=True)
class Outcome:
    code: int
    errors: list[str]


def _no_server() -> NoReturn:
    raise AssertionError("--dry-run=client must not contact the server")


def _command(path: Path) -> str:
    for doc in yaml.safe_load_all(path.read_text()):
        m = (doc or {}).get("metadata") or {}
        if m.get("generateName") and not m.get("name"):
            return "create"
    return "apply"


def dry_run(path: Path) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [_command(path), "--dry-run=client", "-f", str(path)], ctx=Ctx(out=out, err=err, connect=_no_server)
    )
    errors = [line for line in err.getvalue().splitlines() if line and not line.startswith("Warning: ")]
    return Outcome(code, errors)


def expectation(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name}: the first line must be '# expect: …'"
    return first[len("# expect: ") :]


def test_the_corpus_has_at_least_sixty_files() -> None:
    assert len(CORPUS) >= 60


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_real_world_manifest_is_accepted_or_rejected_in_one_line(path: Path) -> None:
    expected = expectation(path)
    outcome = dry_run(path)
    if expected == "accept":
        assert (outcome.code, outcome.errors) == (0, [])
    else:
        assert expected.startswith("reject: ")
        assert outcome.code != 0
        assert len(outcome.errors) == 1, outcome.errors
        assert expected[len("reject: ") :] in outcome.errors[0]
        assert "Traceback" not in outcome.errors[0]


def acceptance_line() -> str:
    accepted = sum(1 for p in CORPUS if expectation(p) == "accept")
    percent = round(100 * accepted / len(CORPUS))
    return (
        f"Of the {len(CORPUS)} real-world manifest files in `tests/fixtures/realworld/`, "
        f"`minik apply --dry-run=client` (`minik create` for generateName-only files) accepts "
        f"{accepted} ({percent}%)."
    )


def test_docs_support_md_reports_the_corpus_acceptance_rate() -> None:
    doc = (ROOT / "docs" / "support.md").read_text()
    assert acceptance_line() in doc, f"docs/support.md should say: {acceptance_line()}"
