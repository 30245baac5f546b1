"""The control plane's self-signed TLS certificate.

Real kubectl refuses to send a bearer token to a plain-http server, so the
API is served over HTTPS on 127.0.0.1 with a certificate made once per state
directory (EC P-256, SAN 127.0.0.1 and localhost). The kubeconfig carries it
as ``certificate-authority-data``; the minik CLI pins it from ``tls.crt``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from minik import paths


def ensure_certificate() -> tuple[Path, Path]:
    """Return (cert, key) paths, creating them on first use (both mode 0600, written atomically)."""
    cert_path, key_path = paths.tls_cert_file(), paths.tls_key_file()
    paths.refuse_link(cert_path)
    paths.refuse_link(key_path)
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "minik")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    # Each file is written whole to a fresh 0600 temporary file and renamed into place, the
    # key first: a crash leaves either no certificate (made afresh next time) or both files.
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    paths.write_private(key_path, pem)
    paths.write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
