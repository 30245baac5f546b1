"""The kubelet's status writes keep the conditions it does not own (upstream ``mergePodStatus``)."""

from __future__ import annotations

from minik.server.podstatus import merge_pod_status

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
