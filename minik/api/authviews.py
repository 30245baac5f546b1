"""The create-only auth resources: ``serviceaccounts/<name>/token`` (TokenRequest),
``tokenreviews`` and ``selfsubjectreviews`` (authentication.k8s.io/v1),
``selfsubjectaccessreviews``, ``subjectaccessreviews`` and
``selfsubjectrulesreviews`` (authorization.k8s.io/v1).

``kubectl create token``, ``kubectl auth whoami`` and ``kubectl auth can-i``
(``--list``, ``--as``) post these. Nothing is stored: each answer is computed
from the request (and, for a TokenRequest, the service account and the
object the token is bound to) and returned with ``201 Created``, as the API
server does. Bodies are JSON or the protobuf kubectl's typed client sends.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from minik.api import protobuf
from minik.api.auth import Auth
from minik.api.responses import decode, media_type, object_response, read_body
from minik.apierrors import bad_request, error, not_found
from minik.auth import tokens
from minik.auth import user as u
from minik.auth.requestinfo import Attributes
from minik.errors import ApiError
from minik.k8s import meta, rfc3339

AUTHN = "authentication.k8s.io"
AUTHZ = "authorization.k8s.io"
KINDS = {
    (AUTHN, "tokenreviews"): "TokenReview",
    (AUTHN, "selfsubjectreviews"): "SelfSubjectReview",
    (AUTHZ, "selfsubjectaccessreviews"): "SelfSubjectAccessReview",
    (AUTHZ, "subjectaccessreviews"): "SubjectAccessReview",
    (AUTHZ, "selfsubjectrulesreviews"): "SelfSubjectRulesReview",
}
"""(group, plural) → kind of the review resources (all cluster-scoped, create only)."""
DISCOVERY: dict[str, list[dict[str, Any]]] = {
    f"{group}/v1": [
        {"name": plural, "singularName": kind.lower(), "namespaced": False, "kind": kind, "verbs": ["create"]}
        for (g, plural), kind in sorted(KINDS.items())
        if g == group
    ]
    for group in (AUTHN, AUTHZ)
}
TOKEN_SUBRESOURCE = {
    "name": "serviceaccounts/token",
    "singularName": "",
    "namespaced": True,
    "group": AUTHN,
    "version": "v1",
    "kind": "TokenRequest",
    "verbs": ["create"],
}


async def _body(request: Request, api_version: str, kind: str) -> dict[str, Any]:
    raw = await read_body(request)
    what = f'{kind} in version "v1" cannot be handled as a {kind}'
    if media_type(request) == protobuf.MEDIA_TYPE:
        try:
            obj: Any = protobuf.decode(raw)
        except protobuf.ProtobufError as exc:
            raise error(415, "UnsupportedMediaType", f"{what}: {exc}") from None
    else:
        obj = decode(raw, media_type(request), what=what)
    if not isinstance(obj, dict):
        raise bad_request(f"{what}: the body is not an object")
    if obj.get("kind") not in (None, "", kind) or obj.get("apiVersion") not in (None, "", api_version):
        raise bad_request(f"the body of this request must be a {api_version} {kind}")
    for key in ("metadata", "spec"):
        if not isinstance(obj.get(key) or {}, dict):
            raise bad_request(f"{what}: {key} is not an object")
    return obj


def _invalid(kind: str, group: str, name: str, *, field: str, value: Any, message: str) -> ApiError:
    shown = f'"{value}"' if isinstance(value, str) else str(value)
    body = f"Invalid value: {shown}: {message}"
    return error(
        422,
        "Invalid",
        f'{kind}.{group} "{name}" is invalid: {field}: {body}',
        {
            "name": name,
            "group": group,
            "kind": kind,
            "causes": [{"reason": "FieldValueInvalid", "message": body, "field": field}],
        },
    )


def _created(api_version: str, kind: str, obj: dict[str, Any], status: dict[str, Any]) -> Response:
    m = obj.get("metadata") or {}
    out_meta = {k: v for k, v in m.items() if k in ("name", "namespace", "labels", "annotations")}
    out_meta["creationTimestamp"] = None
    out = {"kind": kind, "apiVersion": api_version, "metadata": out_meta}
    if "spec" in obj or kind != "SelfSubjectReview":
        out["spec"] = obj.get("spec") or {}
    out["status"] = status
    return object_response(out, code=201)


class AuthViews:
    def __init__(self, auth: Auth) -> None:
        self.auth = auth

    # -- TokenRequest --------------------------------------------------------------------
    async def token_request(self, request: Request, namespace: str, name: str) -> Response:
        obj = await _body(request, f"{AUTHN}/v1", "TokenRequest")
        sa = self.auth.source.get("serviceaccounts", namespace, name)
        if sa is None:
            raise not_found("serviceaccounts", name)
        spec = obj.setdefault("spec", {})
        expiration = spec.get("expirationSeconds")
        if expiration is None:
            expiration = tokens.DEFAULT_EXPIRATION
        if not isinstance(expiration, int) or isinstance(expiration, bool):
            raise bad_request("TokenRequest: spec.expirationSeconds must be an integer")
        if expiration < tokens.MIN_EXPIRATION:
            raise _invalid(
                "TokenRequest",
                AUTHN,
                name,
                field="spec.expirationSeconds",
                value=expiration,
                message="may not specify a duration less than 10 minutes",
            )
        if expiration > tokens.MAX_EXPIRATION:
            raise _invalid(
                "TokenRequest",
                AUTHN,
                name,
                field="spec.expirationSeconds",
                value=expiration,
                message="may not specify a duration larger than 2^32 seconds",
            )
        spec["expirationSeconds"] = expiration
        audiences = [a for a in spec.get("audiences") or [] if isinstance(a, str)]
        spec["audiences"] = audiences or list(tokens.API_AUDIENCES)
        bound = None
        ref = spec.get("boundObjectRef")
        if isinstance(ref, dict) and ref:
            bound = self._bound(ref, namespace)
            spec["boundObjectRef"] = {k: v for k, v in ref.items() if v}
        else:
            spec.pop("boundObjectRef", None)
        now = self.auth.clock()
        payload = tokens.claims_payload(
            sa=sa, bound=bound, audiences=spec["audiences"], expiration=expiration, now=now
        )
        token = self.auth.signer.encode(payload)
        obj.setdefault("metadata", {}).update({"name": name, "namespace": namespace})
        status = {"token": token, "expirationTimestamp": rfc3339(now + timedelta(seconds=expiration))}
        return _created("authentication.k8s.io/v1", "TokenRequest", obj, status)

    def _bound(self, ref: dict[str, Any], namespace: str) -> tuple[str, dict[str, Any]]:
        kind, version = ref.get("kind"), ref.get("apiVersion") or "v1"
        if kind not in ("Pod", "Secret") or version != "v1":
            raise bad_request(f"cannot bind token for object of type {version}, Kind={kind}")
        plural = "pods" if kind == "Pod" else "secrets"
        name = str(ref.get("name") or "")
        obj = self.auth.source.get(plural, namespace, name)
        if obj is None:
            raise not_found(plural, name)
        uid = ref.get("uid")
        if uid and uid != meta(obj).get("uid"):
            raise error(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {kind} "{name}": the UID in the bound object reference '
                f"({uid}) does not match the UID in record. The object might have been deleted and then recreated",
                {"name": name, "kind": kind},
            )
        return kind, obj

    # -- reviews ----------------------------------------------------------------------
    async def review(self, request: Request, user: u.UserInfo, group: str, plural: str) -> Response:
        kind = KINDS[(group, plural)]
        api_version = f"{group}/v1"
        obj = await _body(request, api_version, kind)
        spec = obj.get("spec") or {}
        if kind == "SelfSubjectReview":
            return _created(api_version, kind, obj, {"userInfo": user.to_api()})
        if kind == "TokenReview":
            return _created(api_version, kind, obj, self._token_review(spec))
        if kind == "SelfSubjectRulesReview":
            namespace = str(spec.get("namespace") or "")
            resource_rules, url_rules = self.auth.authorizer.rules_review(user, namespace)
            rules = {"resourceRules": resource_rules, "nonResourceRules": url_rules, "incomplete": False}
            return _created(api_version, kind, obj, rules)
        if kind == "SubjectAccessReview":
            if not spec.get("user") and not spec.get("groups"):
                raise _invalid(
                    kind,
                    group,
                    "",
                    field="spec.user",
                    value="",
                    message="at least one of user or group must be specified",
                )
            user = u.UserInfo(
                str(spec.get("user") or ""),
                uid=str(spec.get("uid") or ""),
                groups=tuple(g for g in spec.get("groups") or [] if isinstance(g, str)),
            )
        attrs = self._attributes(kind, group, user, spec)
        decision = self.auth.authorizer.authorize(attrs)
        status: dict[str, Any] = {"allowed": decision.allowed}
        if decision.reason:
            status["reason"] = decision.reason
        return _created(api_version, kind, obj, status)

    def _token_review(self, spec: dict[str, Any]) -> dict[str, Any]:
        token = spec.get("token")
        if not isinstance(token, str) or not token:
            return {"authenticated": False, "user": {}, "error": "token is empty"}
        wanted = tuple(a for a in spec.get("audiences") or [] if isinstance(a, str)) or tokens.API_AUDIENCES
        try:
            user = self.auth.user_for_token(token, wanted)
        except tokens.TokenError as exc:
            return {"authenticated": False, "user": {}, "error": f"[invalid bearer token, {exc}]"}
        return {"authenticated": True, "user": user.to_api(), "audiences": list(wanted)}

    @staticmethod
    def _attributes(kind: str, group: str, user: u.UserInfo, spec: dict[str, Any]) -> Attributes:
        res, non = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
        if bool(res) == bool(non):
            raise _invalid(
                kind,
                group,
                "",
                field="spec.resourceAttributes",
                value="null",
                message="exactly one of nonResourceAttributes or resourceAttributes must be specified",
            )
        if isinstance(non, dict) and non:
            return Attributes(user, str(non.get("verb") or ""), False, path=str(non.get("path") or ""))
        assert isinstance(res, dict)
        return Attributes(
            user,
            str(res.get("verb") or ""),
            True,
            api_group=str(res.get("group") or ""),
            api_version=str(res.get("version") or ""),
            resource=str(res.get("resource") or ""),
            subresource=str(res.get("subresource") or ""),
            name=str(res.get("name") or ""),
            namespace=str(res.get("namespace") or ""),
        )
