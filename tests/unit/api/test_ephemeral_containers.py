"""pods/ephemeralcontainers through the API with the real manifest rules (issue 30).

Upstream: ``pkg/registry/core/pod/strategy.go`` (podEphemeralContainersStrategy:
a write keeps only the ephemeral containers of what was sent) and
``pkg/apis/core/validation/validation.go`` (validateEphemeralContainers,
ValidatePodEphemeralContainersUpdate, ValidatePodCreate, ValidatePodTemplateSpec).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from minik.api import create_app
from minik.registry import Registry
from tests.unit.api.conftest import JOBS, PODS, TOKEN, a_job, a_pod
from tests.unit.api.test_pod_writes import ManifestHooks

STRATEGIC = {"Content-Type": "application/strategic-merge-patch+json"}
MERGE = {"Content-Type": "application/merge-patch+json"}
EC = f"{PODS}/p/ephemeralcontainers"
NOT_FOR = "cannot be set for an Ephemeral Container"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    store = Registry.open(tmp_path / "minik.db")
    app = create_app(registry=store, token=TOKEN, hooks=ManifestHooks())
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        c.post(PODS, json=a_pod())
        yield c
    store.close()


def debug(name: str = "dbg", **extra: Any) -> dict[str, Any]:
    """The ephemeral container ``kubectl debug -it p --image=busybox -c NAME`` sends."""
    return {
        "name": name, "image": "busybox", "resources": {}, "stdin": True, "tty": True,
        "terminationMessagePolicy": "File", **extra,
    }  # fmt: skip


def add(api: TestClient, *containers: dict[str, Any]) -> Any:
    """kubectl debug's strategic merge patch of pods/ephemeralcontainers."""
    body = {"spec": {"ephemeralContainers": list(containers)}}
    return api.patch(EC, content=json.dumps(body), headers=STRATEGIC)


def test_kubectl_debugs_patch_adds_a_defaulted_ephemeral_container_and_nothing_else(api: TestClient) -> None:
    before = api.get(f"{PODS}/p").json()
    resp = add(api, debug(targetContainerName="c"))
    assert resp.status_code == 200, resp.json()
    got = resp.json()
    (ec,) = got["spec"]["ephemeralContainers"]
    assert ec["targetContainerName"] == "c"
    assert (ec["imagePullPolicy"], ec["terminationMessagePath"]) == ("Always", "/dev/termination-log")
    assert {k: v for k, v in got["spec"].items() if k != "ephemeralContainers"} == before["spec"]
    assert api.get(EC).json()["spec"]["ephemeralContainers"] == [ec]  # GET serves the pod


def test_a_put_keeps_only_the_ephemeral_containers_of_what_was_sent(api: TestClient) -> None:
    live = api.get(EC).json()
    sent = {
        **live,
        "metadata": {**live["metadata"], "labels": {"changed": "yes"}},
        "spec": {**live["spec"], "activeDeadlineSeconds": 5, "ephemeralContainers": [debug()]},
    }
    got = api.put(EC, json=sent).json()
    assert [c["name"] for c in got["spec"]["ephemeralContainers"]] == ["dbg"]
    assert "activeDeadlineSeconds" not in got["spec"]
    assert got["metadata"].get("labels") == live["metadata"].get("labels")


def test_a_second_one_is_added_beside_the_first(api: TestClient) -> None:
    add(api, debug())
    got = add(api, debug("dbg2")).json()
    assert [c["name"] for c in got["spec"]["ephemeralContainers"]] == ["dbg", "dbg2"]


REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    # scenario: (ephemeral container, "field: message" in the 422)
    "ports": (
        debug(ports=[{"containerPort": 80}]),
        f"spec.ephemeralContainers[0].ports: Forbidden: {NOT_FOR}",
    ),
    "a liveness probe": (
        debug(livenessProbe={"exec": {"command": ["true"]}}),
        f"spec.ephemeralContainers[0].livenessProbe: Forbidden: {NOT_FOR}",
    ),
    "resources": (
        debug(resources={"limits": {"cpu": "1"}}),
        f"spec.ephemeralContainers[0].resources: Forbidden: {NOT_FOR}",
    ),
    "a lifecycle hook": (
        debug(lifecycle={"preStop": {"exec": {"command": ["true"]}}}),
        f"spec.ephemeralContainers[0].lifecycle: Forbidden: {NOT_FOR}",
    ),
    "the name of an app container": (debug("c"), 'spec.ephemeralContainers[0].name: Duplicate value: "c"'),
    "a target that is no container of the pod": (
        debug(targetContainerName="nope"),
        'spec.ephemeralContainers[0].targetContainerName: Not found: "nope"',
    ),
    "a subPath mount": (
        debug(volumeMounts=[{"name": "v", "mountPath": "/v", "subPath": "x"}]),
        f"spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: {NOT_FOR}",
    ),
    "no image": (debug(image=""), "spec.ephemeralContainers[0].image: Required value"),
}


