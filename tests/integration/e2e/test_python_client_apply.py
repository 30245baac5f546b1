"""The official ``kubernetes`` Python client's ``server_side_apply`` (dynamic client) against minik."""

from __future__ import annotations

import json

import pytest

kubernetes = pytest.importorskip("kubernetes", reason="the official client is in the test extras")
from kubernetes import client, dynamic  # noqa: E402
from kubernetes.dynamic.exceptions import ConflictError  # noqa: E402


def cm(colour: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "pyssa"},
        "data": {"colour": colour},
    }


def test_server_side_apply_from_python(api: client.ApiClient) -> None:
    dyn = dynamic.DynamicClient(api)
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    try:
        made = cms.server_side_apply(body=cm("red"), namespace="default", field_manager="py")
        assert made.data.colour == "red"
        assert [(e.manager, e.operation) for e in made.metadata.managedFields] == [("py", "Apply")]
        with pytest.raises(ConflictError) as err:
            cms.server_side_apply(body=cm("blue"), namespace="default", field_manager="other")
        status = json.loads(err.value.body)
        assert status["message"] == 'Apply failed with 1 conflict: conflict with "py": .data.colour'
        assert status["details"]["causes"][0]["reason"] == "FieldManagerConflict"
        won = cms.server_side_apply(
            body=cm("blue"), namespace="default", field_manager="other", force_conflicts=True
        )
        assert won.data.colour == "blue"
    finally:
        client.CoreV1Api(api).delete_namespaced_config_map("pyssa", "default")
