"""Secret ``data`` and ConfigMap ``binaryData``: base64 as Go's ``encoding/json`` reads ``[]byte``."""

from __future__ import annotations

from typing import Any

import pytest

from minik import manifest

HELLO_WORLD = "aGVsbG8gd29ybGQ="  # "hello world"


def secret(value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": value}}


def configmap(value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "binaryData": {"k": value}}


CASES = [
    # (scenario, value, stored value or None when refused)
    ("one line", HELLO_WORLD, HELLO_WORLD),
    ("folded over lines, as a YAML block scalar", "aGVsbG8g\nd29ybGQ=\n", HELLO_WORLD),
    ("folded with CRLF line ends", "aGVsbG8g\r\nd29ybGQ=\r\n", HELLO_WORLD),
    ("a line break inside the padding", "aGVsbG8gd29ybGQ\n=", HELLO_WORLD),
    ("empty", "", ""),
    ("a space is not skipped", "aGVsbG8g d29ybGQ=", None),
    ("a tab is not skipped", "aGVsbG8g\td29ybGQ=", None),
    ("padding is required", "aGVsbG8gd29ybGQ", None),
    ("not the standard alphabet", "aGVsbG8_d29ybGQ=", None),
]


@pytest.mark.parametrize("build", [secret, configmap], ids=["Secret data", "ConfigMap binaryData"])
@pytest.mark.parametrize(("value", "stored"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bytes_are_read_as_the_api_server_reads_them(build: Any, value: str, stored: str | None) -> None:
    obj = manifest.default_object(build(value))
    errors, _ = manifest.validate_object(obj)
    field = "data" if obj["kind"] == "Secret" else "binaryData"
    if stored is None:
        assert [(e.path, e.detail) for e in errors] == [
            (f"{field}[k]", '"<secret contents redacted>": illegal base64 data')
        ]
    else:
        assert errors == [] and obj[field] == {"k": stored}


def test_a_folded_secret_applies_from_a_manifest(tmp_path: Any) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: |\n    aGVsbG8g\n    d29ybGQ=\n"
    )
    done = manifest.validate_documents(manifest.load([str(path)]))
    assert done.objects[0]["data"] == {"k": HELLO_WORLD}
