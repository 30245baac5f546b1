"""docs/support.md is generated from the one support list and kept in step."""

from __future__ import annotations

from pathlib import Path

from minik.manifest import support_markdown


def test_docs_support_md_lists_exactly_the_support_table() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "support.md").read_text()
    assert support_markdown().strip() in doc
