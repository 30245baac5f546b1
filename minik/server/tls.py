"""The control plane's self-signed TLS certificate.

Real kubectl refuses to send a bearer token to a plain-http server, so the
API is served over HTTPS with a certificate made once per state directory
(EC P-256, SAN 127.0.0.1 and localhost). The kubeconfig carries it as
``certificate-authority-data``; the minik CLI pins it from ``tls.crt``; pods
find it as ``ca.crt`` (the ``kube-root-ca.crt`` ConfigMap).

Pods reach the API at the instance network's gateway and at the
``kubernetes`` Service's address, by the names ``kubernetes``,
``kubernetes.default``, ``kubernetes.default.svc`` and
``kubernetes.default.svc.cluster.local``: that listener serves a second
certificate (``tls-pods.crt``, :func:`ensure_pod_certificate`), made for
those addresses and names and made again when the network's addresses
change, so the loopback certificate every kubeconfig trusts never changes.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from minik import paths

LOOPBACK_NAMES = ("localhost",)
LOOPBACK_IPS = ("127.0.0.1",)
SERVICE_NAMES = (
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)
"""The names the ``kubernetes`` Service has in a pod (the API server's certificate carries them)."""

_IP = ipaddress.IPv4Address | ipaddress.IPv6Address


def _sans(cert: x509.Certificate) -> tuple[set[str], set[_IP]]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set(), set()
    ips = {
        ip
        for ip in ext.get_values_for_type(x509.IPAddress)
        if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address)
    }
    return set(ext.get_values_for_type(x509.DNSName)), ips


def _build(key: ec.EllipticCurvePrivateKey, names: set[str], ips: set[_IP]) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "minik")])
    now = dt.datetime.now(dt.UTC)
    general: list[x509.GeneralName] = [x509.DNSName(n) for n in sorted(names)]
    general += [x509.IPAddress(ip) for ip in sorted(ips, key=str)]
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(general), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def _ensure(
    cert_path: Path, key_path: Path, names: set[str], ips: set[_IP], *, resign: bool
) -> tuple[Path, Path]:
    paths.refuse_link(cert_path)
    paths.refuse_link(key_path)
    key: ec.EllipticCurvePrivateKey | None = None
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(paths.read_bytes(cert_path))
        have_names, have_ips = _sans(cert)
        if names <= have_names and ips <= have_ips:
            return cert_path, key_path
        loaded = serialization.load_pem_private_key(paths.read_bytes(key_path), password=None)
        if resign and isinstance(loaded, ec.EllipticCurvePrivateKey):
            key = loaded
    fresh = key is None
    key = key or ec.generate_private_key(ec.SECP256R1())
    cert = _build(key, names, ips)
    # Each file is written whole to a fresh 0600 temporary file and renamed into place, the
    # key first: a crash leaves either no certificate (made afresh next time) or both files.
    if fresh:
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        paths.write_private(key_path, pem)
    paths.write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def ensure_certificate() -> tuple[Path, Path]:
    """The loopback certificate (cert, key), made on first use (both 0600, written atomically);
    it never changes after, so every kubeconfig written for it keeps working."""
    want_ips: set[_IP] = {ipaddress.ip_address(a) for a in LOOPBACK_IPS}
    return _ensure(paths.tls_cert_file(), paths.tls_key_file(), set(LOOPBACK_NAMES), want_ips, resign=False)


def ensure_pod_certificate(*, ips: Iterable[str]) -> tuple[Path, Path]:
    """The certificate pods see (cert, key): valid for ``ips`` (the gateway, the ``kubernetes``
    Service's address) and the Service's names; signed again (same key) when the network's
    addresses changed. It is the ``ca.crt`` of every pod's token volume."""
    want_ips: set[_IP] = {ipaddress.ip_address(a) for a in ips}
    return _ensure(
        paths.home() / "tls-pods.crt",
        paths.home() / "tls-pods.key",
        set(SERVICE_NAMES),
        want_ips,
        resign=True,
    )