@pytest.mark.parametrize(("container", "words"), REFUSED.values(), ids=REFUSED.keys())
def test_an_ephemeral_container_with_is_refused(
    api: TestClient, container: dict[str, Any], words: str
) -> None:
    resp = add(api, container)
    assert resp.status_code == 422, resp.json()
    assert words in resp.json()["message"]
    assert "ephemeralContainers" not in api.get(f"{PODS}/p").json()["spec"]


def test_two_ephemeral_containers_of_one_name_are_refused(api: TestClient) -> None:
    live = api.get(EC).json()
    live["spec"]["ephemeralContainers"] = [debug(), debug(image="alpine")]
    resp = api.put(EC, json=live)
    assert resp.status_code == 422
    assert 'spec.ephemeralContainers[1].name: Duplicate value: "dbg"' in resp.json()["message"]


def test_an_existing_ephemeral_container_may_not_be_removed(api: TestClient) -> None:
    live = add(api, debug()).json()
    live["spec"]["ephemeralContainers"] = []
    resp = api.put(EC, json=live)
    assert resp.status_code == 422
    assert 'existing ephemeral containers "dbg" may not be removed' in resp.json()["message"]


def test_an_existing_ephemeral_container_may_not_be_changed(api: TestClient) -> None:
    add(api, debug())
    resp = add(api, debug(image="alpine"))
    assert resp.status_code == 422
    assert 'existing ephemeral containers "dbg" may not be changed' in resp.json()["message"]


def test_a_pod_is_not_created_with_ephemeral_containers(api: TestClient) -> None:
    resp = api.post(PODS, json=a_pod("q", ephemeralContainers=[debug()]))
    assert resp.status_code == 422
    assert "spec.ephemeralContainers: Forbidden: cannot be set on create" in resp.json()["message"]


def test_a_pod_template_holds_no_ephemeral_containers(api: TestClient) -> None:
    job = a_job()
    job["spec"]["template"]["spec"]["ephemeralContainers"] = [debug()]
    resp = api.post(JOBS, json=job)
    assert resp.status_code == 422
    words = (
        "spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template"
    )
    assert words in resp.json()["message"]


def test_a_plain_pod_update_may_not_add_ephemeral_containers(api: TestClient) -> None:
    body = {"spec": {"ephemeralContainers": [debug()]}}
    resp = api.patch(f"{PODS}/p", content=json.dumps(body), headers=STRATEGIC)
    assert resp.status_code == 422 and "spec: Forbidden: pod updates may not change" in resp.json()["message"]


def test_a_pod_with_ephemeral_containers_can_still_be_labelled(api: TestClient) -> None:
    add(api, debug())
    resp = api.patch(f"{PODS}/p", content=json.dumps({"metadata": {"labels": {"a": "b"}}}), headers=MERGE)
    assert resp.status_code == 200 and "warning" not in resp.headers


def test_the_log_of_a_pod_that_needs_a_container_name_lists_its_ephemeral_ones(api: TestClient) -> None:
    api.post(PODS, json=a_pod("two", [{"name": "c", "image": "busybox"}, {"name": "d", "image": "busybox"}]))
    body = {"spec": {"ephemeralContainers": [debug()]}}
    api.patch(f"{PODS}/two/ephemeralcontainers", content=json.dumps(body), headers=STRATEGIC)
    resp = api.get(f"{PODS}/two/log")
    assert resp.status_code == 400
    assert resp.json()["message"].endswith("choose one of: [c d] or one of the ephemeral containers: [dbg]")


def test_share_process_namespace_is_accepted_but_not_with_host_pid(api: TestClient) -> None:
    assert api.post(PODS, json=a_pod("shared", shareProcessNamespace=True)).status_code == 201
    resp = api.post(PODS, json=a_pod("both", shareProcessNamespace=True, hostPID=True))
    assert resp.status_code == 422
    words = (
        "spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID"
    )
    assert words in resp.json()["message"]


def test_discovery_lists_the_subresource(api: TestClient) -> None:
    names = {r["name"]: r for r in api.get("/api/v1").json()["resources"]}
    assert names["pods/ephemeralcontainers"]["verbs"] == ["get", "patch", "update"]
