"""The Starlette app: authentication, routing by Kubernetes path, and Status errors.

Owns the mapping of ``/api/v1/...`` and ``/apis/batch/v1/...`` paths and HTTP
verbs onto :class:`~minik.api.rest.Handlers`, the bearer-token check (every
route), and the rule that nothing raises to the server: an
:class:`~minik.errors.ApiError` becomes its ``Status``, a
:class:`~minik.errors.StoreError` a 500 ``InternalError`` naming the store
problem, anything else a generic 500.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import request_response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState

from minik.api import discovery
from minik.api import metrics as metrics_api
from minik.api.auth import Auth
from minik.api.authviews import KINDS as REVIEW_KINDS
from minik.api.authviews import AuthViews
from minik.api.eviction import Evictions
from minik.api.hooks import ApiHooks
from minik.api.responses import JSONResponse, status_response
from minik.api.rest import Handlers
from minik.api.routing import Route
from minik.api.streams import SUBRESOURCES, PodAddress, PodStreamer, Streams
from minik.apierrors import bad_request, error, failure
from minik.auth.tokens import Signer
from minik.errors import ApiError, StoreError
from minik.manifest import rules_ephemeral
from minik.registry import Registry
from minik.resources import RESOURCES

log = logging.getLogger("minik.api")

Handler = Callable[[Request, Route], Awaitable[Response]]
NOT_FOUND = failure(404, "NotFound", "the server could not find the requested resource")
"""go-restful's 404 in the API server (``NewGenericServerResponse``): ``details: {}``, so a
client can tell it from a missing object (``kubectl debug`` checks ``details.name == ""``)."""


def _not_found(segs: list[str]) -> ApiError:
    """go-restful's 404; under an API path it names what minik does not serve (``kubectl create
    deployment`` prints it), keeping upstream's words first."""
    if segs[:1] == ["api"] and len(segs) >= 3:
        group, version, rest = "", segs[1], segs[2:]
    elif segs[:1] == ["apis"] and len(segs) >= 4:
        group, version, rest = segs[1], segs[2], segs[3:]
    else:
        return ApiError(NOT_FOUND)
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]
    resource, sub = rest[0], (rest[2] if len(rest) > 2 else None)
    r = RESOURCES.get(resource)
    gv = f"{group}/{version}" if group else version
    if r is not None and r.api_version == gv:
        if sub is None:
            return ApiError(NOT_FOUND)
        what = f"{resource}/{sub}"
    else:
        what = f"{resource}.{group}/{version}" if group else f"{resource}/{version}"
    return _not_served(what)


def _not_served(what: str) -> ApiError:
    message = (
        f"{NOT_FOUND['message']}: minik does not serve {what} "
        "(it serves Jobs and CronJobs and what they use; kubectl api-resources lists them)"
    )
    return ApiError(failure(404, "NotFound", message))


def _not_allowed(method: str) -> ApiError:
    """go-restful's 405 for a method a route does not serve (the message names no method)."""
    del method  # upstream's message does not name it
    return error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


