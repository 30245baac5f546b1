"""The resource handlers: list/watch, create, get, update, patch, delete, status, logs.

Each takes the parsed route and the request and returns a response or raises
an :class:`~minik.errors.ApiError` (turned into a ``Status`` by
:mod:`minik.api.app`). Validation and defaulting go through
:class:`~minik.api.hooks.ApiHooks`; each resource's write rules are its
registry strategy's (:mod:`minik.registry`), the pods/log checks
:mod:`minik.api.podlogs`'.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from minik.api import limits, podlogs, protobuf, tables
from minik.api import patch as patching
from minik.api.applying import apply_patch
from minik.api.hooks import ApiHooks
from minik.api.options import APPLY, WriteOptions, write_options
from minik.api.responses import (
    decode,
    decode_async,
    grace_period,
    media_type,
    object_response,
    query_bool,
    query_int,
    read_body,
)
from minik.api.routing import Route
from minik.apierrors import bad_request, conflict, error
from minik.errors import ApiError
from minik.k8s import Obj, meta
from minik.registry import ClientWrite, Registry
from minik.registry.rules import cannot_handle
from minik.store import Expired, Resource, WatchEvent, compile_filter

log = logging.getLogger("minik.api")

DEFAULT_WATCH_TIMEOUT = 1800.0


JSON = "application/json"
ManagedFields = list[dict[str, Any]]
NAMESPACE_MISMATCH = "the namespace of the provided object does not match the namespace sent on the request"


def _list(r: Resource, list_meta: dict[str, Any], items: list[Obj]) -> Obj:
    return {"kind": f"{r.kind}List", "apiVersion": r.api_version, "metadata": list_meta, "items": items}


def _client_write(request: Request, opts: WriteOptions, fields: ManagedFields | None) -> ClientWrite:
    """The registry's view of a write's options; ``fields``: an apply's managedFields."""
    mode = request.query_params.get("fieldValidation", "Warn")
    return ClientWrite(manager=opts.manager, field_validation=mode, dry_run=opts.dry_run, fields=fields)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Handlers:
    def __init__(self, *, store: Registry, hooks: ApiHooks, clock: Callable[[], datetime] = _utcnow) -> None:
        self.store = store
        self.hooks = hooks
        self.clock = clock  # only for the ages in server-side Tables

    def _respond(
        self, request: Request, r: Resource, items: list[Obj], list_meta: dict[str, Any] | None
    ) -> Response:
        """A Table when the client asked for one (``kubectl get``), else the object or the list."""
        version = tables.table_version(request)
        if version is None:
            return object_response(items[0] if list_meta is None else _list(r, list_meta, items))
        mode = tables.include_object(request)
        if list_meta is None:  # one object: its resourceVersion is where ``kubectl get -w NAME`` starts
            list_meta = {"resourceVersion": meta(items[0]).get("resourceVersion", "")}
        return object_response(
            tables.table(r, items, self.clock(), list_meta=list_meta, mode=mode, version=version)
        )

    async def _decode_object(self, request: Request, r: Resource, body: bytes) -> Obj:
        if media_type(request) == protobuf.MEDIA_TYPE:  # kubectl's typed `create` commands
            try:
                obj: Any = protobuf.decode(body)
            except protobuf.ProtobufValueError as exc:
                raise bad_request(f"{cannot_handle(r)}: {exc}") from None
            except protobuf.ProtobufError as exc:
                raise error(415, "UnsupportedMediaType", f"{cannot_handle(r)}: {exc}") from None
        else:
            obj = await decode_async(body, media_type(request), what=cannot_handle(r))
        if not isinstance(obj, dict):
            raise bad_request(f"{cannot_handle(r)}: the body is not an object")
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if api_version and api_version != r.api_version:
            raise bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({r.api_version})"
            )
        if kind and kind != r.kind:
            raise bad_request(f"the kind in the data ({kind}) does not match the expected kind ({r.kind})")
        if not isinstance(obj.get("metadata", {}), dict):
            raise bad_request(f"{cannot_handle(r)}: metadata is not an object")
        obj.setdefault("metadata", {})
        obj["apiVersion"], obj["kind"] = r.api_version, r.kind
        return obj

    def _set_namespace(self, route: Route, obj: Obj) -> None:
        m = meta(obj)
        if not route.resource.namespaced:
            m.pop("namespace", None)
            return
        if m.get("namespace") and m["namespace"] != route.namespace:
            raise bad_request(NAMESPACE_MISMATCH)
        m["namespace"] = route.namespace

    # -- collection --------------------------------------------------------------------
    async def list(self, request: Request, route: Route) -> Response:
        r = route.resource
        labels = request.query_params.get("labelSelector")
        fields = request.query_params.get("fieldSelector")
        if query_bool(request, "watch"):
            return await self.watch(request, route)
        query_int(request, "timeoutSeconds")  # ListOptions are decoded whole, as the API server decodes them
        limit = query_int(request, "limit") or 0
        items, rv = self.store.list(r.plural, route.namespace, label_selector=labels, field_selector=fields)
        token = request.query_params.get("continue")
        if token:
            try:
                after = tuple(json.loads(base64.urlsafe_b64decode(token.encode())))
            except (ValueError, TypeError):
                after = ()
            if len(after) != 2 or not all(isinstance(part, str) for part in after):
                raise error(410, "Expired", "the provided continue parameter is not valid")
            items = [o for o in items if (meta(o).get("namespace", ""), meta(o)["name"]) > after]
        list_meta: dict[str, Any] = {"resourceVersion": rv}
        if 0 < limit < len(items):
            last = items[limit - 1]
            key = [meta(last).get("namespace", ""), meta(last)["name"]]
            list_meta["continue"] = base64.urlsafe_b64encode(json.dumps(key).encode()).decode()
            list_meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        return self._respond(request, r, items, list_meta)

    async def watch(self, request: Request, route: Route) -> Response:
        r = route.resource
        q = request.query_params
        match = compile_filter(r.plural, q.get("labelSelector"), q.get("fieldSelector"))
        timeout = query_int(request, "timeoutSeconds")
        raw_rv = request.query_params.get("resourceVersion") or ""
        initial: list[WatchEvent] = []
        expired: Expired | None = None
        if raw_rv in ("", "0"):
            sub = self.store.subscribe(r.plural, None, max_buffer=10_000)
            items, rv = self.store.list(r.plural, route.namespace)
            initial = [WatchEvent("ADDED", r.plural, o, int(rv)) for o in items if match(o)]
        else:
            if not raw_rv.isdigit():
                raise bad_request(f"resourceVersion: Invalid value: {raw_rv!r}: must be an integer")
            try:
                sub = self.store.subscribe(r.plural, int(raw_rv), max_buffer=10_000)
            except Expired as exc:
                expired = exc
        namespace = route.namespace

        def visible(ev: WatchEvent) -> str | None:
            if namespace is not None and r.namespaced and meta(ev.obj).get("namespace") != namespace:
                return None
            if match(ev.obj):
                if ev.type == "MODIFIED" and ev.old is not None and not match(ev.old):
                    return "ADDED"
                return ev.type
            if ev.type == "MODIFIED" and ev.old is not None and match(ev.old):
                return "DELETED"
            return None

        version = tables.table_version(request)
        mode = tables.include_object(request) if version is not None else "Metadata"

        def line(kind: str, obj: Obj) -> bytes:
            if version is not None and kind != "ERROR":
                obj = tables.table(r, [obj], self.clock(), mode=mode, version=version)
            return json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"

        async def stream() -> AsyncIterator[bytes]:
            if expired is not None:
                yield line("ERROR", expired.status)
                return
            try:
                for ev in initial:
                    yield line("ADDED", ev.obj)
                with anyio.move_on_after(float(timeout) if timeout else DEFAULT_WATCH_TIMEOUT):
                    try:
                        async for ev in sub:
                            kind = visible(ev)
                            if kind is not None:
                                yield line(kind, ev.obj)
                    except Expired as exc:
                        yield line("ERROR", exc.status)
            finally:
                sub.close()

        return StreamingResponse(stream(), media_type="application/json")

    async def create(self, request: Request, route: Route) -> Response:
        opts = write_options(request, "create")
        obj = await self._decode_object(request, route.resource, await read_body(request))
        return await self.create_object(request, route, obj, opts, None)

    async def create_object(
        self,
        request: Request,
        route: Route,
        obj: Obj,
        opts: WriteOptions,
        fields: ManagedFields | None,
    ) -> Response:
        """Create ``obj`` (decoded, or built by an apply) as a POST does; ``fields``: its managedFields."""
        r = route.resource
        self._set_namespace(route, obj)
        limits.check_object(obj, cannot_handle(r))
        written = self.store.client_create(r.plural, obj, _client_write(request, opts, fields))
        return object_response(written.obj, code=201, warnings=written.warnings)

    async def delete_collection(self, request: Request, route: Route) -> Response:
        r = route.resource
        body = await self._delete_options(request)
        opts = write_options(request, "delete", body=body)
        items, _ = self.store.list(
            r.plural,
            route.namespace,
            label_selector=request.query_params.get("labelSelector"),
            field_selector=request.query_params.get("fieldSelector"),
        )
        out = []
        with self.store.transaction():
            for obj in items:
                m = meta(obj)
                out.append(
                    self._delete_one(request, route, m.get("namespace"), m["name"], body, dry=opts.dry_run)
                )
        return object_response(_list(r, {}, out))

    # -- item ------------------------------------------------------------------------
    async def get(self, request: Request, route: Route) -> Response:
        assert route.name is not None
        obj = self.store.get(route.resource.plural, route.namespace, route.name)
        if route.subresource is None:
            return self._respond(request, route.resource, [obj], None)
        return object_response(obj)

    async def replace(self, request: Request, route: Route) -> Response:
        r = route.resource
        assert route.name is not None
        opts = write_options(request, "update")
        obj = await self._decode_object(request, r, await read_body(request))
        return self.update_object(request, route, obj, opts)

    async def patch(self, request: Request, route: Route) -> Response:
        r = route.resource
        assert route.name is not None
        kind = media_type(request)
        opts = write_options(request, "patch", patch_type=kind)
        body = await read_body(request)
        if kind == APPLY:
            applied = await apply_patch(self.store, route, body, opts)
            if applied.creates:
                return await self.create_object(request, route, applied.obj, opts, applied.fields)
            return self.update_object(request, route, applied.obj, opts, applied.fields)
        current = self.store.get(r.plural, route.namespace, route.name)
        try:
            if kind == "application/merge-patch+json":
                patched = patching.merge_patch(current, decode(body, JSON, what="patch"))
            elif kind == "application/strategic-merge-patch+json":
                patched = patching.strategic_merge_patch(current, decode(body, JSON, what="patch"))
            elif kind == "application/json-patch+json":
                patched = patching.json_patch(current, decode(body, JSON, what="patch"))
            else:
                raise error(
                    415,
                    "UnsupportedMediaType",
                    f"the media type {kind!r} is not supported for PATCH; use application/merge-patch+json, "
                    "application/strategic-merge-patch+json, application/json-patch+json or "
                    "application/apply-patch+yaml",
                )
        except patching.PatchTooLarge as exc:
            raise error(413, "RequestEntityTooLarge", f"Request entity too large: {exc}") from None
        except patching.PatchError as exc:
            raise error(422, "Invalid", f"the patch could not be applied: {exc}") from None
        if not isinstance(patched, dict):
            raise bad_request("the patch did not produce an object")
        return self.update_object(request, route, patched, opts)

    def update_object(
        self,
        request: Request,
        route: Route,
        obj: Obj,
        opts: WriteOptions,
        fields: ManagedFields | None = None,
    ) -> Response:
        r = route.resource
        assert route.name is not None
        m = meta(obj)
        if m.get("name") and m["name"] != route.name:
            raise bad_request(
                f"the name of the object ({m['name']}) does not match the name on the URL ({route.name})"
            )
        m["name"] = route.name
        self._set_namespace(route, obj)
        limits.check_object(obj, cannot_handle(r))
        write = _client_write(request, opts, fields)
        written = self.store.client_update(r.plural, obj, write, subresource=route.subresource)
        return object_response(written.obj, warnings=written.warnings)

    async def _delete_options(self, request: Request) -> dict[str, Any]:
        body = await read_body(request)
        if not body.strip():
            return {}
        if media_type(request) == protobuf.MEDIA_TYPE:  # client-go's typed Delete (kubectl drain)
            try:
                return protobuf.delete_options(body)
            except protobuf.ProtobufError as exc:
                raise bad_request(f"DeleteOptions: couldn't decode the protobuf body: {exc}") from None
        opts = await decode_async(body, media_type(request), what="DeleteOptions")
        if opts is None:
            return {}
        if not isinstance(opts, dict):
            raise bad_request("DeleteOptions must be an object")
        return opts

    def _delete_one(
        self,
        request: Request,
        route: Route,
        namespace: str | None,
        name: str,
        opts: dict[str, Any],
        *,
        dry: bool,
    ) -> Obj:
        q = request.query_params
        policy = q.get("propagationPolicy") or opts.get("propagationPolicy")
        orphan = q.get("orphanDependents") or opts.get("orphanDependents")
        if policy is None and orphan is not None:
            policy = "Orphan" if str(orphan).lower() == "true" else "Background"
        if policy is not None and policy not in ("Orphan", "Background", "Foreground"):
            supported = '"Foreground", "Background", "Orphan"'
            raise bad_request(
                f'propagationPolicy: Unsupported value: "{policy}": supported values: {supported}'
            )
        grace = grace_period(request, opts)
        pre = opts.get("preconditions") or {}
        if dry:  # checked as a real delete is, then nothing happens
            current = self.store.get(route.resource.plural, namespace, name)
            for key in ("uid", "resourceVersion"):
                if isinstance(pre, dict) and pre.get(key) and str(pre[key]) != meta(current).get(key):
                    raise conflict(route.resource.plural, name)
            return current
        return self.store.delete(
            route.resource.plural,
            namespace,
            name,
            propagation=policy,
            grace_seconds=grace,
            preconditions={k: str(v) for k, v in pre.items() if v} if isinstance(pre, dict) else None,
        )

    async def delete(self, request: Request, route: Route) -> Response:
        r = route.resource
        assert route.name is not None
        opts = await self._delete_options(request)
        dry = write_options(request, "delete", body=opts).dry_run
        obj = self._delete_one(request, route, route.namespace, route.name, opts, dry=dry)
        if dry:
            return object_response(obj)
        try:
            self.store.get(r.plural, route.namespace, route.name)
        except ApiError:
            return object_response(obj)
        return object_response(obj, code=202)

    # -- pods/log ----------------------------------------------------------------------
    async def logs(self, request: Request, route: Route) -> Response:
        """``GET …/pods/NAME/log`` (:mod:`minik.api.podlogs`)."""
        assert route.name is not None
        pod = self.store.get("pods", route.namespace, route.name)
        return await podlogs.logs(request, pod, self.hooks)
