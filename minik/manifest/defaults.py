"""API-server defaulting (R1.1–R1.11) and create-time generation (R1.8, R1.9).

Owns what ``kube-apiserver`` fills in before validation: Job spec defaults,
pod-template and Pod defaults (core/v1), Service, Secret and namespace
defaults. Never fails: values of the wrong type are left alone for the
schema check to report. Returns a new object; the input is not changed.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from minik.k8s import Obj, decode_bytes
from minik.manifest import rules_access, rules_host, rules_storage
from minik.resources import BY_KIND

MAX_INT32 = 2**31 - 1
CONTROLLER_UID = "batch.kubernetes.io/controller-uid"


def _d(parent: Any, key: str, create: bool = False) -> dict[str, Any] | None:
    """``parent[key]`` when it is a dict (created empty when asked and absent)."""
    if not isinstance(parent, dict):
        return None
    value = parent.get(key)
    if value is None and create:
        value = parent[key] = {}
    return value if isinstance(value, dict) else None


def _items(parent: Any, key: str) -> list[dict[str, Any]]:
    value = parent.get(key) if isinstance(parent, dict) else None
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def pull_policy(image: Any) -> str:
    """``Always`` for ``:latest`` or untagged images without a digest, else ``IfNotPresent`` (R1.11)."""
    if not isinstance(image, str):
        return "IfNotPresent"
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _field_ref(ref: Any) -> None:
    if isinstance(ref, dict) and not ref.get("apiVersion"):
        ref["apiVersion"] = "v1"


def _http_get(action: dict[str, Any] | None) -> None:
    """SetDefaults_HTTPGetAction: path ``/``, scheme ``HTTP`` (probes and lifecycle hooks alike)."""
    if action is not None:
        if not action.get("path"):
            action["path"] = "/"
        if not action.get("scheme"):
            action["scheme"] = "HTTP"


def _probe(probe: dict[str, Any] | None) -> None:
    """SetDefaults_Probe: timeout 1 s, period 10 s, success threshold 1, failure threshold 3."""
    if probe is None:
        return
    for key, value in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        if not probe.get(key):  # 0 is "unset" in Go's int32 fields
            probe[key] = value
    _http_get(_d(probe, "httpGet"))
    grpc = _d(probe, "grpc")
    if grpc is not None and grpc.get("service") is None:
        grpc["service"] = ""  # GRPCAction.service: +default=""


def _container(c: dict[str, Any]) -> None:
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(_d(c, kind))
    for hook in ("postStart", "preStop"):
        _http_get(_d(_d(_d(c, "lifecycle"), hook), "httpGet"))
    c.setdefault("imagePullPolicy", pull_policy(c.get("image")))
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    for port in _items(c, "ports"):
        port.setdefault("protocol", "TCP")
    for ev in _items(c, "env"):
        _field_ref(_d(_d(ev, "valueFrom"), "fieldRef"))
    res = _d(c, "resources")
    if res is not None:
        limits, requests = _d(res, "limits"), _d(res, "requests")
        if limits and (requests is None or isinstance(res.get("requests"), dict)):
            req = _d(res, "requests", create=True)
            if req is not None:
                for k, v in limits.items():
                    req.setdefault(k, v)


def pod_spec(spec: dict[str, Any]) -> None:
    """core/v1 PodSpec defaults, in place."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    for kind in ("containers", "initContainers"):
        for c in _items(spec, kind):
            _container(c)
    for vol in _items(spec, "volumes"):
        for src in ("secret", "configMap", "downwardAPI", "projected"):
            body = _d(vol, src)
            if body is not None:
                body.setdefault("defaultMode", 0o644)
        for item in _items(_d(vol, "downwardAPI"), "items"):
            _field_ref(item.get("fieldRef"))
        for proj in _items(_d(vol, "projected"), "sources"):
            for item in _items(_d(proj, "downwardAPI"), "items"):
                _field_ref(item.get("fieldRef"))
        host = _d(vol, "hostPath")
        if host is not None:
            host.setdefault("type", "")


