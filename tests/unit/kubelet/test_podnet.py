"""A pod's network settings (pure): the owner's hostname, domain and address; Service names; the target.

Upstream: ``pkg/kubelet/kubelet_pods.go`` ``GeneratePodHostNameAndDomain``
(hostname, else the pod name cut to 63; ``<subdomain>.<ns>.svc.<cluster domain>``)
and the DNS names of ``pkg/dns`` for a Service and a pod under a headless one.
"""

from __future__ import annotations

from typing import Any

import pytest

from minik.kubelet.network import podnet
from minik.kubelet.runtime import Endpoint


def pod(spec: dict[str, Any], labels: dict[str, str] | None = None, name: str = "p") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns", "uid": "u", "labels": labels or {}}, "spec": spec}


def svc(name: str, selector: dict[str, str] | None, namespace: str = "ns") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace}, "spec": {"selector": selector}}


@pytest.mark.parametrize(
    ("scenario", "spec", "name", "want"),
    [
        ("no hostname: the pod's name", {}, "job-0-abcde", {"hostname": "job-0-abcde"}),
        ("a long pod name is cut to 63", {}, "x" * 70, {"hostname": "x" * 63}),
        (
            "hostname and subdomain: the FQDN's domain",
            {"hostname": "web-0", "subdomain": "web"},
            "p",
            {"hostname": "web-0", "domainname": "web.ns.svc.cluster.local"},
        ),
    ],
)
def test_the_network_owner_carries_the_pods_hostname_domain_and_address(
    scenario: str, spec: dict[str, Any], name: str, want: dict[str, str]
) -> None:
    got = podnet.owner_settings(pod(spec, name=name), network="net", ip="10.0.2.1", aliases=["b", "a"])
    assert got == {**want, "endpoint": Endpoint(network="net", ip="10.0.2.1", aliases=("a", "b"))}, scenario


def test_a_selecting_service_names_the_pod_and_a_matching_subdomain_adds_the_hostname_names() -> None:
    p = pod({"hostname": "h", "subdomain": "db"}, labels={"app": "db"})
    services = [
        svc("db", {"app": "db"}),
        svc("other", {"app": "web"}),  # selects someone else
        svc("db", {"app": "db"}, namespace="elsewhere"),  # another namespace
        svc("headless", None),  # no selector: no names
    ]
    assert podnet.service_names(p, services) == {
        "db", "db.ns", "db.ns.svc", "db.ns.svc.cluster.local",
        "h.db", "h.db.ns", "h.db.ns.svc", "h.db.ns.svc.cluster.local",
    }  # fmt: skip


def test_the_network_target_is_the_sandbox_else_the_latest_container() -> None:
    assert podnet.network_target("sandbox", "c2") == "sandbox"
    assert podnet.network_target("", "c2") == "c2"
    assert podnet.network_target("", "") == ""
    assert podnet.joined_mode("abc") == "container:abc"
