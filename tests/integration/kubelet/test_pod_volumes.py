"""Pod volumes on Docker.

emptyDir (shared by init and app containers; ``medium: Memory`` is a tmpfs
bounded by ``sizeLimit``), downwardAPI (fieldRef and resourceFieldRef items,
file modes), configMap and secret (items, defaultMode, optional), hostPath
(type checks), projected; and volumeMounts' subPath, subPathExpr, readOnly.
"""

from __future__ import annotations

import base64
from pathlib import Path

from tests.support import BUSYBOX, Cluster, empty_dir_spec, eventually, pod_yaml


def _succeeded(minik: Cluster, pod_name: str, manifest: str) -> dict:  # type: ignore[type-arg]
    minik.apply(manifest)
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Succeeded", (pod["status"], minik.logs(pod_name, check_container(pod)))
    return pod


def check_container(pod: dict) -> str:  # type: ignore[type-arg]
    return str(pod["spec"]["containers"][0]["name"])


def _lines(minik: Cluster, pod: str, container: str | None = None) -> list[str]:
    return minik.logs(pod, container).splitlines()


def _config(name: str, data: dict[str, str]) -> str:
    body = "".join(f"  {k}: {v!r}\n" for k, v in data.items())
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n{body}---\n"


def _secret(name: str, data: dict[str, str]) -> str:
    body = "".join(f"  {k}: {base64.b64encode(v.encode()).decode()}\n" for k, v in data.items())
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\ndata:\n{body}---\n"


def test_empty_dir_is_shared_between_init_and_app_containers(minik: Cluster, pod_name: str) -> None:
    _succeeded(
        minik,
        pod_name,
        pod_yaml(
            pod_name,
            f"""  restartPolicy: Never
  volumes:
  - name: work
    emptyDir: {{}}
  initContainers:
  - name: writer
    {BUSYBOX}
    command: ["sh", "-c", "echo from-init > /work/file"]
    volumeMounts: [{{name: work, mountPath: /work}}]
  containers:
  - name: reader
    {BUSYBOX}
    command: ["cat", "/data/file"]
    volumeMounts: [{{name: work, mountPath: /data}}]
""",
        ),
    )
    assert _lines(minik, pod_name) == ["from-init"]
    minik.delete("pod", pod_name)


def test_memory_empty_dir_is_a_tmpfs_bounded_by_its_size_limit(minik: Cluster, pod_name: str) -> None:
    _succeeded(
        minik,
        pod_name,
        pod_yaml(
            pod_name,
            empty_dir_spec(
                '["sh", "-c", "grep \' /cache \' /proc/mounts; dd if=/dev/zero of=/cache/big bs=1M count=8 2>/dev/null && echo fit || echo full"]',
                mount="/cache",
                volume="cache",
                empty_dir="{medium: Memory, sizeLimit: 4Mi}",
                grace=None,
            ),
        ),
    )
    mount, outcome = _lines(minik, pod_name)
    _device, point, fstype, options = mount.split()[:4]
    assert (point, fstype) == ("/cache", "tmpfs")
    assert "size=4096k" in options.split(","), options
    assert outcome == "full"
    minik.delete("pod", pod_name)


def test_disk_empty_dir_over_its_size_limit_evicts_the_pod(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        empty_dir_spec(
            '["sh", "-c", "dd if=/dev/zero of=/scratch/big bs=1M count=4 2>/dev/null; sleep 15"]',
            mount="/scratch",
            empty_dir="{sizeLimit: 1Mi}",
        ),
    )
    # The kubelet's eviction manager checks usage periodically (10 s upstream).
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), 25)
    assert (pod["status"]["phase"], pod["status"].get("reason")) == ("Failed", "Evicted"), pod["status"]
    assert pod["status"]["message"] == 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". '
    disruption = pod["status"]["conditions"][0]
    assert (disruption["type"], disruption["status"], disruption["reason"]) == (
        "DisruptionTarget",
        "True",
        "TerminationByKubelet",
    )
    minik.delete("pod", pod_name)


