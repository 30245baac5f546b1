"""What a request asks, in the authorizer's terms: the API server's ``RequestInfoResolver``.

``(method, path, query)`` → verb, API group and version, resource,
subresource, name, namespace; or a non-resource request (``/version``,
``/api``, ``/apis/batch``, ``/healthz``) with the lower-cased method as its
verb. GET on a collection is ``list`` (``watch`` with ``watch=true``; a
``metadata.name=`` field selector names the object), DELETE on a collection
``deletecollection``. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from minik.auth.user import UserInfo

_METHOD_VERBS = {
    "POST": "create",
    "GET": "get",
    "HEAD": "get",
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "delete",
}
_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
_STREAM_SUBRESOURCES = frozenset({"exec", "attach", "portforward"})


@dataclass(frozen=True)
class Attributes:
    """One request as the authorizer sees it (``authorizer.Attributes``)."""

    user: UserInfo
    verb: str
    resource_request: bool
    path: str = ""
    api_group: str = ""
    api_version: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    namespace: str = ""


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


def _name_from_fields(selector: str | None) -> str:
    for term in (selector or "").split(","):
        key, sep, value = term.partition("=")
        key = key.rstrip("=").strip()
        value = value.lstrip("=").strip()
        if sep and key == "metadata.name" and not key.endswith("!"):
            return value
    return ""


def resolve(
    user: UserInfo, method: str, path: str, query: Mapping[str, str], *, websocket: bool = False
) -> Attributes:
    """The request's attributes. A WebSocket upgrade to ``pods/exec|attach|portforward`` is a
    ``create`` (what the API server asks since 1.31 before it lets the upgrade through)."""
    parts = [p for p in path.split("/") if p]
    non_resource = Attributes(user, method.lower(), False, path=path)
    if len(parts) < 3 or parts[0] not in ("api", "apis"):
        return non_resource
    prefix, rest = parts[0], parts[1:]
    group = ""
    if prefix == "apis":
        if len(rest) < 3:
            return non_resource
        group, rest = rest[0], rest[1:]
    version, rest = rest[0], rest[1:]
    verb = _METHOD_VERBS.get(method.upper(), "")
    if rest[0] == "watch":  # the deprecated /watch/ prefix
        verb, rest = "watch", rest[1:]
        if not rest:
            return Attributes(user, verb, True, path=path, api_group=group, api_version=version)
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if not name and verb == "get":
        verb = "watch" if _truthy(query.get("watch")) else "list"
        name = _name_from_fields(query.get("fieldSelector"))
    elif not name and verb == "delete":
        verb = "deletecollection"
    if websocket and resource == "pods" and subresource in _STREAM_SUBRESOURCES:
        verb = "create"
    return Attributes(
        user,
        verb,
        True,
        path=path,
        api_group=group,
        api_version=version,
        resource=resource,
        subresource=subresource,
        name=name,
        namespace=namespace,
    )


def forbidden_message(a: Attributes) -> str:
    """The API server's ``forbiddenMessage`` (responsewriters/errors.go)."""
    who = a.user.name
    if not a.resource_request:
        return f'User "{who}" cannot {a.verb} path "{a.path}"'
    resource = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    if a.namespace:
        return (
            f'User "{who}" cannot {a.verb} resource "{resource}" in API group "{a.api_group}" '
            f'in the namespace "{a.namespace}"'
        )
    return f'User "{who}" cannot {a.verb} resource "{resource}" in API group "{a.api_group}" at the cluster scope'


def forbidden_status(a: Attributes, reason: str = "") -> dict[str, object]:
    """The 403 ``Status`` the API server writes (``apierrors.NewForbidden`` of the group/resource and name)."""
    msg = forbidden_message(a)
    if reason:
        msg = f"{msg}: {reason}"
    if not a.resource_request:
        message = f"forbidden: {msg}"
    else:
        qualified = f"{a.resource}.{a.api_group}" if a.api_group else a.resource
        message = (
            f'{qualified} "{a.name}" is forbidden: {msg}' if a.name else f"{qualified} is forbidden: {msg}"
        )
    details: dict[str, object] = {}
    if a.name:
        details["name"] = a.name
    if a.api_group:
        details["group"] = a.api_group
    if a.resource_request and a.resource:
        details["kind"] = a.resource
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Forbidden",
        "details": details,
        "code": 403,
    }
