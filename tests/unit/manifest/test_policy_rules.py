"""PodDisruptionBudget validation (upstream ``ValidatePodDisruptionBudget``) as specs."""

from __future__ import annotations

from typing import Any

import pytest

from minik import manifest


def pdb(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "b"},
        "spec": {"selector": {"matchLabels": {"app": "x"}}, **spec},
    }


def rendered(obj: dict[str, Any]) -> list[str]:
    errors, _ = manifest.validate_object(manifest.default_object(obj))
    return [f"{e.path}: {e.body()}" for e in errors]


@pytest.mark.parametrize(
    ("name", "spec", "expected"),
    [
        ("an integer minAvailable is valid", {"minAvailable": 2}, []),
        ("a percentage maxUnavailable is valid", {"maxUnavailable": "50%"}, []),
        (
            "minAvailable and maxUnavailable cannot be both set",
            {"minAvailable": 1, "maxUnavailable": 1},
            ["spec: Invalid value: minAvailable and maxUnavailable cannot be both set"],
        ),
        (
            "a negative minAvailable is invalid",
            {"minAvailable": -1},
            ["spec.minAvailable: Invalid value: -1: must be greater than or equal to 0"],
        ),
        (
            "a percentage above 100% is invalid",
            {"maxUnavailable": "150%"},
            ['spec.maxUnavailable: Invalid value: "150%": must not be greater than 100%'],
        ),
        (
            "a string that is not a percentage is invalid",
            {"minAvailable": "half"},
            [
                'spec.minAvailable: Invalid value: "half": a valid percent string must be a numeric string '
                "followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
            ],
        ),
        (
            "an unknown unhealthyPodEvictionPolicy is not supported",
            {"minAvailable": 1, "unhealthyPodEvictionPolicy": "Never"},
            [
                'spec.unhealthyPodEvictionPolicy: Unsupported value: "Never": supported values: '
                '"AlwaysAllow", "IfHealthyBudget"'
            ],
        ),
    ],
)
def test_pdb_validation(name: str, spec: dict[str, Any], expected: list[str]) -> None:
    assert rendered(pdb(**spec)) == expected, name


def test_a_pdb_is_defaulted_into_the_default_namespace() -> None:
    assert manifest.default_object(pdb(minAvailable=1))["metadata"]["namespace"] == "default"
