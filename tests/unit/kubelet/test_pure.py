"""The kubelet's pure helpers: $(VAR) expansion, fieldRef values, quantities, active deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from minik.kubelet import deadline
from minik.kubelet.container_config import resource_limits
from minik.kubelet.env import expand, resolve_field
from minik.kubelet.errors import ConfigError

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
    [
        ("64Mi", 64 * 2**20),
        ("1Gi", 2**30),
        ("500M", 500 * 10**6),
        ("1048576k", 1048576000),
        ("6291456", 6 * 2**20),
        ("1P", 10**15),
        ("2E", 2 * 10**18),
        ("6.5Mi", 6815744),
        ("8Ei", 2**63 - 1),  # capped at the int64 maximum, as upstream's parser caps it
        (64 * 2**20, 64 * 2**20),  # a JSON number
    ],
)
def test_memory_limits_become_docker_bytes(quantity: str, want: int) -> None:
    assert resource_limits({"memory": quantity}) == {"mem_limit": want}


@pytest.mark.parametrize(
    ("quantity", "want_quota"),
    [
        ("500m", 50_000),
        ("2", 200_000),
        ("250m", 25_000),
        ("1.5", 150_000),
        ("1k", 100_000_000),  # more cores than the host has: a quota, not refused
        ("100u", 1_000),  # rounded up to 1m, then to the kubelet's least quota (1 ms)
        ("1n", 1_000),
    ],
)
def test_cpu_limits_become_a_cfs_quota_as_the_kubelet_sets_it(quantity: str, want_quota: int) -> None:
    assert resource_limits({"cpu": quantity}) == {"cpu_period": 100_000, "cpu_quota": want_quota}


@pytest.mark.parametrize("quantity", ["500m", "1", "1Ki", "6291455"])
def test_a_memory_limit_under_dockers_minimum_is_dockers_error_not_a_python_one(quantity: str) -> None:
    with pytest.raises(
        ConfigError, match=r"^Error response from daemon: Minimum memory limit allowed is 6MB$"
    ):
        resource_limits({"memory": quantity})


def test_zero_limits_are_no_limits() -> None:
    assert resource_limits({"memory": "0", "cpu": "0"}) == {}


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
