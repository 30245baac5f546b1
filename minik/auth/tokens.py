"""Service-account tokens: signed JWTs with upstream's claims, and their validation.

Owns the signing key (EC P-256, ES256, ``sa.key`` in the state directory,
made with the instance and gone with it), the claims the API server's
TokenRequest puts in a token (``pkg/serviceaccount/claims.go``: ``iss``,
``sub`` = ``system:serviceaccount:<ns>:<name>``, ``aud``, ``exp``, ``iat``,
``nbf``, ``jti`` and ``kubernetes.io`` naming the namespace, the service
account and the pod or secret it is bound to), and the checks every request
makes: signature, issuer, time, audience, then that the service account and
the bound object still exist with the uids the token names (a deleted or
replaced pod's token is refused). Pure apart from the key file; objects are
read through :class:`Getter`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from minik import paths
from minik.auth import user as u

ISSUER = "https://kubernetes.default.svc.cluster.local"
"""The issuer, and the API server's one audience (``--api-audiences`` defaults to the issuer)."""
API_AUDIENCES = (ISSUER,)
DEFAULT_EXPIRATION = 3600
"""TokenRequest's ``expirationSeconds`` default."""
MIN_EXPIRATION = 600
MAX_EXPIRATION = 2**32
WARN_ONLY_EXPIRATION = 3607
"""A pod-bound token asked for exactly this long (what the ServiceAccount admission's volume asks)
for the API's own audience is made valid for :data:`EXTENDED_EXPIRATION` instead, with a
``warnafter`` claim at this time: the API server's ``--service-account-extend-token-expiration``,
on by default, so that a pod whose client never rereads its token keeps working."""
EXTENDED_EXPIRATION = 365 * 24 * 3600
LEEWAY = 60
"""go-jose's ``DefaultLeeway``: clock skew allowed on ``nbf``/``exp``, and how long a deleted bound
object's tokens stay valid."""


class TokenError(Exception):
    """The token is not a valid service-account token; the message says why (TokenReview shows it)."""


