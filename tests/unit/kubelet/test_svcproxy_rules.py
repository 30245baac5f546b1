"""What each Service's proxy is told: its listeners and their ready endpoints (pure)."""

from __future__ import annotations

from typing import Any

from minik.kubelet.svcproxy import aliases, rules, wanted


def svc(**spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": "ns", "uid": "u1"},
        "spec": {"clusterIP": "10.0.1.4", "ports": [{"port": 80, "protocol": "TCP"}], **spec},
    }


EPS = {
    "subsets": [
        {"addresses": [{"ip": "10.0.2.1"}], "notReadyAddresses": [{"ip": "10.0.2.9"}],
         "ports": [{"port": 8080, "protocol": "TCP"}, {"name": "dns", "port": 53, "protocol": "UDP"}]},
    ]
}  # fmt: skip


def test_only_ready_addresses_at_the_port_of_the_same_name_and_protocol() -> None:
    s = svc(ports=[{"port": 80, "protocol": "TCP"}, {"name": "dns", "port": 5353, "protocol": "UDP"}])
    assert rules(s, EPS) == (
        {"vip": "0.0.0.0", "port": 80, "protocol": "TCP", "endpoints": [["10.0.2.1", 8080]]},
        {"vip": "0.0.0.0", "port": 5353, "protocol": "UDP", "endpoints": [["10.0.2.1", 53]]},
    )


def test_no_endpoints_means_an_empty_rule_and_the_port_is_refused() -> None:
    assert rules(svc(), None) == ({"vip": "0.0.0.0", "port": 80, "protocol": "TCP", "endpoints": []},)


def test_client_ip_affinity_carries_its_timeout_default_three_hours() -> None:
    (r,) = rules(svc(sessionAffinity="ClientIP"), EPS)
    assert r["affinity"] == 10800
    cfg = {"clientIP": {"timeoutSeconds": 60}}
    (r,) = rules(svc(sessionAffinity="ClientIP", sessionAffinityConfig=cfg), EPS)
    assert r["affinity"] == 60


def test_sctp_ports_get_no_listener() -> None:
    assert rules(svc(ports=[{"port": 80, "protocol": "SCTP"}]), EPS) == ()


def test_wanted_proxies_are_services_with_a_virtual_ip_in_the_range() -> None:
    services = [
        svc(),
        {**svc(clusterIP="None"), "metadata": {"name": "h", "namespace": "ns", "uid": "u2"}},
        {**svc(clusterIP="10.9.9.9"), "metadata": {"name": "old", "namespace": "ns", "uid": "u3"}},
        {**svc(clusterIP=""), "metadata": {"name": "none", "namespace": "ns", "uid": "u4"}},
    ]
    got = wanted(services, {("ns", "web"): EPS}, "10.0.1.0/24")
    assert list(got) == ["u1"]
    assert got["u1"].vip == "10.0.1.4"
    assert (
        got["u1"].aliases
        == aliases("ns", "web")
        == ("web", "web.ns", "web.ns.svc", "web.ns.svc.cluster.local")
    )
    assert wanted(services, {}, "") == {}
