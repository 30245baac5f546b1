"""A container's command, args, environment and working directory.

``$(VAR)`` references in command/args expand from the container's env,
``$$`` escapes; env values come from literals, the downward API (fieldRef,
resourceFieldRef), ConfigMap and Secret keys (``optional`` honoured) and
``envFrom`` with a prefix. A missing required key holds the container in
``CreateContainerConfigError``.
"""

from __future__ import annotations

import base64

from tests.support import BUSYBOX, Cluster, busybox_spec, container_status, pod_yaml


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def _env_of(minik: Cluster, pod: str, container: str | None = None) -> dict[str, str]:
    """The ``env`` output of a finished container, as a dict."""
    out = {}
    for line in minik.logs(pod, container).splitlines():
        k, sep, v = line.partition("=")
        if sep:
            out[k] = v
    return out


def _config(name: str, **data: str) -> str:
    body = "".join(f"  {k}: {v!r}\n" for k, v in data.items())
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n{body}---\n"


def _secret(name: str, **data: str) -> str:
    body = "".join(f"  {k}: {_b64(v)}\n" for k, v in data.items())
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\ntype: Opaque\ndata:\n{body}---\n"


def test_command_and_args_expand_var_references_and_keep_escaped_ones(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        f"""  restartPolicy: Never
  containers:
  - name: c
    {BUSYBOX}
    env:
    - {{name: GREETING, value: hello}}
    - {{name: COMPOSED, value: "$(GREETING)-world"}}
    command: ["printf", "%s|%s|%s|%s\\n", "$(GREETING)"]
    args: ["$$(GREETING)", "$(MISSING)", "$(COMPOSED)"]
""",
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    assert minik.logs(pod_name).strip() == "hello|$(GREETING)|$(MISSING)|hello-world"
    minik.delete("pod", pod_name)


def test_env_from_the_downward_api_field_refs(minik: Cluster, pod_name: str) -> None:
    refs = {
        "NAME": "metadata.name",
        "NS": "metadata.namespace",
        "UID": "metadata.uid",
        "LABEL": "metadata.labels['tier']",
        "ANNOTATION": "metadata.annotations['note']",
        "POD_IP": "status.podIP",
        "NODE": "spec.nodeName",
        "SA": "spec.serviceAccountName",
    }
    env = "".join(
        f'    - name: {k}\n      valueFrom: {{fieldRef: {{fieldPath: "{v}"}}}}\n' for k, v in refs.items()
    )
    minik.apply(
        f"""apiVersion: v1
kind: Pod
metadata:
  name: {pod_name}
  labels: {{tier: backend}}
  annotations: {{note: hi there}}
spec:
  restartPolicy: Never
  containers:
  - name: c
    {BUSYBOX}
    command: ["env"]
    env:
{env}"""
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    got = _env_of(minik, pod_name)
    assert got["NAME"] == pod_name
    assert got["NS"] == "default"
    assert got["UID"] == pod["metadata"]["uid"]
    assert got["LABEL"] == "backend"
    assert got["ANNOTATION"] == "hi there"
    assert got["POD_IP"] == pod["status"]["podIP"]
    assert got["NODE"] == pod["spec"].get("nodeName", "minik")
    assert got["SA"] == pod["spec"].get("serviceAccountName", "default")
    minik.delete("pod", pod_name)


def test_env_from_resource_field_refs_with_divisors(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        busybox_spec(
            '["env"]',
            grace=None,
            more="""    resources:
      requests: {cpu: 250m, memory: 32Mi}
      limits: {cpu: 500m, memory: 64Mi}
    env:
    - name: CPU_LIMIT_MILLI
      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}
    - name: CPU_REQUEST
      valueFrom: {resourceFieldRef: {resource: requests.cpu}}
    - name: MEM_LIMIT_MI
      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
    - name: MEM_REQUEST
      valueFrom: {resourceFieldRef: {resource: requests.memory}}
""",
        ),
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    got = _env_of(minik, pod_name)
    assert got["CPU_LIMIT_MILLI"] == "500"
    assert got["CPU_REQUEST"] == "1"  # rounded up to the divisor, as the kubelet does
    assert got["MEM_LIMIT_MI"] == "64"
    assert got["MEM_REQUEST"] == str(32 * 2**20)
    minik.delete("pod", pod_name)


def test_env_from_config_map_and_secret_keys_and_env_from_with_prefix(minik: Cluster, pod_name: str) -> None:
    cm, sec = f"{pod_name}-cm", f"{pod_name}-sec"
    minik.apply(
        _config(cm, color="blue", size="L")
        + _secret(sec, password="s3cr=t", user="admin")
        + pod_yaml(
            pod_name,
            busybox_spec(
                '["env"]',
                grace=None,
                more=f"""    envFrom:
    - configMapRef: {{name: {cm}}}
      prefix: CM_
    - secretRef: {{name: {sec}}}
      prefix: SEC_
    env:
    - name: COLOR
      valueFrom: {{configMapKeyRef: {{name: {cm}, key: color}}}}
    - name: PASSWORD
      valueFrom: {{secretKeyRef: {{name: {sec}, key: password}}}}
    - name: OPTIONAL_MISSING_KEY
      valueFrom: {{configMapKeyRef: {{name: {cm}, key: nope, optional: true}}}}
    - name: OPTIONAL_MISSING_SECRET
      valueFrom: {{secretKeyRef: {{name: no-such-secret, key: k, optional: true}}}}
""",
            ),
        )
    )
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    got = _env_of(minik, pod_name)
    assert got["COLOR"] == "blue"
    assert got["PASSWORD"] == "s3cr=t"
    assert (got["CM_color"], got["CM_size"]) == ("blue", "L")
    assert (got["SEC_password"], got["SEC_user"]) == ("s3cr=t", "admin")
    assert "OPTIONAL_MISSING_KEY" not in got
    assert "OPTIONAL_MISSING_SECRET" not in got
    minik.delete("pod", pod_name)
    minik.delete("configmap", cm, wait=False)
    minik.delete("secret", sec, wait=False)


def _config_error(pod: dict) -> bool:  # type: ignore[type-arg]
    waiting = (container_status(pod, "c") or {}).get("state", {}).get("waiting") or {}
    return bool(
        waiting.get("reason") == "CreateContainerConfigError" or pod["status"].get("phase") != "Pending"
    )


def test_missing_required_key_holds_the_container_in_create_container_config_error(
    minik: Cluster, pod_name: str
) -> None:
    cm = f"{pod_name}-cm"
    minik.apply(
        _config(cm, present="yes")
        + pod_yaml(
            pod_name,
            busybox_spec(
                '["true"]',
                more=f"""    env:
    - name: NEEDED
      valueFrom: {{configMapKeyRef: {{name: {cm}, key: absent}}}}
""",
            ),
        )
    )
    pod = minik.wait_pod(pod_name, "CreateContainerConfigError", _config_error, 6)
    assert pod["status"]["phase"] == "Pending"
    waiting = container_status(pod, "c")["state"]["waiting"]  # type: ignore[index]
    assert waiting["reason"] == "CreateContainerConfigError"
    assert "absent" in waiting["message"]
    assert not [
        c
        for c in minik.pod_containers(pod["metadata"]["uid"])
        if c["Config"]["Labels"]["minik.io/container"] == "c"
    ]
    minik.delete("pod", pod_name)
    minik.delete("configmap", cm, wait=False)


def test_pod_held_by_a_missing_config_map_starts_once_it_is_created(minik: Cluster, pod_name: str) -> None:
    cm = f"{pod_name}-cm"
    minik.apply_pod(
        pod_name,
        busybox_spec(
            '["sh", "-c", "echo $NEEDED"]',
            more=f"""    env:
    - name: NEEDED
      valueFrom: {{configMapKeyRef: {{name: {cm}, key: k}}}}
""",
        ),
    )
    minik.wait_pod(pod_name, "a status report", lambda p: bool(p["status"].get("containerStatuses")), 15)
    minik.apply(_config(cm, k="arrived"))
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), 12)
    assert pod["status"]["phase"] == "Succeeded"
    assert minik.logs(pod_name).strip() == "arrived"
    minik.delete("pod", pod_name)
    minik.delete("configmap", cm, wait=False)


def test_working_dir_is_the_process_cwd(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(pod_name, busybox_spec('["pwd"]', grace=None, more="    workingDir: /var/work/here\n"))
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    assert minik.logs(pod_name).strip() == "/var/work/here"
    minik.delete("pod", pod_name)
