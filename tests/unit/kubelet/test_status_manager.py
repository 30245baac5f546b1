"""The kubelet's status writes keep the conditions it does not own (upstream ``mergePodStatus``)."""

from __future__ import annotations

from minik.kubelet.status_manager import merge_pod_status, with_kubelet_ips

TARGET = {"type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI"}
READY = {"type": "Ready", "status": "False"}


def test_a_disruption_target_set_by_the_eviction_api_survives_the_kubelets_write() -> None:
    stored = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}, TARGET]}
    new = {"phase": "Failed", "conditions": [READY]}
    assert merge_pod_status(stored, new) == {"phase": "Failed", "conditions": [TARGET, READY]}


def test_the_kubelets_own_disruption_target_replaces_the_stored_one() -> None:
    mine = {"type": "DisruptionTarget", "status": "True", "reason": "TerminationByKubelet"}
    merged = merge_pod_status({"conditions": [TARGET]}, {"conditions": [mine, READY]})
    assert merged["conditions"] == [mine, READY]


def test_without_foreign_conditions_the_kubelets_status_is_written_as_is() -> None:
    new = {"phase": "Running", "conditions": [READY]}
    assert merge_pod_status({"conditions": [{"type": "Ready", "status": "True"}]}, new) is new


def test_a_client_written_pod_ip_is_put_back_to_the_kubelets() -> None:
    cached = {"phase": "Running", "podIP": "10.208.0.130", "podIPs": [{"ip": "10.208.0.130"}]}
    stored = {
        "phase": "Running",
        "podIP": "127.0.0.1",
        "podIPs": [{"ip": "127.0.0.1"}],
        "conditions": [{"type": "X"}],
    }
    assert with_kubelet_ips(stored, cached) == {
        "phase": "Running",
        "podIP": "10.208.0.130",
        "podIPs": [{"ip": "10.208.0.130"}],
        "conditions": [{"type": "X"}],
    }
    assert stored["podIP"] == "127.0.0.1"  # never mutated


def test_addresses_the_kubelet_never_reported_are_removed_and_agreeing_ones_left_alone() -> None:
    cached = {"phase": "Pending"}
    assert with_kubelet_ips({"phase": "Pending", "podIP": "127.0.0.1"}, cached) == {"phase": "Pending"}
    agreeing = {"phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}]}
    assert with_kubelet_ips(agreeing, dict(agreeing)) is None
    assert with_kubelet_ips({"podIP": "127.0.0.1"}, {}) is None  # the kubelet has reported nothing yet
