"""Service links: the variables upstream's kubelet gives every container (pure)."""

from __future__ import annotations

from typing import Any

from minik.kubelet.servicelinks import service_env


def svc(name: str, ns: str, ip: str, *ports: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns}, "spec": {"clusterIP": ip, "ports": list(ports)}}


KUBERNETES = svc("kubernetes", "default", "10.0.1.0", {"name": "https", "port": 443, "protocol": "TCP"})
REDIS = svc("redis-main", "work", "10.0.1.5", {"port": 6379, "protocol": "TCP"},
            {"name": "metrics", "port": 9121, "protocol": "UDP"})  # fmt: skip


def test_a_namespaces_services_and_the_master_service() -> None:
    env = service_env([KUBERNETES, REDIS, svc("other", "elsewhere", "10.0.1.9", {"port": 1})], "work")
    assert env == {
        "KUBERNETES_SERVICE_HOST": "10.0.1.0",
        "KUBERNETES_SERVICE_PORT": "443",
        "KUBERNETES_SERVICE_PORT_HTTPS": "443",
        "KUBERNETES_PORT": "tcp://10.0.1.0:443",
        "KUBERNETES_PORT_443_TCP": "tcp://10.0.1.0:443",
        "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
        "KUBERNETES_PORT_443_TCP_PORT": "443",
        "KUBERNETES_PORT_443_TCP_ADDR": "10.0.1.0",
        "REDIS_MAIN_SERVICE_HOST": "10.0.1.5",
        "REDIS_MAIN_SERVICE_PORT": "6379",
        "REDIS_MAIN_SERVICE_PORT_METRICS": "9121",
        "REDIS_MAIN_PORT": "tcp://10.0.1.5:6379",
        "REDIS_MAIN_PORT_6379_TCP": "tcp://10.0.1.5:6379",
        "REDIS_MAIN_PORT_6379_TCP_PROTO": "tcp",
        "REDIS_MAIN_PORT_6379_TCP_PORT": "6379",
        "REDIS_MAIN_PORT_6379_TCP_ADDR": "10.0.1.5",
        "REDIS_MAIN_PORT_9121_UDP": "udp://10.0.1.5:9121",
        "REDIS_MAIN_PORT_9121_UDP_PROTO": "udp",
        "REDIS_MAIN_PORT_9121_UDP_PORT": "9121",
        "REDIS_MAIN_PORT_9121_UDP_ADDR": "10.0.1.5",
    }


def test_without_service_links_only_the_master_service() -> None:
    env = service_env([KUBERNETES, REDIS], "work", enable_links=False)
    assert sorted({k.split("_")[0] for k in env}) == ["KUBERNETES"]


def test_headless_services_give_nothing_and_a_namespaces_own_kubernetes_wins() -> None:
    mine = svc("kubernetes", "work", "10.0.1.7", {"port": 80, "protocol": "TCP"})
    env = service_env([KUBERNETES, mine, svc("hl", "work", "None", {"port": 1})], "work")
    assert env["KUBERNETES_SERVICE_HOST"] == "10.0.1.7"
    assert not any(k.startswith("HL_") for k in env)
