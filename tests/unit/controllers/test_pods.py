"""Pods the controller creates (R3.1–R3.6) and which active pods go first."""

from __future__ import annotations

import pytest

from minik.controllers.job.pods import build_pod, name_prefix, removal_order
from minik.controllers.job.podutil import INDEX_KEY, TRACKING_FINALIZER
from tests.unit.controllers.builders import PI_OWNER, job, namer, pod

INDEX_ENV = {
    "name": "JOB_COMPLETION_INDEX",
    "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": f"metadata.labels['{INDEX_KEY}']"}},
}


@pytest.mark.parametrize(
    ("job_name", "index", "prefix"),
    [
        ("pi", None, "pi-"),
        ("pi", 3, "pi-3-"),
        ("a" * 63, None, "a" * 58),
        ("a" * 57, None, "a" * 57 + "-"),
        ("b" * 63, 12, "b" * 54 + "-12-"),
    ],
    ids=["non-indexed", "indexed", "long name cut to 58", "57 chars keeps dash", "indexed keeps -<index>-"],
)
def test_name_prefix(job_name: str, index: int | None, prefix: str) -> None:
    assert name_prefix(job_name, index) == prefix
    assert len(prefix) <= 58


def test_non_indexed_pod_has_template_labels_owner_and_finalizer_but_no_hostname() -> None:
    p = build_pod(job(), index=None, extra_annotations=None, new_name=namer())
    m = p["metadata"]
    assert m["name"] == "pi-00000"
    assert m["namespace"] == "default"
    assert m["labels"] == {"batch.kubernetes.io/controller-uid": "uid-1", "job-name": "pi"}
    assert m["finalizers"] == [TRACKING_FINALIZER]
    assert m["ownerReferences"] == [PI_OWNER]
    assert "hostname" not in p["spec"]
    assert "env" not in p["spec"]["containers"][0]
    assert "status" not in p and "uid" not in m


def test_indexed_pod_gets_index_label_annotation_env_last_and_hostname() -> None:
    template = {
        "metadata": {"labels": {"x": "y"}, "annotations": {"a": "b"}},
        "spec": {
            "restartPolicy": "Never",
            "initContainers": [{"name": "init", "env": [{"name": "FOO", "value": "1"}]}],
            "containers": [
                {"name": "main"},
                {"name": "side", "env": [{"name": "JOB_COMPLETION_INDEX", "value": "mine"}]},
            ],
            "hostname": "ignored",
        },
    }
    j = job(completionMode="Indexed", completions=5, template=template)
    p = build_pod(j, index=4, extra_annotations=None, new_name=namer())
    assert p["metadata"]["name"] == "pi-4-00000"
    assert p["metadata"]["labels"] == {"x": "y", INDEX_KEY: "4"}
    assert p["metadata"]["annotations"] == {"a": "b", INDEX_KEY: "4"}
    spec = p["spec"]
    assert spec["hostname"] == "pi-4"
    assert spec["initContainers"][0]["env"] == [{"name": "FOO", "value": "1"}, INDEX_ENV]
    assert spec["containers"][0]["env"] == [INDEX_ENV]
    assert spec["containers"][1]["env"] == [{"name": "JOB_COMPLETION_INDEX", "value": "mine"}]
    assert "env" not in template["spec"]["containers"][0], "the Job's template is not mutated"


def test_per_index_failure_annotations_are_added() -> None:
    j = job(completionMode="Indexed", completions=2)
    p = build_pod(
        j, index=1, extra_annotations={"batch.kubernetes.io/job-index-failure-count": "2"}, new_name=namer()
    )
    assert p["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] == "2"


def test_removal_order_least_progressed_first() -> None:
    pods = [
        pod("running-ready", ready=True),
        pod("running", created=-10),
        pod("pending", "Pending"),
        pod("unscheduled", "Pending", node=None),
        pod("running-restarted", restarts=3),
        pod("running-newer", created=-5),
    ]
    got = [p["metadata"]["name"] for p in sorted(pods, key=removal_order)]
    assert got == ["unscheduled", "pending", "running-restarted", "running-newer", "running", "running-ready"]
