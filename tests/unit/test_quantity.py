"""Quantities as apimachinery's ``resource.ParseQuantity`` reads them, one reading for all of minik.

Upstream: staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go
(``parseQuantityString``, ``ParseQuantity``: exact values, a non-zero value
under 1n rounded up to 1n, binary values capped at the int64 maximum;
``Value``/``MilliValue`` round up).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from minik import quantity
from minik.kubelet.container_config import resource_limits
from minik.kubelet.env import resource_value
from minik.manifest.rules_pod import _resources


@pytest.mark.parametrize(
    ("text", "exact", "fmt"),
    [
        ("500m", "0.5", "DecimalSI"),
        ("100u", "0.0001", "DecimalSI"),
        ("1n", "0.000000001", "DecimalSI"),
        ("0.1n", "0.000000001", "DecimalSI"),  # under 1n: rounded up
        ("-0.1n", "-0.000000001", "DecimalSI"),  # away from zero
        ("1k", "1000", "DecimalSI"),
        ("1P", "1e15", "DecimalSI"),
        ("2E", "2e18", "DecimalSI"),  # E alone is exa
        ("64Mi", str(64 * 2**20), "BinarySI"),
        ("1.5Gi", str(3 * 2**29), "BinarySI"),
        ("8Ei", str(2**63 - 1), "BinarySI"),  # capped
        ("1e3", "1000", "DecimalExponent"),
        ("12E-2", "0.12", "DecimalExponent"),
        ("1.", "1", "DecimalSI"),
        (".5", "0.5", "DecimalSI"),
        ("+3", "3", "DecimalSI"),
        ("1e2000000000", "1e2000000000", "DecimalExponent"),  # exact, never expanded
        (1500, "1500", "DecimalSI"),  # a JSON number
    ],
)
def test_a_quantity_is_read_exactly(text: object, exact: str, fmt: str) -> None:
    assert quantity.parse_with_format(text) == (Decimal(exact), fmt)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", quantity.FORMAT_MSG),
        ("abc", quantity.FORMAT_MSG),
        ("1..2", quantity.FORMAT_MSG),
        ("1 Gi", quantity.FORMAT_MSG),
        ("k", quantity.FORMAT_MSG),
        ("1K", quantity.SUFFIX_MSG),
        ("1Ki5", quantity.SUFFIX_MSG),
        ("1e", quantity.SUFFIX_MSG),
        ("1e99999999999", quantity.SUFFIX_MSG),  # the exponent is an int32 upstream
        (True, quantity.FORMAT_MSG),
        (None, quantity.FORMAT_MSG),
    ],
)
def test_what_is_not_a_quantity_is_refused_with_upstreams_sentence(text: object, message: str) -> None:
    with pytest.raises(quantity.QuantityError) as err:
        quantity.parse(text)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("text", "value", "milli"),
    [
        ("500m", 1, 500),
        ("100u", 1, 1),
        ("1.5", 2, 1500),
        ("1k", 1000, 1_000_000),
        ("2E", 2 * 10**18, 2**63 - 1),  # MilliValue past int64: capped
        ("1e2000000000", 2**63 - 1, 2**63 - 1),
        ("-1.5", -2, -1500),
        ("0", 0, 0),
    ],
)
def test_value_and_milli_value_round_up(text: str, value: int, milli: int) -> None:
    assert (quantity.value(text), quantity.milli_value(text)) == (value, milli)


@pytest.mark.parametrize(
    ("text", "shown"),
    [("1024Mi", "1Gi"), ("2000", "2k"), ("1.5Gi", "1536Mi"), ("1000Ki", "1000Ki"), ("512", "512"),
     ("0", "0"), ("500m", "500m"), ("1e3", "1e3"), ("garbage", "garbage"), (None, "")],
)  # fmt: skip
def test_canonical_prints_a_whole_quantity_as_upstream(text: object, shown: str) -> None:
    assert quantity.canonical(text) == shown


@pytest.mark.parametrize(
    ("resource", "value"),
    [("memory", "500m"), ("memory", "1P"), ("memory", "2E"), ("cpu", "1k"), ("cpu", "100u")],
)
def test_every_value_validation_accepts_the_kubelet_can_read(resource: str, value: str) -> None:
    assert _resources({"limits": {resource: value}}, ("resources",)) == []
    try:
        resource_limits({resource: value})
    except Exception as exc:
        assert not isinstance(exc, ValueError), exc
        assert str(exc) == "Error response from daemon: Minimum memory limit allowed is 6MB"


@pytest.mark.parametrize(
    ("resource", "limit", "divisor", "want"),
    [("limits.cpu", "250m", "1", "1"), ("limits.cpu", "250m", "1m", "250"), ("limits.cpu", "1k", "1", "1000"),
     ("limits.memory", "64Mi", "1Mi", "64"), ("limits.memory", "1000", "1Ki", "1"), ("limits.memory", "1P", "1", str(10**15))],
)  # fmt: skip
def test_downward_api_resource_values_are_divided_and_rounded_up(
    resource: str, limit: str, divisor: str, want: str
) -> None:
    kind, _, what = resource.partition(".")
    c = {"resources": {kind: {what: limit}}}
    assert resource_value(c, {"resource": resource, "divisor": divisor}) == want
