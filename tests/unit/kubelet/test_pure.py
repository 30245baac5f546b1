"""The kubelet's pure helpers: $(VAR) expansion, fieldRef values, quantities, active deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from minik.kubelet import deadline
from minik.kubelet.env import expand, resolve_field
from minik.kubelet.quantity import cores as _cpus
from minik.kubelet.quantity import size_bytes as _bytes

POD = {
    "metadata": {
        "name": "p",
        "namespace": "ns",
        "uid": "u-1",
        "labels": {"app": "web", "tier": "a"},
        "annotations": {"note": "hi"},
    },
    "spec": {"serviceAccountName": "sa"},
}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("$(A)-$(B)", "1-2"),
        ("$$(A)", "$(A)"),  # $$ escapes the reference
        ("$(MISSING)", "$(MISSING)"),  # unknown references stay as written
        ("cost $$5", "cost $5"),
        ("$(A", "$(A"),  # unterminated: left alone
        ("no refs", "no refs"),
    ],
)
def test_dollar_paren_references_expand_as_kubernetes_does(text: str, want: str) -> None:
    assert expand(text, {"A": "1", "B": "2"}) == want


@pytest.mark.parametrize(
    ("path", "want"),
    [
        ("metadata.name", "p"),
        ("metadata.namespace", "ns"),
        ("metadata.uid", "u-1"),
        ("metadata.labels['app']", "web"),
        ("metadata.annotations['note']", "hi"),
        ("metadata.labels['absent']", ""),
        ("metadata.labels", 'app="web"\ntier="a"'),
        ("spec.serviceAccountName", "sa"),
        ("spec.nodeName", "minik"),
        ("status.podIP", "10.0.0.7"),
        ("status.hostIP", "127.0.0.1"),
    ],
)
def test_field_refs_resolve_to_the_pods_own_values(path: str, want: str) -> None:
    assert resolve_field(POD, path, ip="10.0.0.7") == want


@pytest.mark.parametrize(
    ("quantity", "want"),
    [("64Mi", 64 * 2**20), ("1Gi", 2**30), ("500M", 500 * 10**6), ("1k", 1000), ("1048576", 2**20)],
)
def test_memory_limits_become_docker_bytes(quantity: str, want: int) -> None:
    assert _bytes(quantity) == want


@pytest.mark.parametrize(("quantity", "want"), [("500m", 0.5), ("2", 2.0), ("250m", 0.25), ("1.5", 1.5)])
def test_cpu_limits_become_docker_cpus(quantity: str, want: float) -> None:
    assert _cpus(quantity) == pytest.approx(want)


NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_a_pod_without_active_deadline_has_no_limit() -> None:
    assert deadline.remaining_seconds({}, NOW, NOW) is None


def test_active_deadline_counts_from_the_pods_start_time() -> None:
    spec = {"activeDeadlineSeconds": 30}
    assert deadline.remaining_seconds(spec, NOW - timedelta(seconds=10), NOW) == pytest.approx(20)


def test_active_deadline_is_past_once_the_whole_deadline_has_elapsed() -> None:
    spec = {"activeDeadlineSeconds": 5}
    left = deadline.remaining_seconds(spec, NOW - timedelta(seconds=5), NOW)
    assert left is not None and left <= 0


def test_a_pod_not_yet_started_has_its_whole_deadline_left() -> None:
    assert deadline.remaining_seconds({"activeDeadlineSeconds": 7}, None, NOW) == 7


def test_deadline_reason_and_message_are_the_kubelets() -> None:
    assert deadline.REASON == "DeadlineExceeded"
    assert deadline.MESSAGE == "Pod was active on the node longer than the specified deadline"
