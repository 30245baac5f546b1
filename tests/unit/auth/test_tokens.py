"""Service-account tokens: what is signed, and every reason a token stops being valid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from minik.auth import tokens
from minik.auth.tokens import Signer, TokenError

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
SA = {"metadata": {"name": "robot", "namespace": "team", "uid": "sa-1"}}
POD = {"metadata": {"name": "p", "namespace": "team", "uid": "pod-1"}}
SECRET = {"metadata": {"name": "s", "namespace": "team", "uid": "sec-1"}}
SIGNER = Signer.generate()


def world(**objs: dict[str, Any] | None) -> tokens.Getter:
    table = {("serviceaccounts", "robot"): SA, ("pods", "p"): POD, ("secrets", "s"): SECRET}
    for key, value in objs.items():
        resource, name = key.split("_")
        table[(resource, name)] = value  # type: ignore[assignment]

    def get(resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        return table.get((resource, name)) if namespace == "team" else None

    return get


def issue(
    bound: tuple[str, dict[str, Any]] | None = None, *, expiration: int = 3600, aud: list[str] | None = None
) -> str:
    payload = tokens.claims_payload(
        sa=SA, bound=bound, audiences=aud or list(tokens.API_AUDIENCES), expiration=expiration, now=NOW
    )
    return SIGNER.encode(payload)


def test_the_claims_are_upstream_s() -> None:
    payload = SIGNER.decode(issue(("Pod", POD)))
    assert payload is not None
    assert payload["iss"] == "https://kubernetes.default.svc.cluster.local"
    assert payload["sub"] == "system:serviceaccount:team:robot"
    assert payload["aud"] == ["https://kubernetes.default.svc.cluster.local"]
    assert payload["exp"] - payload["iat"] == 3600 and payload["nbf"] == payload["iat"]
    assert payload["kubernetes.io"] == {
        "namespace": "team",
        "serviceaccount": {"name": "robot", "uid": "sa-1"},
        "pod": {"name": "p", "uid": "pod-1"},
    }


def test_a_valid_pod_bound_token_is_its_service_account_with_the_pod_in_extra() -> None:
    claims = tokens.authenticate(SIGNER, issue(("Pod", POD)), world(), now=NOW + timedelta(minutes=5))
    assert claims is not None
    user = claims.user()
    assert user.name == "system:serviceaccount:team:robot" and user.uid == "sa-1"
    assert user.groups == ("system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated")
    assert user.extra["authentication.kubernetes.io/pod-name"] == ("p",)
    assert user.extra["authentication.kubernetes.io/pod-uid"] == ("pod-1",)


DELETING = {"metadata": {**POD["metadata"], "deletionTimestamp": "2026-01-01T11:00:00Z"}}
CASES = [
    ("expired", issue(expiration=600), world(), NOW + timedelta(minutes=12), "service account token has expired"),
    ("the service account was deleted", issue(), world(serviceaccounts_robot=None), NOW,
     'serviceaccounts "robot" not found'),
    ("the service account was recreated", issue(),
     world(serviceaccounts_robot={"metadata": {"name": "robot", "uid": "sa-2"}}), NOW,
     "service account UID (sa-2) does not match claim (sa-1)"),
    ("the bound pod was deleted", issue(("Pod", POD)), world(pods_p=None), NOW,
     "service account token has been invalidated"),
    ("the bound pod is being deleted (for longer than the leeway)", issue(("Pod", POD)), world(pods_p=DELETING), NOW,
     "service account token has been invalidated"),
    ("a pod of the same name replaced the bound one", issue(("Pod", POD)),
     world(pods_p={"metadata": {"name": "p", "uid": "pod-2"}}), NOW,
     "pod UID (pod-2) does not match service account pod ref claim (pod-1)"),
    ("the bound secret was deleted", issue(("Secret", SECRET)), world(secrets_s=None), NOW,
     "service account token has been invalidated"),
    ("another audience", issue(aud=["vault"]), world(), NOW, "is invalid for the target audiences"),
]  # fmt: skip


@pytest.mark.parametrize(("token", "get", "now", "why"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_token_is_refused_when(token: str, get: tokens.Getter, now: datetime, why: str) -> None:
    with pytest.raises(TokenError, match=why.replace("(", r"\(").replace(")", r"\)")):
        tokens.authenticate(SIGNER, token, get, now=now)


def test_a_token_asked_for_another_audience_is_valid_for_it() -> None:
    assert (
        tokens.authenticate(SIGNER, issue(aud=["vault"]), world(), now=NOW, audiences=["vault"]) is not None
    )


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        "a.b.c",
        Signer.generate().encode({"iss": tokens.ISSUER}),  # another instance's key
        issue()[:-4] + "AAAA",  # a forged signature
    ],
)
def test_a_token_this_instance_did_not_sign_is_not_ours(token: str) -> None:
    assert tokens.authenticate(SIGNER, token, world(), now=NOW) is None


def test_the_key_is_made_once_and_kept(tmp_path: Any) -> None:
    path = tmp_path / "sa.key"
    first = tokens.load_signer(path)
    assert (path.stat().st_mode & 0o777) == 0o600
    second = tokens.load_signer(path)
    assert second.key_id == first.key_id
    assert second.decode(first.encode({"x": 1})) == {"x": 1}


def test_a_pod_bound_token_asked_for_3607_s_is_extended_to_a_year_with_a_warning_time() -> None:
    payload = SIGNER.decode(issue(("Pod", POD), expiration=3607))
    assert payload is not None
    assert payload["exp"] - payload["iat"] == 365 * 24 * 3600
    assert payload["kubernetes.io"]["warnafter"] == payload["iat"] + 3607
    later = NOW + timedelta(hours=2)
    assert tokens.authenticate(SIGNER, issue(("Pod", POD), expiration=3607), world(), now=later) is not None


@pytest.mark.parametrize(
    ("bound", "expiration", "aud"),
    [
        (None, 3607, None),
        (("Pod", POD), 3600, None),
        (("Pod", POD), 3607, ["vault"]),
        (("Secret", SECRET), 3607, None),
    ],
    ids=["not bound", "another lifetime", "another audience", "bound to a secret"],
)
def test_only_that_token_is_extended(bound: Any, expiration: int, aud: list[str] | None) -> None:
    payload = SIGNER.decode(issue(bound, expiration=expiration, aud=aud))
    assert payload is not None
    assert payload["exp"] - payload["iat"] == expiration and "warnafter" not in payload["kubernetes.io"]