class _Router:
    def __init__(self, handlers: Handlers, streams: Streams, views: AuthViews) -> None:
        self.h = handlers
        self.streams = streams
        self.views = views
        self.evictions = Evictions(handlers.registry, clock=handlers.clock)

    async def _token(self, request: Request, route: Route) -> Response:
        return await self.views.token_request(request, route.namespace or "", route.name or "")

    def resolve(self, path: str) -> tuple[Route | None, Response | None]:
        """A resource route, or a discovery response, or ``(None, None)`` for 404."""
        segs = [s for s in path.strip("/").split("/") if s]
        if segs in (["version"], ["version", ""]):
            return None, JSONResponse(discovery.VERSION)
        if segs and segs[0] in ("healthz", "readyz", "livez"):
            return None, PlainTextResponse("ok")
        if segs == ["api"]:
            return None, JSONResponse(discovery.api_versions())
        if segs == ["apis"]:
            return None, JSONResponse(discovery.api_group_list())
        if segs[:2] == ["openapi", "v3"]:
            if len(segs) == 2:
                return None, JSONResponse(discovery.openapi_root())
            doc = discovery.openapi_doc("/".join(segs[2:]))
            return None, (JSONResponse(doc) if doc is not None else None)
        if segs[:1] == ["api"] and len(segs) >= 2:
            gv, rest = segs[1], segs[2:]
        elif segs[:1] == ["apis"] and len(segs) == 2:
            group = discovery.api_group(segs[1])
            return None, (JSONResponse(group) if group is not None else None)
        elif segs[:1] == ["apis"] and len(segs) >= 3:
            gv, rest = f"{segs[1]}/{segs[2]}", segs[3:]
        else:
            return None, None
        if not rest:
            doc = discovery.resource_list(gv)
            return None, (JSONResponse(doc) if doc is not None else None)
        return self._resource_route(gv, rest), None

    def _resource_route(self, gv: str, rest: list[str]) -> Route | None:
        def res(plural: str) -> Route | None:
            r = RESOURCES.get(plural)
            return Route(r, None) if r is not None and r.api_version == gv else None

        if rest[0] == "namespaces" and len(rest) >= 3:
            inner = res(rest[2])
            if inner is not None and inner.resource.namespaced:
                if len(rest) > 5:
                    return None
                return Route(
                    inner.resource,
                    rest[1],
                    rest[3] if len(rest) > 3 else None,
                    rest[4] if len(rest) > 4 else None,
                )
        base = res(rest[0])
        if base is None or len(rest) > 3:
            return None
        if base.resource.namespaced and len(rest) > 1:
            return None
        return Route(
            base.resource, None, rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None
        )

    def handler(self, method: str, route: Route) -> Handler:
        h = self.h
        r = route.resource
        if route.name is None:
            table: dict[str, Handler] = {"GET": h.list}
            if route.namespace is not None or not r.namespaced:
                table["POST"] = h.create
                table["DELETE"] = h.delete_collection
        elif route.subresource is None:
            table = {"GET": h.get, "PUT": h.replace, "PATCH": h.patch, "DELETE": h.delete}
        elif (route.subresource == "status" and r.has_status) or (
            route.subresource == rules_ephemeral.SUBRESOURCE and r.plural == "pods"
        ):
            table = {"GET": h.get, "PUT": h.replace, "PATCH": h.patch}
        elif route.subresource == "log" and r.plural == "pods":
            table = {"GET": h.logs}
        elif route.subresource in SUBRESOURCES and r.plural == "pods":
            table = {"GET": self.streams.http, "POST": self.streams.http}
        elif route.subresource == "eviction" and r.plural == "pods":
            table = {"POST": self.evictions.create}
        elif route.subresource == "token" and r.plural == "serviceaccounts" and route.namespace:
            table = {"POST": self._token}
        else:
            # /api/v1/namespaces/NS/X is a namespaced core resource X more likely than a subresource
            raise _not_served(
                f"{route.subresource}/v1" if r.plural == "namespaces" else f"{r.plural}/{route.subresource}"
            )
        if method not in table:
            raise _not_allowed(method)
        return table[method]


