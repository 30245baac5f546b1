"""``POST …/pods/NAME/eviction``: upstream's ``EvictionREST.Create`` (``pod/storage/eviction.go``).

Owns the eviction rules: a pod that is terminal, Pending or already being
deleted is evicted without looking at budgets; otherwise the one
PodDisruptionBudget selecting it must allow a disruption (more than one is
an error; none allows it). An allowed eviction of a healthy pod decrements
the budget's ``disruptionsAllowed`` and records the pod in
``disruptedPods``; a budget that forbids answers 429 TooManyRequests with
upstream's message and cause. The evicted pod gets the ``DisruptionTarget``
condition (reason ``EvictionByEvictionAPI``) and is deleted gracefully with
the Eviction's ``deleteOptions``. The budgets' status is recomputed by the
disruption controller (``minik.controllers.disruption``), not here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from minik.api import protobuf
from minik.api.options import write_options
from minik.api.responses import decode, grace_period, media_type, object_response, read_body
from minik.api.routing import Route
from minik.apierrors import bad_request, error, forbidden
from minik.controllers.disruption import allowed_condition, is_ready, selected_pods
from minik.k8s import Obj, meta, rfc3339
from minik.registry import Registry

PDBS = "poddisruptionbudgets"
EVICTION_VERSIONS = ("policy/v1", "policy/v1beta1")
TOO_MANY = "Cannot evict pod as it would violate the pod's disruption budget."


def disruption_target(now: datetime) -> Obj:
    return {
        "type": "DisruptionTarget",
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": rfc3339(now),
        "reason": "EvictionByEvictionAPI",
        "message": "Eviction API: evicting",
    }


def with_condition(pod: Obj, cond: Obj) -> Obj:
    """``UpdatePodCondition``: replace the condition of that type, keeping its transition time if unchanged."""
    out = copy.deepcopy(pod)
    status = out.setdefault("status", {})
    conditions = status.setdefault("conditions", [])
    for i, c in enumerate(conditions):
        if c.get("type") == cond["type"]:
            if c.get("status") == cond["status"]:
                cond = {**cond, "lastTransitionTime": c.get("lastTransitionTime")}
            conditions[i] = cond
            return out
    conditions.append(cond)
    return out


def can_ignore_pdb(pod: Obj) -> bool:
    """``canIgnorePDB``: terminal, Pending, or already being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase in ("Succeeded", "Failed", "Pending") or bool(meta(pod).get("deletionTimestamp"))


def too_many_requests(cause: str, retry_after: int) -> Exception:
    details: dict[str, Any] = {"causes": [{"reason": "DisruptionBudget", "message": cause}]}
    if retry_after:
        details["retryAfterSeconds"] = retry_after
    return error(429, "TooManyRequests", TOO_MANY, details)


class Evictions:
    """The eviction subresource of pods."""

    def __init__(self, store: Registry, *, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    async def create(self, request: Request, route: Route) -> Response:
        ns, name = route.namespace, str(route.name)
        raw = await read_body(request)
        if media_type(request) == protobuf.MEDIA_TYPE:  # client-go set to protobuf; kubectl drain sends JSON
            try:
                body: Any = protobuf.decode(raw)
            except protobuf.ProtobufError as exc:
                raise bad_request(f"Eviction: couldn't decode the protobuf body: {exc}") from None
        else:
            body = decode(raw, media_type(request), what="Eviction")
        # Like the API server's decoder, a body without kind/apiVersion is taken as an Eviction.
        if not isinstance(body, dict) or body.get("kind", "Eviction") != "Eviction":
            raise bad_request("the body of an eviction must be a policy/v1 Eviction object")
        if body.get("apiVersion", "policy/v1") not in EVICTION_VERSIONS:
            raise bad_request(f"unsupported Eviction apiVersion {body.get('apiVersion')!r}: use policy/v1")
        given = meta(body).get("name")
        if given and given != name:
            raise bad_request("name in URL does not match name in Eviction object")
        opts = body.get("deleteOptions") or {}
        if not isinstance(opts, dict):
            raise bad_request("deleteOptions must be an object")
        given_ns = meta(body).get("namespace")
        if given_ns and given_ns != ns:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        grace = grace_period(None, opts)  # the Eviction's deleteOptions only
        pod = self.store.get("pods", ns, name)
        dry = write_options(request, "create", body=opts).dry_run  # query or deleteOptions; 422 if not All
        with self.store.transaction():
            if not can_ignore_pdb(pod):
                self._check_budget(pod, dry=dry)
            if not dry:
                self._evict(pod, opts, grace)
        done = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
        return object_response(done, code=201)

    def _check_budget(self, pod: Obj, *, dry: bool) -> None:
        budgets = [b for b in self.store.list(PDBS, meta(pod).get("namespace"))[0] if selected_pods(b, [pod])]
        if not budgets:
            return
        if len(budgets) > 1:
            raise error(
                500,
                "InternalError",
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            )
        pdb = budgets[0]
        spec, status = pdb.get("spec") or {}, pdb.get("status") or {}
        if not is_ready(pod):
            if spec.get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
                return
            desired = int(status.get("desiredHealthy") or 0)
            if int(status.get("currentHealthy") or 0) >= desired > 0:
                return
        self._check_and_decrement(pdb, str(meta(pod).get("name")), dry=dry)

    def _check_and_decrement(self, pdb: Obj, pod_name: str, *, dry: bool) -> None:
        m, status = meta(pdb), pdb.setdefault("status", {})
        if int(status.get("observedGeneration") or 0) < int(m.get("generation") or 1):
            raise too_many_requests(
                f"The disruption budget {m.get('name')} is still being processed by the server.", 10
            )
        allowed = int(status.get("disruptionsAllowed") or 0)
        if allowed < 0:
            raise forbidden(PDBS, str(m.get("name")), "pdb disruptions allowed is negative")
        if allowed == 0:
            raise too_many_requests(
                f"The disruption budget {m.get('name')} needs {int(status.get('desiredHealthy') or 0)} healthy pods "
                f"and has {int(status.get('currentHealthy') or 0)} currently",
                0,
            )
        status["disruptionsAllowed"] = allowed - 1
        if allowed - 1 == 0:
            allowed_condition(status, self.clock())
        if dry:
            return
        status.setdefault("disruptedPods", {})[pod_name] = rfc3339(self.clock())
        self.store.update(PDBS, pdb, status_only=True)

    def _evict(self, pod: Obj, opts: dict[str, Any], grace: int | None) -> None:
        m = meta(pod)
        if not m.get("deletionTimestamp"):
            self.store.update("pods", with_condition(pod, disruption_target(self.clock())), status_only=True)
        pre = opts.get("preconditions") or {}
        self.store.delete(
            "pods",
            m.get("namespace"),
            str(m.get("name")),
            grace_seconds=grace,
            preconditions={k: str(v) for k, v in pre.items() if v} if isinstance(pre, dict) else None,
        )
