"""Who is asking and may they: the API server's authentication, impersonation and authorization
filters, wired to the store.

Every request carries a bearer token: the kubeconfig's token is the cluster
admin (``kubernetes-admin`` in ``system:masters``: allowed everything, as
kind's kubeconfig); a service-account token (:mod:`minik.auth.tokens`) is
its service account, checked on every request against the objects it is
bound to. Anything else is a 401. ``Impersonate-User``/``-Group``/``-Uid``
headers act as another user when the requester may ``impersonate`` it
(``kubectl --as``). Then RBAC (:mod:`minik.auth.rbac`) decides; a refusal is
upstream's 403 Status.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import Headers

from minik.apierrors import failure
from minik.auth import rbac, requestinfo, tokens
from minik.auth import user as u
from minik.errors import ApiError, NotFound
from minik.registry import Registry

log = logging.getLogger("minik.api")

UNAUTHORIZED = failure(401, "Unauthorized", "Unauthorized")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class StoreSource:
    """:class:`minik.auth.rbac.Source` and :class:`minik.auth.tokens.Getter` over the registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def list(self, resource: str, namespace: str | None) -> list[dict[str, Any]]:
        return self.registry.list(resource, namespace, shared=True)[0]

    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        try:
            return self.registry.get(resource, namespace, name)
        except NotFound:
            return None

    def __call__(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self.get(resource, namespace, name)


class Auth:
    """Authentication, impersonation and RBAC for one API server."""

    def __init__(
        self,
        *,
        registry: Registry,
        admin_token: str,
        signer: tokens.Signer | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.source = StoreSource(registry)
        self._admin = f"Bearer {admin_token}".encode()
        self._has_admin = bool(admin_token)
        self.signer = signer or tokens.Signer.generate()
        self.clock = clock
        self.authorizer = rbac.Authorizer(self.source)

    # -- authentication -----------------------------------------------------------
    def user_for_token(self, token: str, audiences: tuple[str, ...] = tokens.API_AUDIENCES) -> u.UserInfo:
        """The user a bearer token authenticates (``TokenError`` saying why not)."""
        if self._has_admin and hmac.compare_digest(f"Bearer {token}".encode(), self._admin):
            return u.ADMIN
        claims = tokens.authenticate(self.signer, token, self.source, now=self.clock(), audiences=audiences)
        if claims is None:
            raise tokens.TokenError("invalid bearer token")
        return claims.user()

    def authenticate(self, headers: Headers) -> u.UserInfo:
        """The request's user; a 401 ``ApiError`` for a missing or invalid token."""
        given = headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(UNAUTHORIZED)
        try:
            return self.user_for_token(token.strip())
        except tokens.TokenError as exc:
            log.debug("refused a bearer token: %s", exc)
            raise ApiError(UNAUTHORIZED) from None

    # -- impersonation ----------------------------------------------------------------
    def impersonate(self, requester: u.UserInfo, headers: Headers) -> u.UserInfo:
        """The impersonated user when the request asks for one (and may), else ``requester``."""
        name = headers.get("impersonate-user")
        groups = tuple(headers.getlist("impersonate-group"))
        uid = headers.get("impersonate-uid", "")
        extra: dict[str, tuple[str, ...]] = {}
        for key, value in headers.items():
            if key.lower().startswith("impersonate-extra-"):
                k = key[len("impersonate-extra-") :]
                extra[k] = (*extra.get(k, ()), value)
        if name is None:
            if groups or uid or extra:
                raise ApiError(
                    failure(
                        500,
                        "InternalError",
                        "Internal error occurred: requested impersonation without a user",
                    )
                )
            return requester
        checks: list[requestinfo.Attributes] = []
        sa = u.split_sa_username(name)
        if sa is not None:
            checks.append(
                requestinfo.Attributes(
                    requester, "impersonate", True, resource="serviceaccounts", namespace=sa[0], name=sa[1]
                )
            )
            if not groups:
                groups = u.sa_groups(sa[0])
        else:
            checks.append(requestinfo.Attributes(requester, "impersonate", True, resource="users", name=name))
        checks += [
            requestinfo.Attributes(requester, "impersonate", True, resource="groups", name=g) for g in groups
        ]
        if uid:
            checks.append(requestinfo.Attributes(requester, "impersonate", True, resource="uids", name=uid))
        for k, values in extra.items():
            checks += [
                requestinfo.Attributes(
                    requester,
                    "impersonate",
                    True,
                    api_group="authentication.k8s.io",
                    resource="userextras",
                    subresource=k,
                    name=v,
                )
                for v in values
            ]
        for check in checks:
            if not self.authorizer.authorize(check).allowed:
                raise ApiError(requestinfo.forbidden_status(check))
        if name != u.ANONYMOUS and u.AUTHENTICATED not in groups:
            groups = (*groups, u.AUTHENTICATED)
        return u.UserInfo(name, uid=uid, groups=groups, extra=extra)

    # -- authorization ------------------------------------------------------------------
    def authorize(
        self, user: u.UserInfo, method: str, path: str, query: Mapping[str, str], *, websocket: bool = False
    ) -> None:
        """A 403 ``ApiError`` with upstream's message when RBAC does not allow the request."""
        if user.privileged:
            return
        attrs = requestinfo.resolve(user, method, path, query, websocket=websocket)
        decision = self.authorizer.authorize(attrs)
        if not decision.allowed:
            raise ApiError(requestinfo.forbidden_status(attrs, decision.reason))

    def check(
        self, headers: Headers, method: str, path: str, query: Mapping[str, str], *, websocket: bool = False
    ) -> u.UserInfo:
        """Authenticate, impersonate, authorize: the user the request acts as."""
        user = self.impersonate(self.authenticate(headers), headers)
        self.authorize(user, method, path, query, websocket=websocket)
        return user