def create_app(
    *,
    registry: Registry,
    token: str,
    hooks: ApiHooks,
    clock: Callable[[], datetime] | None = None,
    streamer: PodStreamer | None = None,
    metrics: metrics_api.MetricsSource | None = None,
    pod_address: PodAddress | None = None,
    signer: Signer | None = None,
) -> Starlette:
    """The control plane's HTTP API (Kubernetes paths, JSON, bearer ``token`` on every route).

    ``clock`` (default: the system's UTC time) only dates the AGE cells of server-side Tables;
    ``streamer`` (the kubelet's exec and attach) serves ``pods/exec`` and ``pods/attach``
    over WebSocket (without it they end with an error status).
    ``metrics`` serves ``metrics.k8s.io`` (``kubectl top``); without it that group is absent.
    ``pod_address`` gives the address the kubelet assigned a pod, where ``pods/portforward``
    connects (without it port-forward reports that the pod has no IP).
    ``signer`` signs and checks service-account tokens (default: a key of this app's own, so
    tokens die with it); ``token`` is the admin's (:mod:`minik.api.auth`).
    """
    handlers = (
        Handlers(registry=registry, hooks=hooks)
        if clock is None
        else Handlers(registry=registry, hooks=hooks, clock=clock)
    )
    auth = Auth(registry=registry, admin_token=token, signer=signer)
    router = _Router(
        handlers, Streams(registry=registry, streamer=streamer, address=pod_address), AuthViews(auth)
    )

    async def endpoint(request: Request) -> Response:
        try:
            path = request.url.path
            user = auth.check(request.headers, request.method, path, request.query_params)
            segs = [s for s in path.strip("/").split("/") if s]
            if (
                len(segs) == 4
                and segs[0] == "apis"
                and segs[2] == "v1"
                and (segs[1], segs[3]) in REVIEW_KINDS
            ):
                if request.method != "POST":
                    raise _not_allowed(request.method)
                return await router.views.review(request, user, segs[1], segs[3])
            if metrics is not None and segs[:2] == ["apis", metrics_api.GROUP]:
                served = metrics_api.handle(request, segs[2:], registry=registry, source=metrics)
                if served is None:
                    raise ApiError(NOT_FOUND)
                return served
            route, response = router.resolve(request.url.path)
            if metrics is not None and segs == ["apis"] and response is not None:
                groups = discovery.api_group_list()
                groups["groups"].append(metrics_api.group())
                response = JSONResponse(groups)
            if response is not None:
                if request.method not in ("GET", "HEAD"):
                    raise _not_allowed(request.method)
                return response
            if route is None:
                raise _not_found(segs)
            return await router.handler(request.method, route)(request, route)
        except ApiError as exc:
            return status_response(exc.status)
        except StoreError as exc:
            log.error("store: %s", exc)
            return status_response(failure(500, "InternalError", f"Internal error occurred: {exc.message}"))
        except Exception:
            log.exception("unexpected error serving %s %s", request.method, request.url.path)
            return status_response(
                failure(500, "InternalError", "Internal error occurred: unexpected server error")
            )

    async def ws_endpoint(ws: WebSocket) -> None:
        """A WebSocket upgrade: ``pods/exec|attach|portforward`` only; any refusal is a Status."""
        try:
            auth.check(ws.headers, "GET", ws.url.path, ws.query_params, websocket=True)
            route, _ = router.resolve(ws.url.path)
            if route is None or route.resource.plural != "pods" or route.name is None:
                raise ApiError(NOT_FOUND)
            if route.subresource not in SUBRESOURCES:
                raise bad_request("Upgrade request required")
            await router.streams.websocket(ws, route)
        except ApiError as exc:
            await ws.send_denial_response(status_response(exc.status))
        except StoreError as exc:
            log.error("store: %s", exc)
            await ws.send_denial_response(
                status_response(failure(500, "InternalError", f"Internal error occurred: {exc.message}"))
            )
        except Exception:
            log.exception("unexpected error serving the WebSocket %s", ws.url.path)
            with contextlib.suppress(Exception):
                if ws.application_state == WebSocketState.CONNECTING:
                    await ws.send_denial_response(
                        status_response(
                            failure(500, "InternalError", "Internal error occurred: unexpected server error")
                        )
                    )
                else:
                    await ws.close(1011)

    http = request_response(endpoint)

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await ws_endpoint(WebSocket(scope, receive, send))
        else:
            await http(scope, receive, send)

    app = Starlette()
    # Every request, whatever its method or path (even one holding a newline), reaches
    # the endpoint and so gets a Status; Starlette's routing would answer some in plain text.
    app.router.default = dispatch
    return app