def _job(job: Obj, uid: str | None) -> None:
    spec = _d(job, "spec", create=True)
    if spec is None:
        return
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("manualSelector", False)
    if spec.get("podReplacementPolicy") is None:
        spec["podReplacementPolicy"] = (
            "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed"
        )
    for rule in _items(_d(spec, "podFailurePolicy"), "rules"):
        for cond in _items(rule, "onPodConditions"):
            cond.setdefault("status", "True")
    template = _d(spec, "template", create=True)
    tmeta = _d(template, "metadata", create=True)
    pod = _d(template, "spec", create=True)
    if pod is not None:
        pod_spec(pod)
    if uid is not None and tmeta is not None and spec.get("manualSelector") is not True:
        name = str((_d(job, "metadata") or {}).get("name", ""))
        labels = _d(tmeta, "labels", create=True)
        if labels is not None:
            for k, v in (
                ("controller-uid", uid),
                (CONTROLLER_UID, uid),
                ("job-name", name),
                ("batch.kubernetes.io/job-name", name),
            ):
                labels.setdefault(k, v)
        sel = _d(spec, "selector", create=True)
        match = _d(sel, "matchLabels", create=True)
        if match is not None:
            match.setdefault(CONTROLLER_UID, uid)
    meta = _d(job, "metadata")
    tlabels = _d(tmeta, "labels")
    if meta is not None and not meta.get("labels") and tlabels:
        meta["labels"] = dict(tlabels)


def _cronjob(cj: Obj) -> None:
    """``SetDefaults_CronJob``; the job template gets pod-spec defaults only (as upstream)."""
    spec = _d(cj, "spec", create=True)
    if spec is None:
        return
    if not spec.get("concurrencyPolicy"):
        spec["concurrencyPolicy"] = "Allow"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("successfulJobsHistoryLimit") is None:
        spec["successfulJobsHistoryLimit"] = 3
    if spec.get("failedJobsHistoryLimit") is None:
        spec["failedJobsHistoryLimit"] = 1
    template = _d(_d(_d(spec, "jobTemplate", create=True), "spec", create=True), "template", create=True)
    pod = _d(template, "spec", create=True)
    if pod is not None:
        pod_spec(pod)


def _service(svc: Obj) -> None:
    spec = _d(svc, "spec", create=True)
    if spec is None:
        return
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in _items(spec, "ports"):
        port.setdefault("protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")


def _canonical_bytes(data: Any) -> None:
    """``[]byte`` values as the API server stores them: decoded, then encoded on one line."""
    if not isinstance(data, dict):
        return
    for k, v in data.items():
        if isinstance(v, str):
            try:
                data[k] = base64.b64encode(decode_bytes(v)).decode()
            except ValueError:
                pass  # validation reports it


def _secret(secret: Obj) -> None:
    secret.setdefault("type", "Opaque")
    _canonical_bytes(secret.get("data"))
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict):
        data = _d(secret, "data", create=True)
        if data is not None:
            for k, v in string_data.items():
                data[k] = base64.b64encode(str(v).encode()).decode()


def _prune_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune_nulls(v) for v in value]
    return value


def default_object(obj: Obj, *, uid: str | None = None) -> Obj:
    """A defaulted copy of ``obj`` as the API server would store it (R1.x).

    With ``uid`` (create time) a Job also gets its generated selector and
    template labels (R1.9) and, when it had none, the Job labels (R1.8).
    """
    out: Obj = _prune_nulls(copy.deepcopy(obj))
    meta = _d(out, "metadata", create=True)
    kind = out.get("kind")
    resource = BY_KIND.get(kind) if isinstance(kind, str) else None
    if meta is not None and resource is not None and resource.namespaced and not meta.get("namespace"):
        meta["namespace"] = "default"  # every namespaced kind of the resource table
    if kind == "Job":
        _job(out, uid)
    elif kind == "CronJob":
        _cronjob(out)
    elif kind == "Pod":
        spec = _d(out, "spec", create=True)
        if spec is not None:
            pod_spec(spec)
            rules_host.default_host_network_ports(spec)
    elif kind == "Service":
        _service(out)
    elif kind == "Secret":
        _secret(out)
    elif kind == "ConfigMap":
        _canonical_bytes(out.get("binaryData"))
    elif kind in ("RoleBinding", "ClusterRoleBinding"):
        rules_access.default_access(out)
    elif isinstance(kind, str) and kind in rules_storage.STORAGE_KINDS:
        rules_storage.default_storage(out)
    return out
