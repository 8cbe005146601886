"""Spare certificates: ECDSA P-256 certificates made before the page asks for one.

In a browser, RTCPeerConnection.generateCertificate is in-process work (0.4 ms in
Chromium); through the bridge it was a round trip and more (2.8 ms). So each session
makes a spare as it opens and sends the page its fingerprint (Session event
spareCertificate); the page's generateCertificate for ECDSA P-256 resolves with it at
once and tells the server, which keeps it under the page's handle and makes the next
(Session.takeSpareCertificate). A spare is taken once: every certificate has a key of
its own.

A certificate's `expires` is the page's: the call's time plus the lifetime asked for
(webrtc-pc, generateCertificate), which only the page knows. The spare's X.509 notAfter
is a year after it was made, the longest lifetime a page may ask for, so it is never
earlier than that `expires` (remote peers do not read it: DTLS in WebRTC checks the
fingerprint, not the dates).
"""

from __future__ import annotations

import secrets
from typing import Any

from .dispatchers.certificate import MAX_LIFETIME_MS, BridgeCertificate, generate
from .errors import InvalidStateError

SPARE_ALGORITHM: dict[str, Any] = {"name": "ECDSA", "namedCurve": "P-256", "expires": MAX_LIFETIME_MS}


class SpareCertificates:
    """One session's spares, by the id the page names them with."""

    def __init__(self) -> None:
        self._spares: dict[str, BridgeCertificate] = {}

    def __len__(self) -> int:
        return len(self._spares)

    def make(self) -> tuple[str, BridgeCertificate]:
        spare = secrets.token_urlsafe(12)
        self._spares[spare] = generate(SPARE_ALGORITHM)
        return spare, self._spares[spare]

    def take(self, spare: str) -> BridgeCertificate:
        """The spare called `spare`, no longer spare; InvalidStateError if there is none
        (never made, or taken already)."""
        certificate = self._spares.pop(spare, None)
        if certificate is None:
            raise InvalidStateError(f"there is no spare certificate {spare!r}")
        return certificate


def expires_within(certificate: BridgeCertificate, expires_ms: float) -> float:
    """The page's `expires` for a spare it took, at most the spare's X.509 notAfter."""
    return min(expires_ms, certificate.expires.timestamp() * 1000)
