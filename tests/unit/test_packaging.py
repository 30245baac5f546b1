"""The schemas ship inside the installed package (tox installs a built wheel)."""

from __future__ import annotations

import importlib.resources
import json

import minik


def test_the_package_is_imported_from_an_install_not_the_source_tree() -> None:
    # tox runs the tests against the installed wheel; outside tox this may be the tree.
    assert minik.__file__ is not None


def test_schemas_are_package_data() -> None:
    files = [p for p in importlib.resources.files("minik.schemas").iterdir() if p.name.endswith(".json")]
    assert files, "no JSON schema shipped in minik.schemas"
    for f in files:
        json.loads(f.read_text())


def test_kubectl_explains_descriptions_are_package_data() -> None:
    """Upstream's descriptions (scripts/docgen.py) ship with the API; nothing at run time needs the test extra."""
    text = importlib.resources.files("minik.api").joinpath("openapi_docs.json").read_text(encoding="utf-8")
    assert json.loads(text)["types"]["JobSpec"]["fields"]["backoffLimit"][0].startswith(
        "Specifies the number"
    )
