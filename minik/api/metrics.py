"""The resource metrics API, ``metrics.k8s.io/v1beta1``, as metrics-server serves it.

Owns the paths (``/apis/metrics.k8s.io/v1beta1/[namespaces/NS/]pods[/NAME]``
and ``.../nodes[/NAME]``), their discovery documents, the label selectors
and the NotFound wording. Figures come from the kubelet's background
sampler (:mod:`minik.kubelet.sampler`) through :class:`MetricsSource`; a
request only marks metrics as wanted and reads the last snapshot, it never
calls the engine. A pod's PodMetrics carries the stored pod's labels; a pod
the store no longer has is not listed.
"""

from __future__ import annotations

from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from minik.api.responses import JSONResponse
from minik.apierrors import error
from minik.errors import ApiError, NotFound
from minik.k8s import NODE_NAME, Obj, meta
from minik.kubelet import metrics
from minik.kubelet.sampler import Snapshot
from minik.registry import Registry
from minik.store import compile_filter

GROUP = "metrics.k8s.io"
VERSION = "v1beta1"
GROUP_VERSION = f"{GROUP}/{VERSION}"


class MetricsSource(Protocol):
    latest: Snapshot | None

    def touch(self) -> None: ...


def group() -> dict[str, Any]:
    gv = {"groupVersion": GROUP_VERSION, "version": VERSION}
    return {"name": GROUP, "versions": [gv], "preferredVersion": gv}


def resource_list() -> dict[str, Any]:
    def entry(name: str, kind: str, namespaced: bool) -> dict[str, Any]:
        return {
            "name": name,
            "singularName": "",
            "namespaced": namespaced,
            "kind": kind,
            "verbs": ["get", "list"],
        }

    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": GROUP_VERSION,
        "resources": [entry("nodes", "NodeMetrics", False), entry("pods", "PodMetrics", True)],
    }


def _not_found(resource: str, name: str) -> ApiError:
    return error(
        404,
        "NotFound",
        f'{resource}.{GROUP} "{name}" not found',
        {"name": name, "group": GROUP, "kind": resource},
    )


def _pods(store: Registry, snapshot: Snapshot | None, namespace: str | None) -> list[Obj]:
    if snapshot is None:
        return []
    usages = [u for u in snapshot.usages if namespace is None or u.namespace == namespace]
    out = []
    for obj in metrics.pod_metrics(usages, timestamp=snapshot.timestamp):
        m = meta(obj)
        try:
            pod = store.get("pods", m["namespace"], m["name"])
        except NotFound:
            continue
        uids = {u.pod_uid for u in usages if (u.namespace, u.pod) == (m["namespace"], m["name"])}
        if meta(pod).get("uid") not in uids:
            continue
        if meta(pod).get("labels"):
            m["labels"] = dict(meta(pod)["labels"])
        out.append(obj)
    return out


def _node(store: Registry, snapshot: Snapshot | None) -> Obj | None:
    if snapshot is None:
        return None
    obj = metrics.node_metrics(
        snapshot.usages, node=NODE_NAME, timestamp=snapshot.timestamp, window=snapshot.window
    )
    try:
        labels = meta(store.get("nodes", None, NODE_NAME)).get("labels")
    except NotFound:
        labels = None
    if labels:
        meta(obj)["labels"] = dict(labels)
    return obj


def handle(request: Request, segs: list[str], *, store: Registry, source: MetricsSource) -> Response | None:
    """The response for ``/apis/metrics.k8s.io/...`` (``segs`` after the group), or ``None`` for 404."""
    if not segs:
        return JSONResponse({"kind": "APIGroup", "apiVersion": "v1", **group()})
    if segs[0] != VERSION:
        return None
    rest = segs[1:]
    if not rest:
        return JSONResponse(resource_list())
    if request.method != "GET":
        raise error(
            405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
        )
    source.touch()
    match = compile_filter("pods", request.query_params.get("labelSelector"), None)
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] == "pods":
        namespace, rest = rest[1], rest[2:]
    if rest[0] == "pods" and len(rest) <= 2:
        items = _pods(store, source.latest, namespace)
        if len(rest) == 2:
            found = next((o for o in items if meta(o)["name"] == rest[1]), None)
            if found is None:
                raise _not_found("podmetrics", f"{namespace or ''}/{rest[1]}")
            return JSONResponse(found)
        listed = [o for o in items if match(o)]
        return JSONResponse(
            {"kind": "PodMetricsList", "apiVersion": GROUP_VERSION, "metadata": {}, "items": listed}
        )
    if rest[0] == "nodes" and len(rest) <= 2 and namespace is None:
        node = _node(store, source.latest)
        if len(rest) == 2:
            if node is None or rest[1] != NODE_NAME:
                raise _not_found("nodemetrics", rest[1])
            return JSONResponse(node)
        listed = [node] if node is not None and match(node) else []
        return JSONResponse(
            {"kind": "NodeMetricsList", "apiVersion": GROUP_VERSION, "metadata": {}, "items": listed}
        )
    return None
