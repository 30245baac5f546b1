"""Requests that ask the server for too much work are refused early, and nothing else is disturbed.

Each test performs the attack through the real app (a real store, fake
hooks), checks the refusal (status, reason, one sentence), that it came
quickly (generous bounds: these used to take seconds to minutes, or
gigabytes), that nothing was stored, and that the API still answers.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from minik.api import limits, responses
from minik.api.patch import PatchTooLarge, json_patch
from minik.api.protobuf import MEDIA_TYPE
from minik.registry import Registry
from tests.unit.api.conftest import JOBS, PODS
from tests.unit.api.test_protobuf import field, framed

CMS = "/api/v1/namespaces/default/configmaps"
YAML = {"Content-Type": "application/yaml"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}

BOMB = (Path(__file__).parents[2] / "fixtures" / "billion-laughs.yaml").read_bytes()


def _configmap(client: TestClient, name: str = "cm") -> dict[str, Any]:
    resp = client.post(CMS, json={"metadata": {"name": name}, "data": {"k": "x" * 1000}})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def _still_answers(client: TestClient) -> None:
    assert client.get(CMS).status_code == 200


def _one_sentence(resp: Any) -> str:
    message = str(resp.json()["message"])
    assert "\n" not in message and "Traceback" not in message, message
    return message


def test_a_doubling_json_patch_is_refused_at_the_copy_that_crosses_the_limit(
    client: TestClient, store: Registry
) -> None:
    _configmap(client)
    before = store.resource_version
    ops = [{"op": "add", "path": "/data/d", "value": ["x" * 100]}]
    ops += [{"op": "copy", "from": "/data/d", "path": "/data/d/-"} for _ in range(50)]
    # Each copy appends the whole list to itself: 2**50 items if nothing stopped it.
    start = time.perf_counter()
    resp = client.patch(f"{CMS}/cm", json=ops, headers=JSON_PATCH)
    took = time.perf_counter() - start
    assert resp.status_code == 413, resp.text
    assert resp.json()["reason"] == "RequestEntityTooLarge"
    assert "copy more than the limit" in _one_sentence(resp)
    assert took < 2.0, f"the refusal took {took:.2f}s"
    assert store.resource_version == before
    _still_answers(client)


def test_a_json_patch_of_more_than_10000_operations_is_413(client: TestClient) -> None:
    _configmap(client)
    ops = [{"op": "remove", "path": "/data/k"}] * (limits.MAX_JSON_PATCH_OPS + 1)
    resp = client.patch(f"{CMS}/cm", json=ops, headers=JSON_PATCH)
    assert resp.status_code == 413, resp.text
    assert "maximum operations in a JSON patch is 10000, got 10001" in _one_sentence(resp)


def test_the_copy_budget_is_counted_before_each_copy() -> None:
    doc = {"a": ["x" * 1000]}
    ops = [{"op": "copy", "from": "/a", "path": "/a/-"} for _ in range(60)]
    with pytest.raises(PatchTooLarge):
        json_patch(doc, ops, copy_limit=100_000)
    assert json_patch(doc, ops[:5], copy_limit=100_000)["a"][0] == "x" * 1000


def test_an_object_over_1_5_mib_after_a_patch_is_413_and_nothing_is_stored(
    client: TestClient, store: Registry
) -> None:
    _configmap(client)
    before = store.resource_version
    ops = [{"op": "add", "path": f"/data/k{i}", "value": "y" * 600_000} for i in range(3)]
    resp = client.patch(f"{CMS}/cm", json=ops, headers=JSON_PATCH)
    assert resp.status_code == 413, resp.text
    assert str(limits.MAX_OBJECT_BYTES) in _one_sentence(resp)
    merge = client.patch(
        f"{CMS}/cm",
        json={"data": {f"k{i}": "y" * 600_000 for i in range(3)}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert merge.status_code == 413, merge.text
    assert store.resource_version == before
    _still_answers(client)


def test_an_object_nested_past_100_levels_by_a_patch_is_400(client: TestClient) -> None:
    _configmap(client)
    value: Any = "v"
    for _ in range(96):
        value = {"n": value}
    deep = "/spec" + "/n" * 95 + "/x"  # inside the innermost level of the value just added
    ops = [{"op": "add", "path": "/spec", "value": value}, {"op": "copy", "from": "/spec", "path": deep}]
    resp = client.patch(f"{CMS}/cm", json=ops, headers=JSON_PATCH)
    assert resp.status_code == 400, resp.text
    assert "deeper than 100 levels" in _one_sentence(resp)


def test_a_create_over_1_5_mib_is_413(client: TestClient) -> None:
    resp = client.post(CMS, json={"metadata": {"name": "big"}, "data": {"k": "z" * 2_000_000}})
    assert resp.status_code == 413, resp.text
    assert client.get(f"{CMS}/big").status_code == 404


def test_a_yaml_alias_bomb_body_is_400_in_well_under_a_second(client: TestClient, store: Registry) -> None:
    before = store.resource_version
    start = time.perf_counter()
    resp = client.post(CMS, content=BOMB, headers=YAML)
    took = time.perf_counter() - start
    assert resp.status_code == 400, resp.text
    assert "aliases expand it" in _one_sentence(resp)
    assert took < 1.0, f"the refusal took {took:.2f}s"
    assert store.resource_version == before
    _still_answers(client)


def test_a_recursive_yaml_alias_is_400(client: TestClient) -> None:
    resp = client.post(CMS, content=b"metadata: {name: r}\ndata: &a {k: *a}\n", headers=YAML)
    assert resp.status_code == 400, resp.text
    assert "refers to a node containing itself" in _one_sentence(resp)


def test_a_yaml_integer_over_4300_digits_is_400_not_500(client: TestClient) -> None:
    body = b"metadata: {name: n}\nspec: {x: " + b"9" * 5000 + b"}\n"
    resp = client.post(CMS, content=body, headers=YAML)
    assert resp.status_code == 400, resp.text
    _one_sentence(resp)
    resp = client.post(CMS, content=b'{"metadata": {"name": "n"}, "x": ' + b"9" * 5000 + b"}")
    assert resp.status_code == 400, resp.text


def test_yaml_bodies_are_parsed_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real = responses.decode

    def spy(body: bytes, content_type: str, *, what: str) -> Any:
        threads.append(threading.current_thread().name)
        return real(body, content_type, what=what)

    monkeypatch.setattr(responses, "decode", spy)
    resp = client.post(CMS, content=b"metadata: {name: y}\ndata: {k: v}\n", headers=YAML)
    assert resp.status_code == 201, resp.text
    assert client.portal is not None
    loop_thread = client.portal.call(lambda: threading.current_thread().name)
    assert threads and threads[0] != loop_thread, (threads, loop_thread)


def test_an_out_of_range_protobuf_timestamp_is_400_not_500(client: TestClient) -> None:
    meta = field(1, "p") + field(8, field(1, 10**15))
    body = framed("batch/v1", "Job", field(1, meta))
    resp = client.post(JOBS, content=body, headers={"Content-Type": MEDIA_TYPE})
    assert resp.status_code == 400, resp.text
    assert "out of range" in _one_sentence(resp)
    _still_answers(client)


@pytest.mark.parametrize("name", ["abc\n", "abc\n\n"])
def test_a_name_ending_in_a_newline_is_refused(client: TestClient, name: str) -> None:
    resp = client.post("/api/v1/namespaces", json={"metadata": {"name": name}})
    assert resp.status_code == 422, resp.text


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("fieldSelector", "a" + " " * 16_000 + "b"),
        ("fieldSelector", "metadata.name" + " " * 16_000 + "x"),
        ("labelSelector", "a" + " " * 16_000 + "in"),
        ("labelSelector", "a" * 16_000 + "-"),
        ("labelSelector", "a=" + " " * 16_000 + "x y"),
        ("labelSelector", "x in (" + "a " * 8_000 + ")"),
    ],
)
def test_a_16_kb_selector_is_refused_in_linear_time(client: TestClient, param: str, value: str) -> None:
    start = time.perf_counter()
    resp = client.get(PODS, params={param: value})
    took = time.perf_counter() - start
    assert resp.status_code == 400, resp.text
    assert took < 0.5, f"{param} took {took:.2f}s"
