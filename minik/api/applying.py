"""The server-side apply PATCH (``application/apply-patch+yaml``): decode, merge, create or update.

Owns the HTTP half of server-side apply: the body (YAML or JSON) must be an
object of the route's kind; a missing object is created from it; the merge
and the ownership rules are :mod:`minik.api.managed`'s; validation,
defaulting, dry run and storing are the handlers' own create and update
paths, so an applied object is checked exactly as a created or updated one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from minik.api import lastapplied, managed
from minik.api.options import WriteOptions
from minik.api.responses import decode_async
from minik.apierrors import bad_request, method_not_supported
from minik.errors import ApiError
from minik.k8s import Obj
from minik.registry import Registry

if TYPE_CHECKING:
    from minik.api.rest import Route


class _Writer(Protocol):
    store: Registry

    def now(self) -> str: ...

    async def create_object(
        self,
        request: Request,
        route: Route,
        obj: Obj,
        opts: WriteOptions,
        fields: list[dict[str, Any]] | None,
    ) -> Response: ...

    def update_object(
        self,
        request: Request,
        route: Route,
        obj: Obj,
        opts: WriteOptions,
        fields: list[dict[str, Any]] | None,
    ) -> Response: ...


def _live(store: Registry, route: Route) -> Obj | None:
    assert route.name is not None
    try:
        return store.get(route.resource.plural, route.namespace, route.name)
    except ApiError as exc:
        if exc.code == 404:
            return None
        raise


async def apply_patch(
    writer: _Writer, request: Request, route: Route, body: bytes, opts: WriteOptions
) -> Response:
    r = route.resource
    config = await decode_async(body, "application/yaml", what="apply patch")
    if not isinstance(config, dict):
        raise bad_request("error decoding YAML: the apply patch is not an object")
    if config.get("apiVersion") != r.api_version or config.get("kind") != r.kind:
        given = f"{config.get('apiVersion') or ''}, Kind={config.get('kind') or ''}"
        raise bad_request(
            f"the apply configuration is for {given}, not {r.api_version}, Kind={r.kind}"
            if config.get("apiVersion") or config.get("kind")
            else "apiVersion and kind must be set in an apply configuration"
        )
    if not isinstance(config.get("metadata", {}), dict):
        raise bad_request("metadata must be an object in an apply configuration")
    if route.subresource is not None:
        raise method_not_supported(r.plural, "minik does not implement server-side apply on subresources")
    live = _live(writer.store, route)
    try:
        merged, fields = managed.apply(
            live,
            config,
            manager=opts.manager,
            force=opts.force,
            api_version=r.api_version,
            now=writer.now(),
            with_status=not r.has_status,
            allowed=lastapplied.allowed_conflicts(live, opts.manager),
        )
    except managed.ApplyConflict as exc:
        raise managed.conflict_error(exc) from None
    merged = lastapplied.keep_in_step(merged, config, live, opts.manager)
    if live is None:
        merged.setdefault("metadata", {})["name"] = route.name
        return await writer.create_object(request, route, merged, opts, fields)
    return writer.update_object(request, route, merged, opts, fields)