def test_downward_api_volume_renders_field_refs_with_item_modes(minik: Cluster, pod_name: str) -> None:
    minik.apply(
        f"""apiVersion: v1
kind: Pod
metadata:
  name: {pod_name}
  labels: {{app: web, tier: front}}
  annotations: {{owner: team-a}}
spec:
  restartPolicy: Never
  volumes:
  - name: info
    downwardAPI:
      defaultMode: 0644
      items:
      - {{path: name, fieldRef: {{fieldPath: metadata.name}}}}
      - {{path: ns/namespace, fieldRef: {{fieldPath: metadata.namespace}}}}
      - {{path: uid, fieldRef: {{fieldPath: metadata.uid}}}}
      - {{path: labels, fieldRef: {{fieldPath: metadata.labels}}}}
      - {{path: owner, fieldRef: {{fieldPath: "metadata.annotations['owner']"}}, mode: 0400}}
  containers:
  - name: c
    {BUSYBOX}
    command: ["sh", "-c", "cd /info; for f in name ns/namespace uid owner; do echo \\"$f=$(cat $f) $(stat -L -c %a $f)\\"; done; cat labels"]
    volumeMounts: [{{name: info, mountPath: /info}}]
"""
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    lines = _lines(minik, pod_name)
    assert lines[:4] == [
        f"name={pod_name} 644",
        "ns/namespace=default 644",
        f"uid={pod['metadata']['uid']} 644",
        "owner=team-a 400",
    ]
    assert lines[4:] == ['app="web"', 'tier="front"']
    minik.delete("pod", pod_name)


def test_downward_api_volume_renders_resource_field_refs(minik: Cluster, pod_name: str) -> None:
    _succeeded(
        minik,
        pod_name,
        pod_yaml(
            pod_name,
            f"""  restartPolicy: Never
  volumes:
  - name: info
    downwardAPI:
      items:
      - path: mem
        resourceFieldRef: {{containerName: c, resource: limits.memory, divisor: 1Mi}}
      - path: cpu
        resourceFieldRef: {{containerName: c, resource: limits.cpu, divisor: 1m}}
  containers:
  - name: c
    {BUSYBOX}
    command: ["sh", "-c", "echo $(cat /info/mem) $(cat /info/cpu)"]
    resources: {{limits: {{memory: 48Mi, cpu: 300m}}}}
    volumeMounts: [{{name: info, mountPath: /info}}]
""",
        ),
    )
    assert _lines(minik, pod_name) == ["48 300"]
    minik.delete("pod", pod_name)


def test_config_map_and_secret_volumes_honour_items_default_mode_and_optional(
    minik: Cluster, pod_name: str
) -> None:
    cm, sec = f"{pod_name}-cm", f"{pod_name}-sec"
    script = (
        "for f in /cm/a /cm/sub/renamed /sec/token /opt; do "
        'if [ -e $f ]; then echo "$f $(stat -L -c %a $f 2>/dev/null) $(cat $f 2>/dev/null)"; else echo "$f absent"; fi; done; '
        "ls /cm | sort | tr '\\n' ' '; echo"
    )
    _succeeded(
        minik,
        pod_name,
        _config(cm, {"a": "alpha", "b": "beta", "c": "gamma"})
        + _secret(sec, {"token": "t0k3n", "other": "x"})
        + pod_yaml(
            pod_name,
            f"""  restartPolicy: Never
  volumes:
  - name: cm
    configMap:
      name: {cm}
      defaultMode: 0640
      items:
      - {{key: a, path: a}}
      - {{key: b, path: sub/renamed, mode: 0600}}
  - name: sec
    secret:
      secretName: {sec}
      defaultMode: 0400
      items:
      - {{key: token, path: token}}
  - name: opt
    configMap: {{name: does-not-exist, optional: true}}
  containers:
  - name: c
    {BUSYBOX}
    command: ["sh", "-c", {_dq(script)}]
    volumeMounts:
    - {{name: cm, mountPath: /cm}}
    - {{name: sec, mountPath: /sec}}
    - {{name: opt, mountPath: /opt}}
""",
        ),
    )
    lines = _lines(minik, pod_name)
    assert lines[0] == "/cm/a 640 alpha"
    assert lines[1] == "/cm/sub/renamed 600 beta"
    assert lines[2] == "/sec/token 400 t0k3n"
    assert lines[3].startswith("/opt ")  # an optional, missing configMap mounts an empty volume
    assert lines[4].split() == ["a", "sub"]  # only the listed items
    minik.delete("pod", pod_name)
    minik.delete("configmap", cm, wait=False)
    minik.delete("secret", sec, wait=False)


def test_projected_volume_combines_config_map_secret_and_downward_api(minik: Cluster, pod_name: str) -> None:
    cm, sec = f"{pod_name}-cm", f"{pod_name}-sec"
    _succeeded(
        minik,
        pod_name,
        _config(cm, {"color": "red"})
        + _secret(sec, {"pw": "hunter2"})
        + pod_yaml(
            pod_name,
            f"""  restartPolicy: Never
  volumes:
  - name: all
    projected:
      sources:
      - configMap: {{name: {cm}}}
      - secret: {{name: {sec}, items: [{{key: pw, path: creds/pw}}]}}
      - downwardAPI: {{items: [{{path: podname, fieldRef: {{fieldPath: metadata.name}}}}]}}
  containers:
  - name: c
    {BUSYBOX}
    command: ["sh", "-c", "cat /p/color; echo; cat /p/creds/pw; echo; cat /p/podname; echo"]
    volumeMounts: [{{name: all, mountPath: /p}}]
""",
        ),
    )
    assert _lines(minik, pod_name) == ["red", "hunter2", pod_name]
    minik.delete("pod", pod_name)
    minik.delete("configmap", cm, wait=False)
    minik.delete("secret", sec, wait=False)


def test_host_path_directory_or_create_makes_the_directory_and_binds_it(
    minik: Cluster, pod_name: str, tmp_path: Path
) -> None:
    target = tmp_path / "made" / "here"
    _succeeded(
        minik,
        pod_name,
        pod_yaml(
            pod_name,
            f"""  restartPolicy: Never
  volumes:
  - name: host
    hostPath: {{path: {target}, type: DirectoryOrCreate}}
  containers:
  - name: c
    {BUSYBOX}
    command: ["sh", "-c", "echo from-pod > /host/out"]
    volumeMounts: [{{name: host, mountPath: /host}}]
""",
        ),
    )
    assert target.is_dir()
    assert (target / "out").read_text() == "from-pod\n"
    minik.delete("pod", pod_name)
    assert (target / "out").exists(), "deleting the pod must not touch a hostPath"


def _failed_mount(minik: Cluster, pod_name: str) -> list[str]:
    return [e["message"] for e in minik.events(pod_name) if e["reason"] == "FailedMount"]


def test_host_path_of_type_file_that_is_missing_holds_the_pod_with_a_failed_mount_event(
    minik: Cluster, pod_name: str, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.conf"
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes:
  - name: host
    hostPath: {{path: {missing}, type: File}}
  containers:
  - name: c
    {BUSYBOX}
    command: ["true"]
    volumeMounts: [{{name: host, mountPath: /etc/app.conf}}]
""",
    )
    messages = eventually("a FailedMount event", lambda: _failed_mount(minik, pod_name), 5)
    assert any(str(missing) in m for m in messages), messages
    pod = minik.pod(pod_name)
    assert pod["status"]["phase"] == "Pending"
    assert not [
        c
        for c in minik.pod_containers(pod["metadata"]["uid"])
        if c["Config"]["Labels"]["minik.io/container"] == "c"
    ]
    minik.delete("pod", pod_name)


def test_sub_path_sub_path_expr_and_read_only_mounts(minik: Cluster, pod_name: str) -> None:
    cm = f"{pod_name}-cm"
    script = (
        "cat /etc/app.conf; echo; ls /etc | grep -c '^app.conf$'; "
        "echo mine > /mine/f && echo wrote-mine; "
        "touch /ro/x 2>/dev/null && echo wrote-ro || echo ro-refused"
    )
    pod = _succeeded(
        minik,
        pod_name,
        _config(cm, {"app.conf": "setting=1", "other": "zzz"})
        + pod_yaml(
            pod_name,
            f"""  restartPolicy: Never
  volumes:
  - name: cm
    configMap: {{name: {cm}}}
  - name: shared
    emptyDir: {{}}
  initContainers:
  - name: check
    {BUSYBOX}
    command: ["sh", "-c", "ls /all"]
    volumeMounts: [{{name: shared, mountPath: /all}}]
  containers:
  - name: c
    {BUSYBOX}
    env:
    - name: POD_NAME
      valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}
    command: ["sh", "-c", {_dq(script)}]
    volumeMounts:
    - {{name: cm, mountPath: /etc/app.conf, subPath: app.conf}}
    - {{name: shared, mountPath: /mine, subPathExpr: "per-$(POD_NAME)"}}
    - {{name: shared, mountPath: /ro, readOnly: true}}
  - name: lister
    {BUSYBOX}
    command: ["sh", "-c", "sleep 1; ls /all; cat /all/per-{pod_name}/f"]
    volumeMounts: [{{name: shared, mountPath: /all}}]
""",
        ),
    )
    assert _lines(minik, pod_name, "c") == ["setting=1", "1", "wrote-mine", "ro-refused"]
    assert _lines(minik, pod_name, "lister") == [f"per-{pod_name}", "mine"]
    mounts = {m["Destination"]: m for m in minik.container_of(pod["metadata"]["uid"], "c")["Mounts"]}
    assert mounts["/ro"]["RW"] is False
    assert mounts["/mine"]["RW"] is True
    minik.delete("pod", pod_name)
    minik.delete("configmap", cm, wait=False)


def _dq(s: str) -> str:
    """``s`` as a double-quoted YAML scalar."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
