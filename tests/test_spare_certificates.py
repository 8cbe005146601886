"""Spare certificates: made ahead, each taken once, under the page's handle and expires."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiortc.rtcdtlstransport import certificate_digest

from rtcshim.dispatchers.certificate import MAX_LIFETIME_MS, CertificateDispatcher
from rtcshim.errors import InvalidStateError
from rtcshim.serving import ServerThread
from rtcshim.spare_certificates import SpareCertificates, expires_within

from .fake_page import CONFIGURATION, FakePage, connect_bridge, new_handle

DAY_MS = 24 * 3600 * 1000


@pytest.fixture
def page(server: ServerThread) -> Iterator[FakePage]:
    with connect_bridge(server.url) as websocket:
        yield FakePage(websocket)


def test_make_gives_distinct_keys_valid_for_a_year() -> None:
    spares = SpareCertificates()
    made = [spares.make() for _ in range(3)]
    assert len({spare for spare, _ in made}) == len(spares) == 3
    assert len({certificate.sha256_fingerprint() for _, certificate in made}) == 3
    now_ms = time.time() * 1000
    for _, certificate in made:
        assert now_ms + MAX_LIFETIME_MS - 2000 <= certificate.expires.timestamp() * 1000 <= now_ms + MAX_LIFETIME_MS


def test_take_gives_each_spare_once() -> None:
    spares = SpareCertificates()
    spare, certificate = spares.make()
    assert spares.take(spare) is certificate
    assert len(spares) == 0
    with pytest.raises(InvalidStateError, match="no spare certificate"):
        spares.take(spare)


def test_take_unknown_spare_is_invalid_state() -> None:
    with pytest.raises(InvalidStateError, match="no spare certificate 'never made'"):
        SpareCertificates().take("never made")


def test_expires_within_keeps_the_pages_expires_up_to_not_after() -> None:
    _, certificate = SpareCertificates().make()
    not_after_ms = certificate.expires.timestamp() * 1000
    assert expires_within(certificate, 1234.0) == 1234.0
    assert expires_within(certificate, not_after_ms + DAY_MS) == not_after_ms


def take_spare(page: FakePage, spare: dict[str, Any], expires: float) -> tuple[str, dict[str, Any]]:
    guid = new_handle("Certificate")
    reply = page.call("Session", "takeSpareCertificate",
                      {"spare": spare["params"]["spare"], "certificate": guid, "expires": expires})
    return guid, reply


def test_a_session_offers_a_spare_after_hello(page: FakePage, server: ServerThread) -> None:
    assert page.spare_certificate["event"] == "spareCertificate"
    session = server.registry.sessions[page.hello["params"]["session"]]
    ((spare, certificate),) = session.root.spare_certificates._spares.items()
    assert page.spare_certificate["params"] == {"spare": spare, "fingerprints": [
        {"algorithm": "sha-256", "value": certificate_digest(certificate._cert, "sha-256").lower()}]}


def test_take_spare_keeps_it_under_the_pages_handle_and_offers_the_next_before_the_reply(
    page: FakePage, server: ServerThread
) -> None:
    expires = time.time() * 1000 + DAY_MS
    guid, reply = take_spare(page, page.spare_certificate, expires)
    assert reply["result"] == {}
    *_, next_spare, last = page.received
    assert (next_spare["event"], last) == ("spareCertificate", reply)
    assert next_spare["params"]["fingerprints"] != page.spare_certificate["params"]["fingerprints"]
    (dispatcher,) = [o for o in server.registry.objects() if isinstance(o, CertificateDispatcher)]
    assert (dispatcher.guid, dispatcher.expires_ms) == (guid, expires)
    # The page's certificate is the one its peer connection's DTLS presents.
    pc = new_handle("PeerConnection")
    created = page.call("Session", "createPeerConnection",
                        {"peerConnection": pc, "configuration": {**CONFIGURATION, "certificates": [guid]}})
    (spare_fingerprint,) = page.spare_certificate["params"]["fingerprints"]
    assert created["result"]["fingerprints"][0]["value"].lower() == spare_fingerprint["value"]


def test_take_spare_twice_is_invalid_state(page: FakePage) -> None:
    take_spare(page, page.spare_certificate, time.time() * 1000 + DAY_MS)
    _, reply = take_spare(page, page.spare_certificate, time.time() * 1000 + DAY_MS)
    assert reply["error"]["name"] == "InvalidStateError"


def test_a_spare_taken_expired_is_refused_by_create_peer_connection(page: FakePage) -> None:
    guid, _ = take_spare(page, page.spare_certificate, time.time() * 1000 - 1000)
    reply = page.call("Session", "createPeerConnection", {
        "peerConnection": new_handle("PeerConnection"), "configuration": {**CONFIGURATION, "certificates": [guid]}})
    assert reply["error"] == {"name": "InvalidAccessError", "message": "Expired certificate(s)."}
