"""RTCCertificate: a DTLS key and certificate the page generated, owned by its session.

A certificate outlives the peer connections that use it (the page may hand it to several),
so it belongs to the session and goes when the session does.

aiortc has no way to pass a certificate in: every RTCPeerConnection generates its own
ECDSA one in its constructor and keeps it in a private list, read each time it creates a
DTLS transport. `aiortc_seams.use_certificate` swaps that list right after construction,
before any transport exists (and fails loudly should aiortc keep it elsewhere);
PeerConnectionDispatcher keeps the certificate it returns (the page's, or the ECDSA one
aiortc made). aiortc also offers only ECDSA cipher suites; `BridgeCertificate` adds the RSA
ones. A plain aiortc peer (ECDSA suites only) still cannot reach an RSA certificate acting
as the DTLS server.
"""

from __future__ import annotations

import datetime
import os
import secrets
import string
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from aiortc.rtcdtlstransport import RTCCertificate, certificate_digest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..aiortc_seams import CipherListCertificate, certificate_x509
from ..dispatcher import Dispatcher
from ..errors import BridgeTypeError, InvalidAccessError, NotSupportedError

if TYPE_CHECKING:
    from ..session import Session

MS_PER_DAY = 24 * 3600 * 1000
# Chromium's lifetimes: 30 days unless the page asks, at most a year.
DEFAULT_LIFETIME_MS = 30 * MS_PER_DAY
MAX_LIFETIME_MS = 365 * MS_PER_DAY
# Chromium's (WebRTC's rtc::KeyParams) bounds for RSA keys.
RSA_MODULUS_BITS = range(1024, 8192 + 1)
RSA_PUBLIC_EXPONENT = 65537
# aiortc offers ECDSA suites only; an RSA certificate (ours, or a browser's when it is the
# DTLS server) needs the RSA ones, which browsers offer too.
CIPHERS = b":".join(
    f"ECDHE-{kind}-{suite}".encode()
    for kind in ("ECDSA", "RSA")
    for suite in ("AES128-GCM-SHA256", "CHACHA20-POLY1305", "AES128-SHA", "AES256-SHA")
)
# RSA key generation (an 8192-bit key: seconds) runs off the event loop on threads of its
# own: on asyncio's default pool, which the rest of the server shares, a page queueing
# many would starve every session. SessionDispatcher also limits each session's share.
KEY_GENERATION = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="rtcshim-keygen")

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
# WebCrypto matches algorithm names ASCII-case-insensitively; str.upper() would also fold
# the long s (U+017F) to 'S' and take 'ecd\u017fa' for ECDSA.
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


class BridgeCertificate(CipherListCertificate):
    """aiortc's certificate holding our key, which may be RSA; offers RSA suites too."""

    CIPHERS = CIPHERS

    def __init__(self, key: PrivateKey, cert: x509.Certificate) -> None:
        super().__init__(key, cert)  # type: ignore[arg-type]  # aiortc annotates EC keys only

    def sha256_fingerprint(self) -> str:
        return certificate_digest(certificate_x509(self), "sha-256")


def generate(algorithm: dict[str, Any], now: datetime.datetime | None = None) -> BridgeCertificate:
    """A self-signed certificate for `algorithm` (the page's KeygenAlgorithm, shape checked)."""
    lifetime_ms = algorithm.get("expires")
    if lifetime_ms is None:
        lifetime_ms = DEFAULT_LIFETIME_MS
    elif lifetime_ms < 0:
        raise BridgeTypeError("The value for 'expires' is outside the valid range.")
    key = _generate_key(algorithm)
    now = now or datetime.datetime.now(tz=datetime.UTC)
    # X.509 times have whole seconds; Chromium rounds the same way.
    not_after = now + datetime.timedelta(milliseconds=min(lifetime_ms, MAX_LIFETIME_MS))
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, secrets.token_hex(16))])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(not_after.replace(microsecond=0))
        .sign(key, hashes.SHA256())
    )
    return BridgeCertificate(key, cert)


def generates_quickly(algorithm: dict[str, Any]) -> bool:
    """Whether `generate` takes a fraction of a millisecond (ECDSA P-256: a key and a
    signature, 0.3 ms here), so that the event loop may run it: RSA searches for primes,
    for up to seconds, on the key threads."""
    return bool(algorithm["name"].translate(_ASCII_UPPER) == "ECDSA")


def _generate_key(algorithm: dict[str, Any]) -> PrivateKey:
    unsupported = NotSupportedError(
        "The AlgorithmIdentifier names a supported algorithm, but its parameters are not supported.")
    name = algorithm["name"].translate(_ASCII_UPPER)
    if name == "ECDSA":
        if algorithm.get("namedCurve") != "P-256":
            raise unsupported
        return ec.generate_private_key(ec.SECP256R1())
    if name == "RSASSA-PKCS1-V1_5":
        exponent = int.from_bytes(bytes(algorithm.get("publicExponent") or []), "big")
        if (algorithm.get("modulusLength") not in RSA_MODULUS_BITS or exponent != RSA_PUBLIC_EXPONENT
                or str(algorithm.get("hash")).translate(_ASCII_UPPER) != "SHA-256"):
            raise unsupported
        return rsa.generate_private_key(public_exponent=exponent, key_size=algorithm["modulusLength"])
    raise NotSupportedError(f"Algorithm: unrecognized name {algorithm['name']!r}")


def page_fingerprints(certificate: BridgeCertificate) -> list[dict[str, str]]:
    """RTCCertificate.getFingerprints(): sha-256 in lower case, as Chromium gives them."""
    return [{"algorithm": "sha-256", "value": certificate.sha256_fingerprint().lower()}]


def dtls_fingerprints(certificate: RTCCertificate) -> list[dict[str, str]]:
    """Every fingerprint a peer connection using `certificate` shows in its SDP."""
    return [{"algorithm": f.algorithm, "value": f.value} for f in certificate.getFingerprints()]


class CertificateDispatcher(Dispatcher):
    interface = "Certificate"

    def __init__(
        self, session: Session, guid: str, parent: Dispatcher, certificate: BridgeCertificate,
        expires_ms: float | None = None,
    ) -> None:
        """`expires_ms`: the page's RTCCertificate.expires when it chose it (a spare
        certificate, see spare_certificates.py); else the certificate's notAfter."""
        super().__init__(session, guid, parent)
        self.certificate = certificate
        self.expires_ms = certificate.expires.timestamp() * 1000 if expires_ms is None else expires_ms

    def initializer(self) -> dict[str, Any]:
        return {"expires": self.expires_ms, "fingerprints": page_fingerprints(self.certificate)}

    def check_unexpired(self) -> None:
        if self.expires_ms <= datetime.datetime.now(tz=datetime.UTC).timestamp() * 1000:
            raise InvalidAccessError("Expired certificate(s).")

