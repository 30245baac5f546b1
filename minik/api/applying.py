"""The server-side apply PATCH (``application/apply-patch+yaml``): decode and merge.

Owns the HTTP half of server-side apply: the body (YAML or JSON) must be an
object of the route's kind; the merge and the ownership rules are
:mod:`minik.managedfields`'s. What it returns the handler writes through the
registry's create (the object is missing) or update path, so an applied
object is defaulted, validated and stored exactly as a created or updated one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minik.api.options import WriteOptions
from minik.api.responses import decode_async
from minik.api.routing import Route
from minik.apierrors import bad_request, method_not_supported
from minik.errors import ApiError
from minik.k8s import Obj, rfc3339
from minik.managedfields import lastapplied, managed
from minik.registry import Registry


@dataclass(frozen=True)
class Applied:
    """An apply's outcome, to be written: the merged object, its managedFields, create or update."""

    obj: Obj
    fields: list[dict[str, Any]]
    creates: bool


def _live(registry: Registry, route: Route) -> Obj | None:
    assert route.name is not None
    try:
        return registry.get(route.resource.plural, route.namespace, route.name)
    except ApiError as exc:
        if exc.code == 404:
            return None
        raise


async def apply_patch(registry: Registry, route: Route, body: bytes, opts: WriteOptions) -> Applied:
    """Merge the apply configuration ``body`` into the live object (none: a new one)."""
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
    live = _live(registry, route)
    try:
        merged, fields = managed.apply(
            live,
            config,
            manager=opts.manager,
            force=opts.force,
            api_version=r.api_version,
            now=rfc3339(registry.clock()),
            with_status=not r.has_status,
            allowed=lastapplied.allowed_conflicts(live, opts.manager),
        )
    except managed.ApplyConflict as exc:
        raise managed.conflict_error(exc) from None
    merged = lastapplied.keep_in_step(merged, config, live, opts.manager)
    if live is None:
        merged.setdefault("metadata", {})["name"] = route.name
    return Applied(merged, fields, creates=live is None)
