"""ClusterIP admission as the API server's Service storage and allocator decide it (pure)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minik.registry import clusterip

RANGE = "10.208.1.0/24"


def svc(**spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "s", "uid": "u1"},
        "spec": {"type": "ClusterIP", "ports": [{"port": 80}], **spec},
    }


@pytest.mark.parametrize(
    ("scenario", "spec", "used", "want_ip", "problem"),
    [
        ("the first free address is given", {}, set(), "10.208.1.0", ""),
        ("a held address is skipped", {}, {"10.208.1.0", "10.208.1.1"}, "10.208.1.2", ""),
        ("an empty clusterIP is allocated", {"clusterIP": ""}, set(), "10.208.1.0", ""),
        ("a requested free address is honoured", {"clusterIP": "10.208.1.77"}, set(), "10.208.1.77", ""),
        ("clusterIPs alone is honoured", {"clusterIPs": ["10.208.1.5"]}, set(), "10.208.1.5", ""),
        (
            "a requested held address is refused",
            {"clusterIP": "10.208.1.7"},
            {"10.208.1.7"},
            "",
            'spec.clusterIPs: Invalid value: ["10.208.1.7"]: failed to allocate IP 10.208.1.7: '
            "provided IP is already allocated",
        ),
        (
            "an address outside the range is refused",
            {"clusterIP": "10.0.0.1"},
            set(),
            "",
            "failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. "
            "The range of valid IPs is 10.208.1.0/24",
        ),
        (
            "the range's last address is the proxy's, never a Service's",
            {"clusterIP": "10.208.1.255"},
            set(),
            "",
            "is not in the valid range",
        ),
        (
            "clusterIP and clusterIPs must agree",
            {"clusterIP": "10.208.1.3", "clusterIPs": ["10.208.1.4"]},
            set(),
            "",
            'spec.clusterIPs[0]: Invalid value: "10.208.1.4": must match `clusterIP` when set',
        ),
        ("a malformed address is refused", {"clusterIP": "ten"}, set(), "", "must be a valid IP address"),
        ("headless takes no address", {"clusterIP": "None"}, set(), "None", ""),
    ],
)
def test_create(scenario: str, spec: dict[str, Any], used: set[str], want_ip: str, problem: str) -> None:
    obj = svc(**spec)
    problems = clusterip.admit_create(obj, RANGE, used)
    if problem:
        assert problems, scenario
        assert problem in " ".join(f"{p}: {b}" for p, _, b in problems), scenario
    else:
        assert problems == [], scenario
        assert obj["spec"]["clusterIP"] == want_ip
        assert obj["spec"]["clusterIPs"] == [want_ip]


def test_a_full_range_is_refused() -> None:
    used = {f"10.208.1.{i}" for i in range(255)}
    problems = clusterip.admit_create(svc(), RANGE, used)
    assert "range is full" in problems[0][2]


def test_no_range_yet_is_service_unavailable() -> None:
    with pytest.raises(Exception, match="no Service range yet"):
        clusterip.admit_create(svc(), "", set())


def stored(ip: str = "10.208.1.9") -> dict[str, Any]:
    return svc(clusterIP=ip, clusterIPs=[ip], ipFamilies=["IPv4"], ipFamilyPolicy="SingleStack")


@pytest.mark.parametrize(
    ("scenario", "spec", "want_ip", "problem"),
    [
        ("an update leaving the address out keeps it", {}, "10.208.1.9", ""),
        ("an update naming the same address is fine", {"clusterIP": "10.208.1.9"}, "10.208.1.9", ""),
        (
            "a new address may not replace the old",
            {"clusterIP": "10.208.1.10"},
            "",
            'spec.clusterIPs[0]: Invalid value: ["10.208.1.10"]: may not change once set',
        ),
        (
            "turning headless is a change",
            {"clusterIP": "None", "clusterIPs": ["None"]},
            "",
            'spec.clusterIPs[0]: Invalid value: ["None"]: may not change once set',
        ),
    ],
)
def test_update(scenario: str, spec: dict[str, Any], want_ip: str, problem: str) -> None:
    new = svc(**spec)
    old = stored()
    before = copy.deepcopy(old)
    problems = clusterip.admit_update(new, old, RANGE, set())
    assert old == before, "the stored object is never changed"
    if problem:
        assert [b for _, _, b in problems] == [problem.split(": ", 1)[1]], scenario
    else:
        assert problems == [], scenario
        assert new["spec"]["clusterIP"] == want_ip
        assert new["spec"]["clusterIPs"] == [want_ip]


def test_the_addresses_in_use_leave_out_the_service_itself_and_headless_ones() -> None:
    services = [stored("10.208.1.1"), {**svc(clusterIP="None"), "metadata": {"uid": "u2"}}]
    assert clusterip.addresses_in_use(services) == {"10.208.1.1"}
    assert clusterip.addresses_in_use(services, skip_uid="u1") == set()