class Getter(Protocol):
    """Reads the objects a token names (``None`` when absent)."""

    def __call__(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None: ...


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Claims:
    """What a valid token says, once its signature and times are checked."""

    namespace: str
    sa_name: str
    sa_uid: str
    audiences: tuple[str, ...]
    expires: int
    jti: str = ""
    pod_name: str = ""
    pod_uid: str = ""
    secret_name: str = ""
    secret_uid: str = ""

    def user(self) -> u.UserInfo:
        """The user this token authenticates as (upstream's ``ServiceAccountInfo.UserInfo``)."""
        extra: dict[str, tuple[str, ...]] = {}
        if self.pod_name:
            extra[u.POD_NAME_KEY] = (self.pod_name,)
            extra[u.POD_UID_KEY] = (self.pod_uid,)
        if self.jti:
            extra[u.CREDENTIAL_ID_KEY] = (f"JTI={self.jti}",)
        return u.UserInfo(
            u.sa_username(self.namespace, self.sa_name),
            uid=self.sa_uid,
            groups=u.sa_groups(self.namespace),
            extra=extra,
        )


class Signer:
    """Issues and verifies tokens with one EC P-256 key."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self._key = key
        self._public = key.public_key()
        der = self._public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.key_id = _b64(hashlib.sha256(der).digest())  # as upstream's keyIDFromPublicKey

    @classmethod
    def generate(cls) -> Signer:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    def encode(self, payload: dict[str, Any]) -> str:
        header = {"alg": "ES256", "kid": self.key_id}
        signing_input = f"{_b64(json.dumps(header, separators=(',', ':')).encode())}.{_b64(json.dumps(payload, separators=(',', ':')).encode())}"
        der = self._key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def decode(self, token: str) -> dict[str, Any] | None:
        """The payload of a token this key signed, or ``None`` when it is not one (not a JWT, another
        signer, a bad signature)."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            header = json.loads(_unb64(parts[0]))
            sig = _unb64(parts[2])
            if not isinstance(header, dict) or header.get("alg") != "ES256" or len(sig) != 64:
                return None
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
            self._public.verify(der, f"{parts[0]}.{parts[1]}".encode(), ec.ECDSA(hashes.SHA256()))
            payload = json.loads(_unb64(parts[1]))
        except (ValueError, InvalidSignature, UnicodeDecodeError):
            return None
        return payload if isinstance(payload, dict) else None


def load_signer(path: Path | None = None) -> Signer:
    """The instance's signer, its key made on first use (``sa.key``, mode 0600, written atomically)."""
    path = path or paths.home() / "sa.key"
    paths.refuse_link(path)
    if path.exists():
        key = serialization.load_pem_private_key(paths.read_bytes(path), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return Signer(key)
    signer = Signer.generate()
    pem = signer._key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    paths.write_private(path, pem)
    return signer


def claims_payload(
    *,
    sa: dict[str, Any],
    bound: tuple[str, dict[str, Any]] | None,
    audiences: Sequence[str],
    expiration: int,
    now: datetime,
) -> dict[str, Any]:
    """The JWT payload of a token for ``sa`` (optionally bound to a ``("Pod"|"Secret", obj)``)."""
    m = sa.get("metadata") or {}
    issued = int(now.timestamp())
    warn_after = 0
    pod_bound = bound is not None and bound[0] == "Pod"
    if pod_bound and expiration == WARN_ONLY_EXPIRATION and set(audiences) <= set(API_AUDIENCES):
        warn_after, expiration = issued + expiration, EXTENDED_EXPIRATION
    k8s: dict[str, Any] = {
        "namespace": m.get("namespace", ""),
        "serviceaccount": {"name": m.get("name", ""), "uid": m.get("uid", "")},
    }
    if bound is not None:
        kind, obj = bound
        bm = obj.get("metadata") or {}
        k8s["pod" if kind == "Pod" else "secret"] = {"name": bm.get("name", ""), "uid": bm.get("uid", "")}
    if warn_after:
        k8s["warnafter"] = warn_after
    return {
        "aud": list(audiences),
        "exp": issued + expiration,
        "iat": issued,
        "iss": ISSUER,
        "jti": str(uuid.uuid4()),
        "kubernetes.io": k8s,
        "nbf": issued,
        "sub": u.sa_username(m.get("namespace", ""), m.get("name", "")),
    }


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _ref(value: Any) -> tuple[str, str]:
    if not isinstance(value, dict):
        return "", ""
    return _str(value.get("name")), _str(value.get("uid"))


def parse_claims(payload: dict[str, Any], *, now: datetime, audiences: Sequence[str]) -> Claims:
    """Check issuer, times and audience of a verified payload (``TokenError`` says which failed)."""
    if payload.get("iss") != ISSUER:
        raise TokenError("invalid bearer token, token issuer is not trusted")
    t = now.timestamp()
    exp, nbf = payload.get("exp"), payload.get("nbf")
    if not isinstance(exp, int) or t > exp + LEEWAY:
        raise TokenError("service account token has expired")
    if isinstance(nbf, int) and t < nbf - LEEWAY:
        raise TokenError("service account token is not valid yet")
    aud = payload.get("aud")
    token_aud = tuple(a for a in ([aud] if isinstance(aud, str) else aud or []) if isinstance(a, str))
    if audiences and not set(token_aud) & set(audiences):
        raise TokenError(
            f"token audiences {list(token_aud)!r} is invalid for the target audiences {list(audiences)!r}"
        )
    k8s = payload.get("kubernetes.io")
    if not isinstance(k8s, dict):
        raise TokenError("invalid bearer token, the token has no kubernetes.io claims")
    sa_name, sa_uid = _ref(k8s.get("serviceaccount"))
    pod_name, pod_uid = _ref(k8s.get("pod"))
    secret_name, secret_uid = _ref(k8s.get("secret"))
    namespace = _str(k8s.get("namespace"))
    if not namespace or not sa_name or payload.get("sub") != u.sa_username(namespace, sa_name):
        raise TokenError("invalid bearer token, the token's subject does not name its service account")
    return Claims(
        namespace=namespace,
        sa_name=sa_name,
        sa_uid=sa_uid,
        audiences=token_aud,
        expires=exp,
        jti=_str(payload.get("jti")),
        pod_name=pod_name,
        pod_uid=pod_uid,
        secret_name=secret_name,
        secret_uid=secret_uid,
    )


def _deleted_before(obj: dict[str, Any], limit: float) -> bool:
    ts = (obj.get("metadata") or {}).get("deletionTimestamp")
    if not ts:
        return False
    try:
        when = datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
    except ValueError:
        return False
    return when.timestamp() < limit


def _uid(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid", ""))


def check_bound(claims: Claims, get: Getter, *, now: datetime) -> None:
    """The service account and the bound pod or secret still exist with the token's uids
    (upstream's ``validator.Validate``); ``TokenError`` with upstream's message otherwise."""
    limit = now.timestamp() - LEEWAY
    ns = claims.namespace
    sa = get("serviceaccounts", ns, claims.sa_name)
    if sa is None:
        raise TokenError(f'serviceaccounts "{claims.sa_name}" not found')
    if _deleted_before(sa, limit):
        raise TokenError(f"service account {ns}/{claims.sa_name} has been deleted")
    if _uid(sa) != claims.sa_uid:
        raise TokenError(f"service account UID ({_uid(sa)}) does not match claim ({claims.sa_uid})")
    if claims.secret_name:
        secret = get("secrets", ns, claims.secret_name)
        if secret is None or _deleted_before(secret, limit):
            raise TokenError("service account token has been invalidated")
        if _uid(secret) != claims.secret_uid:
            raise TokenError(
                f"secret UID ({_uid(secret)}) does not match service account secret ref claim ({claims.secret_uid})"
            )
    if claims.pod_name:
        pod = get("pods", ns, claims.pod_name)
        if pod is None or _deleted_before(pod, limit):
            raise TokenError("service account token has been invalidated")
        if _uid(pod) != claims.pod_uid:
            raise TokenError(
                f"pod UID ({_uid(pod)}) does not match service account pod ref claim ({claims.pod_uid})"
            )


def authenticate(
    signer: Signer, token: str, get: Getter, *, now: datetime, audiences: Sequence[str] = API_AUDIENCES
) -> Claims | None:
    """The claims of a valid service-account token; ``None`` when the token is not one of ours
    (not a JWT this key signed); ``TokenError`` when it is ours but no longer valid."""
    payload = signer.decode(token)
    if payload is None:
        return None
    claims = parse_claims(payload, now=now, audiences=audiences)
    check_bound(claims, get, now=now)
    return claims


def utcnow() -> datetime:
    return datetime.now(UTC)


Clock = Callable[[], datetime]
