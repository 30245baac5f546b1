"""Writing Endpoints and EndpointSlices: addresses are checked as upstream's validation does."""

from __future__ import annotations

import pytest

from minik.registry.kinds import STRATEGIES


def endpoints(ip: str) -> dict[str, object]:
    return {"kind": "Endpoints", "metadata": {"name": "e"},
            "subsets": [{"addresses": [{"ip": ip}], "ports": [{"port": 80}]}]}  # fmt: skip


@pytest.mark.parametrize(
    ("ip", "why"),
    [
        ("10.1.2.3", ""),
        ("nope", "must be a valid IP address"),
        ("127.0.0.1", "may not be in the loopback range"),
        ("169.254.1.1", "may not be in the link-local range"),
        ("0.0.0.0", "may not be unspecified"),
        ("224.0.0.5", "may not be in the link-local multicast range"),
    ],
)
def test_endpoints_addresses(ip: str, why: str) -> None:
    errors = STRATEGIES["endpoints"].validate(endpoints(ip))
    assert [e.detail for e in errors if why in e.detail] == (
        [f'"{ip}": ' + errors[0].detail.split(": ", 1)[1]] if why else []
    )
    assert bool(errors) == bool(why)
    if why:
        assert errors[0].path == "subsets[0].addresses[0].ip"


def test_a_slice_needs_a_known_address_type_and_valid_addresses() -> None:
    sl = {"kind": "EndpointSlice", "metadata": {"name": "s"}, "addressType": "IPv4",
          "endpoints": [{"addresses": ["127.0.0.1"]}]}  # fmt: skip
    errors = STRATEGIES["endpointslices"].validate(sl)
    assert [e.path for e in errors] == ["endpoints[0].addresses[0]"]
    sl["addressType"] = "IPX"
    assert "Unsupported value" in [e.reason for e in STRATEGIES["endpointslices"].validate(sl)]
