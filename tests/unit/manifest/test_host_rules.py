"""Host namespaces, host ports, seccomp profiles and node-port Services at validation, as specs.

Upstream: ``pkg/apis/core/validation/validation.go`` (``validateHostNetwork``,
``AccumulateUniqueHostPorts``, ``validateSeccompProfileField``),
``pkg/apis/core/v1/defaults.go`` (``SetDefaults_Pod``: hostNetwork ports) and
``pkg/api/pod/warnings.go`` (the seccomp annotations' warning).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minik import manifest


def pod(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {**base, **spec}}


def job(**spec: Any) -> dict[str, Any]:
    p = pod(**spec)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {"template": {"metadata": p["metadata"], "spec": p["spec"]}},
    }


def check(obj: dict[str, Any]) -> tuple[list[str], list[str]]:
    errors, warnings = manifest.validate_object(manifest.default_object(obj))
    return [f"{e.path}: {e.body()}" for e in errors], [f"{e.path}: {e.body()}" for e in warnings]


def with_ports(*ports: dict[str, Any], second: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    cs: list[dict[str, Any]] = [{"name": "c", "image": "busybox", "ports": list(ports)}]
    if second is not None:
        cs.append({"name": "d", "image": "busybox", "ports": second})
    return cs


MATCH = "must match `containerPort` when `hostNetwork` is true"


@pytest.mark.parametrize(
    ("scenario", "obj", "want"),
    [
        (
            "a Pod under hostNetwork gets its hostPort defaulted to the containerPort",
            pod(hostNetwork=True, containers=with_ports({"containerPort": 80})),
            [],
        ),
        (
            "a Pod's hostPort must equal its containerPort under hostNetwork",
            pod(hostNetwork=True, containers=with_ports({"containerPort": 80, "hostPort": 81})),
            [f"spec.containers[0].ports[0].hostPort: Invalid value: 81: {MATCH}"],
        ),
        (
            "a template may leave hostPort unset under hostNetwork",
            job(hostNetwork=True, containers=with_ports({"containerPort": 80})),
            [],
        ),
        (
            "a template's hostPort, when given, must match too",
            job(hostNetwork=True, containers=with_ports({"containerPort": 80, "hostPort": 81})),
            [f"spec.template.spec.containers[0].ports[0].hostPort: Invalid value: 81: {MATCH}"],
        ),
        (
            "without hostNetwork hostPort and containerPort may differ",
            pod(containers=with_ports({"containerPort": 80, "hostPort": 8080})),
            [],
        ),
        (
            "one hostPort per protocol and hostIP across the containers",
            pod(
                containers=with_ports(
                    {"containerPort": 80, "hostPort": 8080},
                    second=[
                        {"containerPort": 81, "hostPort": 8080},
                        {"containerPort": 82, "hostPort": 8080, "protocol": "UDP"},
                        {"containerPort": 83, "hostPort": 8080, "hostIP": "0.0.0.0"},
                    ],
                )
            ),
            ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"'],
        ),
    ],
)
def test_host_ports_follow_the_api_servers_rules(scenario: str, obj: dict[str, Any], want: list[str]) -> None:
    assert check(obj)[0] == want, scenario


def test_the_pod_defaulting_fills_host_ports_only_under_host_network() -> None:
    out = manifest.default_object(pod(hostNetwork=True, containers=with_ports({"containerPort": 80})))
    assert out["spec"]["containers"][0]["ports"][0]["hostPort"] == 80
    out = manifest.default_object(pod(containers=with_ports({"containerPort": 80})))
    assert "hostPort" not in out["spec"]["containers"][0]["ports"][0]
    tmpl = manifest.default_object(job(hostNetwork=True, containers=with_ports({"containerPort": 80})))
    assert "hostPort" not in tmpl["spec"]["template"]["spec"]["containers"][0]["ports"][0]


SC = "spec.securityContext.seccompProfile"


@pytest.mark.parametrize(
    ("scenario", "profile", "want"),
    [
        ("RuntimeDefault", {"type": "RuntimeDefault"}, []),
        ("Unconfined", {"type": "Unconfined"}, []),
        ("Localhost with a relative profile", {"type": "Localhost", "localhostProfile": "profiles/a.json"}, []),
        ("no type", {}, [f"{SC}.type: Required value: type is required when seccompProfile is set"]),
        (
            "an unknown type",
            {"type": "Default"},
            [f'{SC}.type: Unsupported value: "Default": supported values: "Localhost", "RuntimeDefault", "Unconfined"'],
        ),
        (
            "Localhost without its profile",
            {"type": "Localhost"},
            [f"{SC}.localhostProfile: Required value: must be set when seccomp type is Localhost"],
        ),
        (
            "Localhost escaping with ..",
            {"type": "Localhost", "localhostProfile": "../x.json"},
            [f"{SC}.localhostProfile: Invalid value: \"../x.json\": must not contain '..'"],
        ),
        (
            "Localhost with an absolute path",
            {"type": "Localhost", "localhostProfile": "/etc/x.json"},
            [f'{SC}.localhostProfile: Invalid value: "/etc/x.json": must be a relative path'],
        ),
        (
            "a profile on another type",
            {"type": "Unconfined", "localhostProfile": "a.json"},
            [
                f'{SC}.localhostProfile: Invalid value: {{"localhostProfile":"a.json","type":"Unconfined"}}: '
                "can only be set when seccomp type is Localhost"
            ],
        ),
    ],
)  # fmt: skip
def test_seccomp_profiles_are_validated_as_the_api_server_does(
    scenario: str, profile: dict[str, Any], want: list[str]
) -> None:
    assert check(pod(securityContext={"seccompProfile": profile}))[0] == want, scenario
    in_container = pod(
        containers=[{"name": "c", "image": "busybox", "securityContext": {"seccompProfile": profile}}]
    )
    assert check(in_container)[0] == [w.replace("spec.", "spec.containers[0].", 1) for w in want], scenario


@pytest.mark.parametrize(
    ("scenario", "field", "value"),
    [
        ("hostNetwork", "hostNetwork", True),
        ("hostPID", "hostPID", True),
        ("hostIPC", "hostIPC", True),
    ],
)
def test_host_namespaces_are_accepted_with_a_host_access_warning(
    scenario: str, field: str, value: Any
) -> None:
    errors, warnings = check(job(**{field: value}))
    assert errors == [], scenario
    assert [w for w in warnings if "Host access" in w] == [
        next(w for w in warnings if w.startswith(f"spec.template.spec.{field}: Host access: the pod shares"))
    ], scenario
    _, quiet = check(job(**{field: False}))
    assert not [w for w in quiet if "Host access" in w], scenario


def test_a_host_port_is_accepted_with_a_warning_saying_where_it_is_bound() -> None:
    errors, warnings = check(job(containers=with_ports({"containerPort": 80, "hostPort": 8080})))
    assert errors == []
    assert warnings == [
        "spec.template.spec.containers[0].ports[0].hostPort: Host access: the port is reachable on the host: "
        "published on 127.0.0.1 unless hostIP names another address (0.0.0.0: every network the host is on); "
        "with hostNetwork, wherever the container listens"
    ]


def test_tty_stdin_and_seccomp_are_accepted_without_warnings() -> None:
    c = {
        "name": "c",
        "image": "busybox",
        "tty": True,
        "stdin": True,
        "stdinOnce": True,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    }
    assert check(job(containers=[c])) == ([], [])


def test_cluster_first_with_host_net_is_no_placement_warning() -> None:
    assert check(job(dnsPolicy="ClusterFirstWithHostNet")) == ([], [])


def test_the_seccomp_annotations_warn_as_non_functional_unless_a_field_replaces_them() -> None:
    obj = job()
    obj["spec"]["template"]["metadata"]["annotations"] = {
        "seccomp.security.alpha.kubernetes.io/pod": "runtime/default",
        "container.seccomp.security.alpha.kubernetes.io/c": "unconfined",
    }
    words = 'non-functional in v1.27+; use the "seccompProfile" field instead'
    assert check(obj) == (
        [],
        [
            f"spec.template.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: {words}",
            f"spec.template.metadata.annotations[container.seccomp.security.alpha.kubernetes.io/c]: {words}",
        ],
    )
    replaced = copy.deepcopy(obj)
    replaced["spec"]["template"]["spec"]["securityContext"] = {"seccompProfile": {"type": "RuntimeDefault"}}
    replaced["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {
        "seccompProfile": {"type": "RuntimeDefault"}
    }
    assert check(replaced) == ([], [])


def service(stype: str, *ports: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"type": stype, "selector": {"a": "b"}, "ports": list(ports)},
    }


@pytest.mark.parametrize(
    ("scenario", "svc", "want"),
    [
        ("a NodePort Service is published: no warning", service("NodePort", {"port": 80}), []),
        (
            "a LoadBalancer stays pending",
            service("LoadBalancer", {"port": 80}),
            ["spec.type: Ignored by minik: there is no load balancer on one machine"],
        ),
        (
            "a UDP node port is not published",
            service("NodePort", {"port": 53, "protocol": "UDP"}),
            ["spec.ports[0].protocol: Ignored by minik: minik publishes TCP node ports only"],
        ),
        (
            "a UDP ClusterIP port needs no node port",
            service("ClusterIP", {"port": 53, "protocol": "UDP"}),
            [],
        ),
    ],
)
def test_node_port_services_warn_only_about_what_is_not_published(
    scenario: str, svc: dict[str, Any], want: list[str]
) -> None:
    errors, warnings = check(svc)
    assert errors == [], scenario
    assert [w for w in warnings if not any(w.startswith(x) for x in want)] == [], (scenario, warnings)
    assert len(warnings) == len(want), (scenario, warnings)


BASELINE = "Pod Security's baseline"


@pytest.mark.parametrize(
    ("scenario", "spec", "container_sc", "want"),
    [
        ("hostPath: / is the whole host", {"volumes": [{"name": "v", "hostPath": {"path": "/"}}]}, {},
         ["spec.template.spec.volumes[0].hostPath: Host access: the whole host file system, writable as root "
          "(the Docker socket and minik's token included): root on the host"]),
        ("the Docker socket itself", {"volumes": [{"name": "v", "hostPath": {"path": "/var/run/docker.sock"}}]}, {},
         ["spec.template.spec.volumes[0].hostPath: Host access: /var/run/docker.sock is the Docker socket: "
          "control of the engine, which is root on the host"]),
        ("a directory holding the Docker socket", {"volumes": [{"name": "v", "hostPath": {"path": "/run/"}}]}, {},
         ["spec.template.spec.volumes[0].hostPath: Host access: /run/ holds the Docker socket: "
          "control of the engine, which is root on the host"]),
        ("any other host path", {"volumes": [{"name": "v", "hostPath": {"path": "/srv/data"}}]}, {},
         ["spec.template.spec.volumes[0].hostPath: Host access: the host's /srv/data, bind-mounted with the "
          "Docker daemon's rights (as root)"]),
        ("privileged", {}, {"privileged": True},
         ["spec.template.spec.containers[0].securityContext.privileged: Host access: a privileged container has "
          "every capability and every host device, without seccomp or AppArmor confinement: root on the host "
          f"({BASELINE} refuses it)"]),
        ("capabilities beyond the baseline set, named with what they give", {},
         {"capabilities": {"add": ["CHOWN", "SYS_ADMIN", "NET_RAW", "WAKE_ALARM"]}},
         [f"spec.template.spec.containers[0].securityContext.capabilities.add: Host access: capabilities beyond "
          f"{BASELINE} set: NET_RAW (raw sockets: forged packets), SYS_ADMIN (mounts, namespaces and most of "
          "root), WAKE_ALARM"]),
        ("an unconfined seccomp profile", {"securityContext": {"seccompProfile": {"type": "Unconfined"}}}, {},
         ["spec.template.spec.securityContext.seccompProfile.type: Host access: Unconfined lifts the engine's "
          f"system-call filter ({BASELINE} refuses it)"]),
        ("baseline capabilities, not privileged, a confined profile: silent", {},
         {"privileged": False, "capabilities": {"add": ["CHOWN", "NET_BIND_SERVICE"], "drop": ["ALL"]},
          "seccompProfile": {"type": "RuntimeDefault"}}, []),
    ],
)  # fmt: skip
def test_every_field_pod_security_baseline_refuses_is_a_host_access_warning_saying_what_it_gives(
    scenario: str, spec: dict[str, Any], container_sc: dict[str, Any], want: list[str]
) -> None:
    containers = (
        [{"name": "c", "image": "busybox", "securityContext": container_sc}] if container_sc else None
    )
    obj = job(**spec, **({"containers": containers} if containers else {}))
    errors, warnings = check(obj)
    assert errors == [], scenario
    assert [w for w in warnings if "Host access" in w] == want, scenario


def test_a_persistent_volume_on_the_docker_socket_is_a_host_access_warning() -> None:
    pv = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "pv"},
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
            "hostPath": {"path": "/var/run"},
        },
    }
    assert check(pv) == (
        [],
        [
            "spec.hostPath: Host access: /var/run holds the Docker socket: control of the engine, which is root on the host"
        ],
    )
