"""``kubectl explain`` reads upstream's descriptions from minik's OpenAPI v3 components."""

from __future__ import annotations

from typing import Any

import pytest

from minik.api.openapi import PREFIX, component_schemas
from minik.manifest.schema import SCHEMA_FILES

EXPLAINED = [
    # (group-version, kind, field path, how upstream's description starts)
    ("batch/v1", "Job", "", "Job represents the configuration of a single job."),
    (
        "batch/v1",
        "Job",
        "spec.backoffLimit",
        "Specifies the number of retries before marking this job failed.",
    ),
    ("batch/v1", "Job", "spec.template.spec.containers.image", "Container image name."),
    ("batch/v1", "Job", "spec.podFailurePolicy", "Specifies the policy of handling failed pods."),
    ("batch/v1", "CronJob", "spec.schedule", "The schedule in Cron format"),
    (
        "batch/v1",
        "CronJob",
        "spec.jobTemplate.spec.completions",
        "Specifies the desired number of successfully",
    ),
    ("v1", "Pod", "spec.restartPolicy", "Restart policy for all containers within the pod."),
    ("v1", "Pod", "spec.volumes.emptyDir", "emptyDir represents a temporary directory"),
    ("v1", "Pod", "metadata.labels", "Map of string keys and values"),
    ("v1", "Pod", "kind", "Kind is a string value representing the REST resource"),
    ("v1", "Secret", "data", "Data contains the secret data."),
    ("v1", "Service", "spec.ports.targetPort", "Number or name of the port to access on the pods"),
    ("rbac.authorization.k8s.io/v1", "Role", "rules.verbs", "Verbs is a list of Verbs"),
]


def _prefix(api_version: str) -> str:
    return PREFIX.get(api_version, "io.minik." + api_version.replace("/", "."))


def explain(api_version: str, kind: str, path: str) -> str:
    """What ``kubectl explain KIND.PATH`` prints as DESCRIPTION, walked as kubectl walks it."""
    schemas = component_schemas(api_version)
    node: dict[str, Any] = schemas[f"{_prefix(api_version)}.{kind}"]
    for name in [p for p in path.split(".") if p]:
        node = node["properties"][name]
        text = node.get("description", "")
        target = node.get("items", node)
        for ref in target.get("allOf") or []:
            target = schemas[ref["$ref"].removeprefix("#/components/schemas/")]
        node = {**target, "description": text}
    return str(node.get("description", ""))


@pytest.mark.parametrize(
    ("api_version", "kind", "path", "start"), EXPLAINED, ids=[f"{e[1]}.{e[2]}" for e in EXPLAINED]
)
def test_kubectl_explain_reads_upstreams_words(api_version: str, kind: str, path: str, start: str) -> None:
    assert explain(api_version, kind, path).startswith(start)


NEWER_THAN_PINNED = {"stopSignal", "restartPolicyRules", "podCertificate"}
"""Fields minik's schemas know from a Kubernetes newer than 1.32, which has no words for them."""


def _undescribed(node: Any, where: str) -> list[str]:
    if not isinstance(node, dict):
        return []
    out = []
    for name, sub in (node.get("properties") or {}).items():
        if name not in ("status", *NEWER_THAN_PINNED) and not sub.get("description"):
            out.append(f"{where}.{name}")
        out += _undescribed(sub, f"{where}.{name}")
    out += _undescribed(node.get("items"), where)
    return out


@pytest.mark.parametrize(
    ("api_version", "kind"), sorted(SCHEMA_FILES), ids=[k for _, k in sorted(SCHEMA_FILES)]
)
def test_every_field_of_every_served_kind_is_described(api_version: str, kind: str) -> None:
    schemas = component_schemas(api_version)
    missing = [m for name, s in schemas.items() for m in _undescribed(s, name)]
    assert missing == []
