"""Probes and lifecycle hooks: the API server's defaults and validation, as specs.

Upstream: pkg/apis/core/v1/defaults.go (SetDefaults_Probe, SetDefaults_HTTPGetAction) and
pkg/apis/core/validation/validation.go (validateProbe, validateHandler, validateLifecycle,
validateInitContainers).
"""

from __future__ import annotations

from typing import Any

import pytest

from minik import manifest

C = "spec.template.spec.containers[0]"


def job(container: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "c", "image": "busybox", **container}],
                    **spec,
                }
            }
        },
    }


def rendered(obj: dict[str, Any]) -> list[str]:
    errors, _ = manifest.validate_object(manifest.default_object(obj))
    return [f"{e.path}: {e.body()}" for e in errors]


def test_a_probe_gets_upstreams_defaults() -> None:
    out = manifest.default_object(job({"readinessProbe": {"httpGet": {"port": 8080}}}))
    probe = out["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert probe == {
        "httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def test_a_hooks_http_action_gets_a_path_and_scheme_too() -> None:
    out = manifest.default_object(job({"lifecycle": {"preStop": {"httpGet": {"port": 80}}}}))
    hook = out["spec"]["template"]["spec"]["containers"][0]["lifecycle"]["preStop"]
    assert hook == {"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}}


EXEC = {"exec": {"command": ["true"]}}


@pytest.mark.parametrize(
    ("scenario", "container", "spec", "expected"),
    [
        ("an exec liveness probe is valid", {"livenessProbe": EXEC}, {}, []),
        (
            "every probe kind and hook is valid together",
            {
                "startupProbe": {"tcpSocket": {"port": "http"}},
                "readinessProbe": {"httpGet": {"port": 80, "path": "/ready", "scheme": "HTTPS"}},
                "livenessProbe": {"grpc": {"port": 9000}},
                "ports": [{"name": "http", "containerPort": 80}],
                "lifecycle": {"postStart": EXEC, "preStop": {"sleep": {"seconds": 5}}},
            },
            {},
            [],
        ),
        (
            "a probe needs a handler",
            {"readinessProbe": {"periodSeconds": 5}},
            {},
            [f"{C}.readinessProbe: Required value: must specify a handler type"],
        ),
        (
            "a probe may have one handler only",
            {"livenessProbe": {**EXEC, "tcpSocket": {"port": 80}}},
            {},
            [f"{C}.livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"],
        ),
        (
            "an exec action needs a command",
            {"livenessProbe": {"exec": {}}},
            {},
            [f"{C}.livenessProbe.exec.command: Required value"],
        ),
        (
            "a port out of range",
            {"readinessProbe": {"tcpSocket": {"port": 70000}}},
            {},
            [
                f"{C}.readinessProbe.tcpSocket.port: Invalid value: 70000: must be between 1 and 65535, inclusive"
            ],
        ),
        (
            "an unknown scheme",
            {"readinessProbe": {"httpGet": {"port": 80, "scheme": "FTP"}}},
            {},
            [
                f'{C}.readinessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"'
            ],
        ),
        (
            "negative timings",
            {"readinessProbe": {**EXEC, "initialDelaySeconds": -1}},
            {},
            [
                f"{C}.readinessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0"
            ],
        ),
        (
            "liveness needs successThreshold 1",
            {"livenessProbe": {**EXEC, "successThreshold": 2}},
            {},
            [f"{C}.livenessProbe.successThreshold: Invalid value: 2: must be 1"],
        ),
        (
            "startup needs successThreshold 1",
            {"startupProbe": {**EXEC, "successThreshold": 3}},
            {},
            [f"{C}.startupProbe.successThreshold: Invalid value: 3: must be 1"],
        ),
        ("readiness may ask for more successes", {"readinessProbe": {**EXEC, "successThreshold": 3}}, {}, []),
        (
            "readiness may not set a termination grace period",
            {"readinessProbe": {**EXEC, "terminationGracePeriodSeconds": 5}},
            {},
            [
                f"{C}.readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes"
            ],
        ),
        (
            "a liveness probe's grace period must be positive",
            {"livenessProbe": {**EXEC, "terminationGracePeriodSeconds": 0}},
            {},
            [f"{C}.livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0"],
        ),
        (
            "a sleep hook longer than the grace period",
            {"lifecycle": {"preStop": {"sleep": {"seconds": 40}}}},
            {},
            [
                f"{C}.lifecycle.preStop.sleep: Invalid value: 40: "
                "must be non-negative and less than terminationGracePeriodSeconds (30)"
            ],
        ),
        (
            "a hook needs a handler",
            {"lifecycle": {"postStart": {}}},
            {},
            [f"{C}.lifecycle.postStart: Required value: must specify a handler type"],
        ),
    ],
)
def test_probe_and_hook_validation(
    scenario: str, container: dict[str, Any], spec: dict[str, Any], expected: list[str]
) -> None:
    assert rendered(job(container, **spec)) == expected, scenario


def test_a_regular_init_container_may_not_have_probes_or_hooks_but_a_sidecar_may() -> None:
    init = {"name": "i", "image": "busybox", "livenessProbe": EXEC, "lifecycle": {"preStop": EXEC}}
    obj = job({}, initContainers=[init, {**init, "name": "s", "restartPolicy": "Always"}])
    path = "spec.template.spec.initContainers[0]"
    msg = "Forbidden: may not be set for init containers without restartPolicy=Always"
    assert rendered(obj) == [f"{path}.livenessProbe: {msg}", f"{path}.lifecycle: {msg}"]


@pytest.mark.parametrize(
    "where",
    [
        {"readinessProbe": {"httpGet": {"port": 80, "host": "10.0.0.1"}}},
        {"livenessProbe": {"tcpSocket": {"port": 80, "host": "db"}}},
        {"lifecycle": {"preStop": {"httpGet": {"port": 80, "host": "example.com"}}}},
    ],
)
def test_a_probe_or_hook_naming_another_host_is_refused_by_minik(where: dict[str, Any]) -> None:
    errors = rendered(job(where))
    assert (
        len(errors) == 1 and "Unsupported by minik" in errors[0] and errors[0].split(":")[0].endswith(".host")
    )


@pytest.mark.parametrize(
    ("probe", "text"),
    [
        (
            {"exec": {"command": ["cat", "/tmp/ok"]}},
            "exec [cat /tmp/ok] delay=0s timeout=1s period=10s #success=1 #failure=3",
        ),
        ({"grpc": {"port": 9000}}, "grpc <pod>:9000  delay=0s timeout=1s period=10s #success=1 #failure=3"),
        (
            {"httpGet": {"port": 8080, "path": "/healthz"}},
            "http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3",
        ),
    ],
)
def test_describe_shows_a_defaulted_probe_as_kubectl_does(probe: dict[str, Any], text: str) -> None:
    from minik.cli.describe import _probe_text

    out = manifest.default_object(job({"livenessProbe": probe}))
    assert _probe_text(out["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]) == text
