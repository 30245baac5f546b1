"""default_object / validate_object / load behaviour, scenario by scenario."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from minik import manifest
from minik.errors import ManifestError
from minik.manifest import schemagen

ROOT = Path(__file__).resolve().parents[3]


def job(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}
    }
    base.update(spec)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": base}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, {"completions": 1, "parallelism": 1, "backoffLimit": 6}, id="both absent become 1"),
        pytest.param(
            {"parallelism": 3},
            {"parallelism": 3, "backoffLimit": 6},
            id="work queue keeps completions absent",
        ),
        pytest.param(
            {"completions": 4}, {"completions": 4, "parallelism": 1}, id="parallelism defaults to 1"
        ),
        pytest.param(
            {"completionMode": "Indexed", "completions": 2, "backoffLimitPerIndex": 1},
            {"backoffLimit": 2147483647},
            id="backoffLimit MaxInt32 with per-index limit",
        ),
        pytest.param(
            {"podFailurePolicy": {"rules": []}}, {"podReplacementPolicy": "Failed"}, id="pfp means Failed"
        ),
        pytest.param(
            {},
            {
                "podReplacementPolicy": "TerminatingOrFailed",
                "suspend": False,
                "manualSelector": False,
                "completionMode": "NonIndexed",
            },
            id="plain defaults",
        ),
    ],
)
def test_job_defaults(spec: dict[str, Any], expected: dict[str, Any]) -> None:
    out = manifest.default_object(job(**spec))["spec"]
    for k, v in expected.items():
        assert out[k] == v
    if "completions" not in expected and "parallelism" in spec:
        assert "completions" not in out


def test_create_generates_selector_template_labels_and_job_labels() -> None:
    out = manifest.default_object(job(), uid="u-1")
    labels = out["spec"]["template"]["metadata"]["labels"]
    assert labels == {
        "controller-uid": "u-1",
        "batch.kubernetes.io/controller-uid": "u-1",
        "job-name": "j",
        "batch.kubernetes.io/job-name": "j",
    }
    assert out["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}}
    assert out["metadata"]["labels"] == labels
    assert manifest.validate_object(out) == ([], [])


def test_pod_template_defaults() -> None:
    j = job()
    j["spec"]["template"]["spec"]["containers"] = [
        {"name": "a", "image": "busybox"},
        {
            "name": "b",
            "image": "busybox:1.36",
            "ports": [{"containerPort": 80}],
            "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        },
    ]
    pod = manifest.default_object(j)["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 30 and pod["dnsPolicy"] == "ClusterFirst"
    assert pod["schedulerName"] == "default-scheduler"
    a, b = pod["containers"]
    assert a["imagePullPolicy"] == "Always" and b["imagePullPolicy"] == "IfNotPresent"
    assert a["terminationMessagePath"] == "/dev/termination-log" and a["terminationMessagePolicy"] == "File"
    assert b["ports"][0]["protocol"] == "TCP"
    assert b["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"


def test_service_and_secret_defaults() -> None:
    svc = manifest.default_object(
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}}
    )
    assert svc["spec"]["type"] == "ClusterIP" and svc["spec"]["ports"][0] == {
        "port": 80,
        "protocol": "TCP",
        "targetPort": 80,
    }
    assert svc["metadata"]["namespace"] == "default"
    sec = manifest.default_object(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "stringData": {"a": "b"},
            "data": {"c": "ZA=="},
        }
    )
    assert sec["data"] == {"c": "ZA==", "a": "Yg=="} and "stringData" not in sec and sec["type"] == "Opaque"


def test_indexed_without_completions_or_parallelism_is_valid() -> None:
    errors, _ = manifest.validate_object(manifest.default_object(job(completionMode="Indexed")))
    assert errors == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param({"parallelism": 5}, [], id="parallelism is mutable"),
        pytest.param(
            {"completions": 3},
            ["spec.completions: Invalid value: 3: field is immutable"],
            id="NonIndexed completions are immutable",
        ),
        pytest.param(
            {"completionMode": "Indexed", "completions": 3, "parallelism": 2},
            ['spec.completionMode: Invalid value: "Indexed": field is immutable'],
            id="mode is immutable",
        ),
    ],
)
def test_update_immutability(change: dict[str, Any], expected: list[str]) -> None:
    old = manifest.default_object(job(completions=2), uid="u")
    new = json.loads(json.dumps(old))
    new["spec"].update(change)
    errors, _ = manifest.validate_object(new, old=old)
    rendered = [e.render() for e in errors]
    assert all(x in rendered for x in expected) and (rendered == [] if not expected else True)


def test_indexed_completions_change_only_in_tandem_with_parallelism() -> None:
    old = manifest.default_object(job(completionMode="Indexed", completions=2, parallelism=2), uid="u")
    new = json.loads(json.dumps(old))
    new["spec"]["completions"] = 4
    errors, _ = manifest.validate_object(new, old=old)
    assert [e.render() for e in errors] == [
        "spec.completions: Invalid value: 4: can only be modified in tandem with spec.parallelism"
    ]
    new["spec"]["parallelism"] = 4
    assert manifest.validate_object(new, old=old)[0] == []


def test_template_change_is_immutable() -> None:
    old = manifest.default_object(job(), uid="u")
    new = json.loads(json.dumps(old))
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "alpine"
    errors, _ = manifest.validate_object(new, old=old)
    assert (
        len(errors) == 1
        and errors[0].path == "spec.template"
        and errors[0].detail.endswith("field is immutable")
    )


def test_unknown_field_reason_for_the_api() -> None:
    j = manifest.default_object(job())
    j["spec"]["template"]["spec"]["containers"][0]["comand"] = ["x"]
    errors, _ = manifest.validate_object(j)
    assert [(e.path, e.reason) for e in errors] == [
        ("spec.template.spec.containers[0].comand", "Unknown field")
    ]


def test_placement_fields_are_warnings_not_errors() -> None:
    j = job()
    j["spec"]["template"]["spec"].update({"nodeSelector": {"a": "b"}, "priorityClassName": "high"})
    v = manifest.validate_documents(manifest.parse(json.dumps(j), "j.json")[0])
    assert [(w.path, w.warning) for w in v.warnings] == [
        ("spec.template.spec.nodeSelector", True),
        ("spec.template.spec.priorityClassName", True),
    ]
    assert v.warnings[0].location.startswith("j.json:1:")


def test_dotted_job_name_warns_r1_12() -> None:
    j = job()
    j["metadata"]["name"] = "a.b"
    v = manifest.validate_documents(manifest.parse(json.dumps(j), "j.json")[0])
    assert (
        v.warnings[0]
        .render()
        .endswith(
            "metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; "
            "a DNS label is recommended: [must not contain dots]"
        )
    )


def test_stdin_and_missing_file() -> None:
    docs = manifest.load(["-"], stdin=io.StringIO("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"))
    assert docs[0].source == "<stdin>" and docs[0].position(("metadata", "name")) == (3, 12)
    with pytest.raises(ManifestError, match="does not exist"):
        manifest.load(["/nonexistent/x.yaml"])


def test_file_over_the_size_limit_is_refused() -> None:
    _, errors = manifest.parse("a: " + "x" * manifest.MAX_FILE_BYTES, "big.yaml")
    assert errors[0].render().startswith("big.yaml:1:1: Too long")


def test_committed_schemas_equal_the_generator() -> None:
    for name, schema in schemagen.build().items():
        assert (ROOT / "schemas" / name).read_text() == schemagen.render(schema)


def test_support_list_renders_for_the_readme() -> None:
    text = manifest.support_markdown()
    assert "nfs volumes" in text and "| warning |" in text


def test_a_thousand_documents_validate_together() -> None:
    # How fast is benchmarks/bench_validate.py's business (no timed tests here).
    text = (ROOT / "examples" / "indexed-job.yaml").read_text()
    docs, _ = manifest.parse("---\n".join([text] * 1000), "many.yaml")
    manifest.validate_documents(docs)
