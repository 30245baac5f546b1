"""Integers the API takes are int64 (or int32) as the API server reads them: out of range is a 400, never a 500.

Upstream: query parameters go through ``strconv.ParseInt(s, 10, 64)``;
``DeleteOptions.gracePeriodSeconds`` is an ``*int64`` decoded from JSON;
``rest.BeforeDelete`` takes a negative grace period as one second.
"""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from minik.registry import Registry
from tests.unit.api.conftest import PODS, FakeHooks, a_pod


def _pod(client: TestClient) -> None:
    assert client.post(PODS, json=a_pod("p")).status_code == 201


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("gracePeriodSeconds=9223372036854775808", 400, "value out of range"),
        ("gracePeriodSeconds=-9223372036854775809", 400, "value out of range"),
        ("gracePeriodSeconds=" + "9" * 5000, 400, "value out of range"),
        ("gracePeriodSeconds=1_000", 400, "must be an integer"),
        ("gracePeriodSeconds=%2010", 400, "must be an integer"),
    ],
)
def test_a_grace_period_query_out_of_int64_is_a_400(
    client: TestClient, store: Registry, query: str, status: int, message: str
) -> None:
    _pod(client)
    resp = client.delete(f"{PODS}/p?{query}")
    assert resp.status_code == status, resp.text
    assert message in resp.json()["message"]
    assert not store.get("pods", "default", "p")["metadata"].get("deletionTimestamp")


@pytest.mark.parametrize("grace", [2**63, -(2**63) - 1, 10**30])
def test_a_grace_period_body_out_of_int64_is_a_400(client: TestClient, store: Registry, grace: int) -> None:
    _pod(client)
    resp = client.request("DELETE", f"{PODS}/p", json={"gracePeriodSeconds": grace})
    assert resp.status_code == 400, resp.text
    assert resp.json()["message"] == (
        f"json: cannot unmarshal number {grace} into Go struct field DeleteOptions.gracePeriodSeconds of type int64"
    )


def test_the_largest_grace_period_is_accepted_and_the_deletion_time_stays_on_the_calendar(
    client: TestClient, store: Registry
) -> None:
    _pod(client)
    resp = client.delete(f"{PODS}/p?gracePeriodSeconds=9223372036854775807")
    assert resp.status_code == 202, resp.text  # accepted: the pod terminates gracefully
    m = store.get("pods", "default", "p")["metadata"]
    assert (m["deletionGracePeriodSeconds"], m["deletionTimestamp"]) == (2**63 - 1, "9999-12-31T23:59:59Z")


def test_a_negative_grace_period_means_one_second(client: TestClient, store: Registry) -> None:
    _pod(client)
    resp = client.request("DELETE", f"{PODS}/p", json={"gracePeriodSeconds": -(2**63)})
    assert resp.status_code == 202, resp.text
    assert store.get("pods", "default", "p")["metadata"]["deletionGracePeriodSeconds"] == 1


@pytest.mark.parametrize("param", ["limit", "timeoutSeconds"])
def test_list_integers_out_of_int64_are_a_400(client: TestClient, param: str) -> None:
    resp = client.get(f"{PODS}?{param}=99999999999999999999")
    assert resp.status_code == 400, resp.text


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("sinceSeconds=0", 422, 'PodLogOptions "p" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0'),
        ("tailLines=-1", 422, 'PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0'),
        ("sinceSeconds=99999999999999999999", 400, "value out of range"),
    ],
)  # fmt: skip
def test_pod_log_options_are_checked_as_validate_pod_log_options_checks_them(
    client: TestClient, store: Registry, query: str, status: int, message: str
) -> None:
    _pod(client)
    resp = client.get(f"{PODS}/p/log?{query}")
    assert resp.status_code == status, resp.text
    assert message in resp.json()["message"]


def test_a_since_further_back_than_the_epoch_asks_for_everything(
    client: TestClient, store: Registry, hooks: FakeHooks
) -> None:
    _pod(client)
    pod = store.get("pods", "default", "p")
    pod["status"] = {"phase": "Running", "containerStatuses": [{"name": "c", "state": {"running": {}}}]}
    store.update("pods", pod, status_only=True)
    resp = client.get(f"{PODS}/p/log?sinceSeconds=9223372036854775807")
    assert resp.status_code == 200, resp.text
    assert 0 < hooks.logs_calls[-1]["since_seconds"] <= time.time()
