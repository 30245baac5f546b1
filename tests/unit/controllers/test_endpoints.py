"""The endpoints controllers' plan: which pods are endpoints, ready or not, at which port (pure)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minik.controllers.endpoints import differs, find_port, plan, plan_service

ADDRS = {"a": "10.0.2.1", "b": "10.0.2.2", "c": "10.0.2.3"}


def address(pod: dict[str, Any]) -> str:
    return ADDRS.get(pod["metadata"]["name"], "")


def service(**spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": "default", "uid": "svc-uid", "labels": {"tier": "x"}},
        "spec": {"selector": {"app": "web"}, "clusterIP": "10.0.1.1", "ports": [{"port": 80, "targetPort": 8080,
                                                                                     "protocol": "TCP"}], **spec},
    }  # fmt: skip


def pod(
    name: str, *, ready: bool = True, phase: str = "Running", deleting: bool = False, **spec: Any
) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name, "namespace": "default", "uid": f"uid-{name}", "labels": {"app": "web"}}
    if deleting:
        m["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {
        "metadata": m,
        "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}], **spec},
        "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def ips(subsets: list[dict[str, Any]], key: str) -> list[str]:
    return [a["ip"] for s in subsets for a in s.get(key) or []]


@pytest.mark.parametrize(
    ("scenario", "pods", "svc_spec", "ready", "not_ready"),
    [
        ("a ready pod is a ready address", [pod("a")], {}, ["10.0.2.1"], []),
        ("an unready pod is a not-ready address", [pod("a", ready=False)], {}, [], ["10.0.2.1"]),
        ("publishNotReadyAddresses makes it ready", [pod("a", ready=False)], {"publishNotReadyAddresses": True}, ["10.0.2.1"], []),
        ("a finished pod is no endpoint", [pod("a", phase="Succeeded"), pod("b", phase="Failed")], {}, [], []),
        ("a pod without an address is no endpoint", [pod("z")], {}, [], []),
        ("a deleting pod leaves the Endpoints", [pod("a", deleting=True)], {}, [], []),
        ("a pod of another selector is no endpoint", [{**pod("a"), "metadata": {**pod("a")["metadata"], "labels": {}}}], {}, [], []),
        ("addresses are sorted", [pod("b"), pod("a")], {}, ["10.0.2.1", "10.0.2.2"], []),
    ],
)  # fmt: skip
def test_endpoints_addresses(scenario: str, pods: list[dict[str, Any]], svc_spec: dict[str, Any],
                             ready: list[str], not_ready: list[str]) -> None:  # fmt: skip
    before = copy.deepcopy(pods)
    d = plan_service(service(**svc_spec), pods, address)
    assert pods == before, "the plan never changes its inputs"
    assert d is not None
    subsets = d.endpoints.get("subsets") or []
    assert (ips(subsets, "addresses"), ips(subsets, "notReadyAddresses")) == (ready, not_ready), scenario


def test_a_named_target_port_is_each_pods_container_port_and_subsets_group_by_port() -> None:
    svc = service(ports=[{"name": "web", "port": 80, "targetPort": "http", "protocol": "TCP"}])
    other = pod("b")
    other["spec"]["containers"][0]["ports"][0]["containerPort"] = 9090
    none = pod("c")
    none["spec"]["containers"][0]["ports"] = []
    d = plan_service(svc, [pod("a"), other, none], address)
    assert d is not None
    got = [(s["ports"], ips([s], "addresses")) for s in d.endpoints["subsets"]]
    assert got == [
        ([{"name": "web", "port": 8080, "protocol": "TCP"}], ["10.0.2.1"]),
        ([{"name": "web", "port": 9090, "protocol": "TCP"}], ["10.0.2.2"]),
    ]
    assert len(d.slices) == 2


def test_slices_carry_conditions_owner_and_labels_and_keep_terminating_pods() -> None:
    d = plan_service(service(), [pod("a"), pod("b", ready=False), pod("c", deleting=True)], address)
    assert d is not None
    (sl,) = d.slices
    assert sl["metadata"]["labels"] == {
        "tier": "x",
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    }
    assert sl["metadata"]["ownerReferences"][0]["uid"] == "svc-uid"
    assert sl["metadata"]["name"].startswith("web-") and len(sl["metadata"]["name"]) == len("web-") + 5
    assert [(e["addresses"], e["conditions"]) for e in sl["endpoints"]] == [
        (["10.0.2.1"], {"ready": True, "serving": True, "terminating": False}),
        (["10.0.2.2"], {"ready": False, "serving": False, "terminating": False}),
        (["10.0.2.3"], {"ready": False, "serving": True, "terminating": True}),
    ]
    assert sl["ports"] == [{"port": 8080, "protocol": "TCP", "name": ""}]  # a slice's port always has a name


def test_a_hostname_under_the_services_subdomain_is_on_the_address() -> None:
    d = plan_service(service(clusterIP="None"), [pod("a", hostname="job-0", subdomain="web")], address)
    assert d is not None
    assert d.endpoints["subsets"][0]["addresses"][0]["hostname"] == "job-0"
    assert d.endpoints["metadata"]["labels"]["service.kubernetes.io/headless"] == ""


def test_an_empty_service_has_no_subsets_and_one_empty_slice() -> None:
    d = plan_service(service(), [], address)
    assert d is not None
    assert "subsets" not in d.endpoints
    assert [s["endpoints"] for s in d.slices] == [[]]


@pytest.mark.parametrize(
    ("scenario", "svc"),
    [
        ("no selector: the user's Endpoints", service(selector=None)),
        ("ExternalName", service(type="ExternalName")),
        ("deleting", {**service(), "metadata": {**service()["metadata"], "deletionTimestamp": "x"}}),
    ],
)
def test_services_the_controllers_leave_alone(scenario: str, svc: dict[str, Any]) -> None:
    assert plan_service(svc, [pod("a")], address) is None, scenario
    assert plan([svc], [pod("a")], address) == {}


@pytest.mark.parametrize(("target", "want"), [(8080, 8080), ("8080", 8080), ("http", 8080), ("nope", None)])
def test_find_port(target: object, want: int | None) -> None:
    assert find_port(pod("a"), {"port": 80, "targetPort": target, "protocol": "TCP"}) == want


def test_differs_ignores_what_the_store_owns() -> None:
    d = plan_service(service(), [pod("a")], address)
    assert d is not None
    stored = copy.deepcopy(d.endpoints)
    stored["metadata"].update(uid="x", resourceVersion="9", creationTimestamp="t")
    assert not differs(d.endpoints, stored)
    stored["subsets"] = []
    assert differs(d.endpoints, stored)
    assert differs(d.endpoints, None)
