"""The per-resource strategies, scenario by scenario.

Upstream: pkg/registry/core/pod/strategy.go (PrepareForCreate: Pending + QOSClass; graceful
deletion), pkg/registry/batch/job/strategy.go and cronjob/strategy.go (default propagation),
pkg/registry/core/namespace/strategy.go, and the generic registry store's BeforeCreate /
BeforeUpdate (staging/src/k8s.io/apiserver/pkg/registry/rest/create.go, update.go).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from minik.errors import ApiError
from minik.registry import SERVER_OWNED, STRATEGIES, Registry
from minik.resources import RESOURCES

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def reg(tmp_path: Path) -> Iterator[Registry]:
    r = Registry.open(tmp_path / "minik.db", clock=lambda: NOW)
    yield r
    r.close()


def pod(name: str = "p", **spec: Any) -> dict[str, Any]:
    c = {"name": "c", "image": "busybox", "resources": {"limits": {"cpu": "1", "memory": "1Mi"},
                                                        "requests": {"cpu": "1", "memory": "1Mi"}}}  # fmt: skip
    return {"metadata": {"name": name}, "spec": {"containers": [c], **spec}}


def test_every_served_resource_has_a_strategy() -> None:
    assert set(STRATEGIES) == set(RESOURCES)


def test_a_pod_a_controller_creates_is_pending_with_its_qos_class_and_bound(reg: Registry) -> None:
    created = reg.create("pods", pod())
    assert created["status"] == {"phase": "Pending", "qosClass": "Guaranteed"}
    assert created["spec"]["nodeName"] == "minik"
    assert created["metadata"]["generation"] == 1 and created["metadata"]["creationTimestamp"]


def test_clear_for_create_drops_every_server_owned_field_and_the_status() -> None:
    obj = pod()
    obj["metadata"].update({k: "x" for k in (*SERVER_OWNED, "resourceVersion", "managedFields", "selfLink")})
    obj["status"] = {"phase": "Succeeded"}
    STRATEGIES["pods"].clear_for_create(obj)
    assert set(obj["metadata"]) == {"name"} and "status" not in obj


def test_generate_name_uses_the_one_alphabet(reg: Registry) -> None:
    created = reg.create("configmaps", {"metadata": {"generateName": "cm-"}})
    suffix = created["metadata"]["name"][3:]
    assert len(suffix) == 5 and set(suffix) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_an_update_keeps_status_and_server_owned_fields(reg: Registry) -> None:
    created = reg.create("pods", pod())
    sent = pod()
    sent["spec"] = created["spec"]
    sent["metadata"].update(creationTimestamp="1999-01-01T00:00:00Z", generation=7, labels={"a": "b"})
    sent["status"] = {"phase": "Failed"}
    updated = reg.update("pods", sent)
    assert updated["status"] == created["status"]
    assert updated["metadata"]["uid"] == created["metadata"]["uid"]
    assert updated["metadata"]["generation"] == 1  # the spec did not change
    assert updated["metadata"]["creationTimestamp"] == created["metadata"]["creationTimestamp"]
    assert updated["metadata"]["labels"] == {"a": "b"}


@pytest.mark.parametrize(
    ("resource", "propagation", "finalizers"),
    [
        ("jobs", None, ["orphan"]),  # batch/v1's default (R7.5)
        ("jobs", "Foreground", ["foregroundDeletion"]),
        ("jobs", "Background", None),
        ("cronjobs", None, None),  # a CronJob's Jobs go in the background
        ("cronjobs", "Orphan", ["orphan"]),
    ],
)
def test_default_propagation_per_owner_kind(
    reg: Registry, resource: str, propagation: str | None, finalizers: list[str] | None
) -> None:
    spec: dict[str, Any] = {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}
    if resource == "cronjobs":
        spec = {"schedule": "* * * * *", "jobTemplate": {"spec": spec}}
    reg.create(resource, {"metadata": {"name": "o"}, "spec": spec})
    out = reg.delete(resource, "default", "o", propagation=propagation)
    assert out["metadata"].get("finalizers") == finalizers


def test_a_dry_run_create_checks_everything_and_writes_nothing(reg: Registry) -> None:
    before = reg.resource_version
    out = reg.create("pods", pod(), dry_run=True)
    assert out["status"]["phase"] == "Pending" and reg.resource_version == before
    reg.create("pods", pod())
    with pytest.raises(ApiError) as info:
        reg.create("pods", pod(), dry_run=True)
    assert info.value.code == 409


def test_a_namespace_name_must_be_a_dns_label() -> None:
    errors = STRATEGIES["namespaces"].validate({"metadata": {"name": "Bad_Name"}})
    assert [e.path for e in errors] == ["metadata.name"]
    assert STRATEGIES["namespaces"].validate({"metadata": {"name": "good-one"}}) == []


DEFAULT_TOLERATIONS = [
    {"key": f"node.kubernetes.io/{k}", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
    for k in ("not-ready", "unreachable")
]


def test_a_pod_a_controller_creates_gets_the_default_tolerations(reg: Registry) -> None:
    assert reg.create("pods", pod())["spec"]["tolerations"] == DEFAULT_TOLERATIONS


def test_an_update_that_drops_the_default_tolerations_changes_nothing(reg: Registry) -> None:
    created = reg.create("pods", pod())
    sent = {**created, "spec": {k: v for k, v in created["spec"].items() if k != "tolerations"}}
    updated = reg.update("pods", sent)
    assert updated["spec"]["tolerations"] == DEFAULT_TOLERATIONS
    assert updated["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert updated["metadata"]["generation"] == 1


@pytest.mark.parametrize(
    ("scenario", "node"),
    [("an update without nodeName", None), ("an update to another node", "elsewhere"), ("an empty one", "")],
)
def test_a_bound_pod_stays_bound_whoever_writes(reg: Registry, scenario: str, node: str | None) -> None:
    created = reg.create("pods", pod())
    spec = {k: v for k, v in created["spec"].items() if k != "nodeName"}
    if node is not None:
        spec["nodeName"] = node
    with pytest.raises(ApiError) as info:
        reg.update("pods", {**created, "spec": spec})
    assert info.value.code == 422, scenario
    assert info.value.message.startswith('Pod "p" is invalid: spec: Forbidden: pod updates may not change')
    stored = reg.get("pods", "default", "p")
    assert stored["spec"]["nodeName"] == "minik" and stored["metadata"]["generation"] == 1


def test_binding_an_unbound_pod_is_still_allowed(reg: Registry) -> None:
    reg.create("nodes", {"metadata": {"name": "minik"}, "spec": {"unschedulable": True}})
    created = reg.create("pods", pod())
    assert "nodeName" not in created["spec"]
    bound = reg.update("pods", {**created, "spec": {**created["spec"], "nodeName": "minik"}})
    assert bound["spec"]["nodeName"] == "minik"
