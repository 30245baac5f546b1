"""Issue 17, the volume attacks: each is performed against the real engine and shown refused or harmless."""

from __future__ import annotations

from tests.support import BUSYBOX, Cluster, container_status


def _config_error(minik: Cluster, pod: str, container: str) -> str:
    p = minik.wait_pod(
        pod,
        "CreateContainerConfigError",
        lambda p: (
            (container_status(p, container) or {}).get("state", {}).get("waiting", {}).get("reason")
            == "CreateContainerConfigError"
        ),
        30,
    )
    return str(container_status(p, container)["state"]["waiting"]["message"])  # type: ignore[index]


def test_sub_path_expr_expanding_to_the_hosts_root_is_refused(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  volumes:
  - name: scratch
    emptyDir: {{}}
  containers:
  - name: c
    {BUSYBOX}
    command: ["cat", "/host/etc/os-release"]
    env:
    - name: X
      value: /
    volumeMounts:
    - name: scratch
      mountPath: /host
      subPathExpr: $(X)
""",
    )
    assert _config_error(minik, pod_name, "c") == "error SubPath `/` must not be an absolute path"
    uid = minik.pod(pod_name)["metadata"]["uid"]
    assert not [x for x in minik.pod_containers(uid) if x["Config"]["Labels"]["minik.io/container"] == "c"]
    minik.delete("pod", pod_name, grace_seconds=0)


def test_a_symlink_planted_by_an_init_container_cannot_redirect_a_later_sub_path(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  volumes:
  - name: shared
    emptyDir: {{}}
  initContainers:
  - name: plant
    {BUSYBOX}
    command: ["ln", "-s", "/", "/shared/escape"]
    volumeMounts: [{{name: shared, mountPath: /shared}}]
  containers:
  - name: c
    {BUSYBOX}
    command: ["ls", "/mnt/proc/1"]
    volumeMounts: [{{name: shared, mountPath: /mnt, subPath: escape}}]
""",
    )
    message = _config_error(minik, pod_name, "c")
    assert "not within volume path" in message, message
    minik.delete("pod", pod_name, grace_seconds=0)


def test_config_map_and_downward_api_volumes_are_read_only(minik: Cluster, pod_name: str) -> None:
    minik.apply(
        f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {pod_name}
data:
  greeting: hello
"""
    )
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  volumes:
  - name: cfg
    configMap: {{name: {pod_name}}}
  - name: info
    downwardAPI:
      items: [{{path: name, fieldRef: {{fieldPath: metadata.name}}}}]
  containers:
  - name: c
    {BUSYBOX}
    command: ["sh", "-c", "cat /cfg/greeting; echo; echo x > /cfg/greeting || echo cfg-refused; ln -s / /cfg/evil || echo link-refused; echo x > /info/name || echo info-refused"]
    volumeMounts:
    - {{name: cfg, mountPath: /cfg}}
    - {{name: info, mountPath: /info}}
""",
    )
    minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    out = minik.logs(pod_name)
    assert "hello" in out.splitlines(), out
    for refused in ("cfg-refused", "link-refused", "info-refused"):
        assert refused in out, out
    minik.delete("pod", pod_name)
    minik.delete("configmap", pod_name)


def test_a_relative_host_path_is_refused_and_makes_no_docker_volume(minik: Cluster, pod_name: str) -> None:
    before = {v["Name"] for v in (minik.docker.api.volumes() or {}).get("Volumes") or []}
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  volumes:
  - name: data
    hostPath: {{path: relative-dir}}
  containers:
  - name: c
    {BUSYBOX}
    command: ["true"]
    volumeMounts: [{{name: data, mountPath: /data}}]
""",
    )
    minik.wait_pod(
        pod_name,
        "FailedMount",
        lambda p: any(e["reason"] == "FailedMount" for e in minik.events(pod_name)),
        30,
    )
    failed = [e["message"] for e in minik.events(pod_name) if e["reason"] == "FailedMount"]
    assert failed[0] == 'MountVolume.SetUp failed: hostPath "relative-dir" is not an absolute path'
    assert minik.pod(pod_name)["status"]["phase"] == "Pending"
    after = {v["Name"] for v in (minik.docker.api.volumes() or {}).get("Volumes") or []}
    assert "relative-dir" not in after - before
    minik.delete("pod", pod_name, grace_seconds=0)
