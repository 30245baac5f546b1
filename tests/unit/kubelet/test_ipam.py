"""minik's pod IPAM: one address per pod from the instance subnet's upper half, recorded before use.

The rules follow the CNI host-local plugin (containernetworking/plugins
``plugins/ipam/host-local/backend/allocator/allocator.go``): next-fit from
the last address handed out, the same address again for the same id, an
error naming the range when every address is held.
"""

from __future__ import annotations

import ipaddress

import pytest

from minik.kubelet import subnets
from minik.kubelet.network.ipam import AddressesExhausted, MemoryLedger, NoNetwork, PodIPs, pod_range

SUBNET = "10.208.0.0/22"


def ipam(rows: dict[str, str] | None = None, subnet: str = SUBNET) -> tuple[PodIPs, MemoryLedger]:
    ledger = MemoryLedger(rows)
    ips = PodIPs(ledger)
    ips.use_subnet(subnet)
    return ips, ledger


def test_docker_gets_the_first_quarter_services_the_second_and_pods_the_upper_half_less_its_broadcast() -> (
    None
):
    net = ipaddress.IPv4Network(SUBNET)
    assert str(subnets.dynamic_range(net)) == "10.208.0.0/24"
    assert str(subnets.service_range(net)) == "10.208.1.0/24"
    first, last = pod_range(net)
    assert (str(first), str(last)) == ("10.208.2.0", "10.208.3.254")


def test_a_pod_gets_an_address_of_the_upper_half_recorded_before_use_and_the_same_one_again() -> None:
    ips, ledger = ipam()
    a = ips.allocate("uid-a")
    assert a == "10.208.2.0"
    assert ledger.rows == {"uid-a": a}
    assert ips.allocate("uid-a") == a  # every container of the pod: the same address
    assert ips.get("uid-a") == a


def test_next_fit_a_released_address_is_reused_last() -> None:
    ips, _ = ipam(subnet="10.208.0.0/29")  # pod range 10.208.0.4 - .6
    a, b = ips.allocate("a"), ips.allocate("b")
    ips.release("a")
    c = ips.allocate("c")
    assert (a, b, c) == ("10.208.0.4", "10.208.0.5", "10.208.0.6")
    assert ips.allocate("d") == a  # wrapped around to the only free one


def test_every_address_held_is_an_error_naming_the_range_and_nothing_is_recorded() -> None:
    ips, ledger = ipam({"a": "10.208.0.4", "b": "10.208.0.5", "c": "10.208.0.6"}, subnet="10.208.0.0/29")
    with pytest.raises(AddressesExhausted, match=r"no free pod address left in 10\.208\.0\.4-10\.208\.0\.6"):
        ips.allocate("d")
    assert "d" not in ledger.rows
    ips.release("b")
    assert ips.allocate("d") == "10.208.0.5"


def test_a_restarted_server_reads_the_ledger_back_and_never_hands_out_a_held_address() -> None:
    first, ledger = ipam()
    held = {u: first.allocate(u) for u in ("a", "b", "c")}
    again = PodIPs(ledger)  # a server killed and started again
    again.use_subnet(SUBNET)
    assert {u: again.get(u) for u in held} == held
    assert again.allocate("d") not in held.values()
    assert again.allocate("d") == "10.208.2.3"  # after the highest held, as before the kill


def test_release_forgets_the_pod_in_the_ledger_too() -> None:
    ips, ledger = ipam()
    ips.allocate("a")
    ips.release("a")
    ips.release("a")  # twice is harmless
    assert ips.get("a") == "" and ledger.rows == {}


def test_the_starts_sweep_releases_pods_the_store_no_longer_has() -> None:
    ips, ledger = ipam()
    for u in ("a", "b", "c"):
        ips.allocate(u)
    assert ips.keep_only({"b", "x"}) == 2
    assert set(ledger.rows) == {"b"}


def test_a_network_made_anew_on_another_subnet_drops_addresses_outside_it() -> None:
    ips, ledger = ipam({"old": "10.208.2.9", "new": "10.208.6.1"}, subnet="10.208.4.0/22")
    assert ledger.rows == {"new": "10.208.6.1"}
    assert ips.allocate("old") == "10.208.6.2"


def test_no_address_before_the_network_is_known() -> None:
    with pytest.raises(NoNetwork):
        PodIPs(MemoryLedger()).allocate("a")
