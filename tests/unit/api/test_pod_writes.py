"""Pod writes through the API with the real manifest rules: admission's tolerations, a pod's binding."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from minik.api import create_app
from minik.k8s import Obj
from minik.registry import Registry
from tests.unit.api.conftest import PODS, TOKEN, a_pod

MERGE = {"Content-Type": "application/merge-patch+json"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}
DEFAULT_TOLERATIONS = [
    {"key": f"node.kubernetes.io/{k}", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
    for k in ("not-ready", "unreachable")
]


class ManifestHooks:
    def logs(self, pod: Obj, opts: Any) -> Any:
        raise NotImplementedError


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    store = Registry.open(tmp_path / "minik.db")
    app = create_app(store=store, token=TOKEN, hooks=ManifestHooks())
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c
    store.close()


def test_a_new_pod_gets_the_default_tolerations_and_no_warning(api: TestClient) -> None:
    resp = api.post(PODS, json=a_pod())
    assert resp.status_code == 201 and "warning" not in resp.headers
    assert resp.json()["spec"]["tolerations"] == DEFAULT_TOLERATIONS


def test_a_users_toleration_warns_and_comes_first(api: TestClient) -> None:
    gpu = {"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}
    resp = api.post(PODS, json=a_pod(tolerations=[gpu]))
    assert resp.json()["spec"]["tolerations"] == [gpu, *DEFAULT_TOLERATIONS]
    assert resp.headers["warning"].startswith('299 - "spec.tolerations[0]: Ignored by minik')


def test_labelling_a_stored_pod_warns_nothing(api: TestClient) -> None:
    """kubectl label sends the pod back with the tolerations and nodeName minik gave it."""
    api.post(PODS, json=a_pod())
    resp = api.patch(f"{PODS}/p", content=json.dumps({"metadata": {"labels": {"a": "b"}}}), headers=MERGE)
    assert resp.status_code == 200 and "warning" not in resp.headers


def test_a_put_without_the_default_tolerations_changes_nothing(api: TestClient) -> None:
    created = api.post(PODS, json=a_pod()).json()
    sent = {**created, "spec": {k: v for k, v in created["spec"].items() if k != "tolerations"}}
    resp = api.put(f"{PODS}/p", json=sent)
    assert resp.status_code == 200 and resp.json()["spec"]["tolerations"] == DEFAULT_TOLERATIONS
    assert resp.json()["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def _drop_node_by_put(api: TestClient, live: Obj) -> Any:
    return api.put(
        f"{PODS}/p", json={**live, "spec": {k: v for k, v in live["spec"].items() if k != "nodeName"}}
    )


def _drop_node_by_merge_patch(api: TestClient, live: Obj) -> Any:
    return api.patch(f"{PODS}/p", content=json.dumps({"spec": {"nodeName": None}}), headers=MERGE)


def _drop_node_by_json_patch(api: TestClient, live: Obj) -> Any:
    return api.patch(
        f"{PODS}/p", content=json.dumps([{"op": "remove", "path": "/spec/nodeName"}]), headers=JSON_PATCH
    )


def _move_node_by_put(api: TestClient, live: Obj) -> Any:
    return api.put(f"{PODS}/p", json={**live, "spec": {**live["spec"], "nodeName": "elsewhere"}})


@pytest.mark.parametrize(
    "send",
    [_drop_node_by_put, _drop_node_by_merge_patch, _drop_node_by_json_patch, _move_node_by_put],
    ids=["a PUT without nodeName", "a merge patch nulling it", "a JSON patch removing it", "a PUT moving it"],
)
def test_a_bound_pods_node_may_not_change(api: TestClient, send: Any) -> None:
    live = api.post(PODS, json=a_pod()).json()
    resp = send(api, live)
    body = resp.json()
    assert resp.status_code == 422 and body["reason"] == "Invalid"
    assert body["message"].startswith(
        'Pod "p" is invalid: spec: Forbidden: pod updates may not change fields'
    )
    assert body["details"]["causes"][0]["field"] == "spec"
    stored = api.get(f"{PODS}/p").json()
    assert stored["spec"]["nodeName"] == "minik" and stored["metadata"]["generation"] == 1
