"""RTCPeerConnection.generateCertificate and `certificates` in the configuration, through the
real bridge: the page's certificate is the one DTLS presents to the remote peer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiortc.rtcdtlstransport import certificate_digest
from playwright.sync_api import Page

from rtcshim.dispatchers.certificate import CertificateDispatcher
from rtcshim.dispatchers.peer_connection import PeerConnectionDispatcher
from rtcshim.registry import Called, Traffic
from rtcshim.serving import ServerThread

from .aiortc_peers import (
    AiortcPeer,
    accept_answer,
    close_aiortc,
    create_aiortc_peer,
    offer_with_channel,
    wait_channel_open,
)

ECDSA = "{ name: 'ECDSA', namedCurve: 'P-256' }"
RSA = "{ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }"
DAY_MS = 24 * 3600 * 1000

# Each scenario runs in a shimmed and a native page; it returns the name of the error the
# call raised or rejected with, or "no error".
ERROR_SCENARIOS = """async () => {
  const errorName = async (attempt) => {
    try { await attempt(); return 'no error'; } catch (error) { return error.name; }
  };
  const generate = (algorithm) => () => RTCPeerConnection.generateCertificate(algorithm);
  const rsa = (changes) => generate({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256', ...changes });
  const ecdsa = () => RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' });
  const withCertificate = async () => new RTCPeerConnection({ certificates: [await ecdsa()] });
  const scenarios = {
    ecdsaP384: generate({ name: 'ECDSA', namedCurve: 'P-384' }),
    ecdsaWithoutCurve: generate({ name: 'ECDSA' }),
    algorithmAsString: generate('ECDSA'),
    unknownAlgorithm: generate({ name: 'nope' }),
    // Names match ASCII-case-insensitively: U+017F (long s) upper-cases to S, yet is no s.
    longSName: generate({ name: 'ecd\\u017fa', namedCurve: 'P-256' }),
    longSHash: rsa({ hash: '\\u017fha-256' }),
    rsa512: rsa({ modulusLength: 512 }),
    rsa16384: rsa({ modulusLength: 16384 }),
    rsaExponent3: rsa({ publicExponent: new Uint8Array([3]) }),
    rsaSha1: rsa({ hash: 'SHA-1' }),
    rsaWithoutHash: rsa({ hash: undefined }),
    rsaWithoutExponent: rsa({ publicExponent: undefined }),
    negativeExpires: generate({ name: 'ECDSA', namedCurve: 'P-256', expires: -1 }),
    notACertificate: () => new RTCPeerConnection({ certificates: [{}] }),
    expiredCertificate: async () => {
      const certificate = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256', expires: 0 });
      return new RTCPeerConnection({ certificates: [certificate] });
    },
    setOtherCertificate: async () => (await withCertificate()).setConfiguration({ certificates: [await ecdsa()] }),
    setNoCertificate: async () => (await withCertificate()).setConfiguration({}),
    setCertificateWithoutOne: async () => new RTCPeerConnection().setConfiguration({ certificates: [await ecdsa()] }),
  };
  const names = {};
  for (const [name, attempt] of Object.entries(scenarios)) {
    names[name] = await errorName(attempt);
  }
  return names;
}"""



@pytest.fixture
def aiortc_peer(server: ServerThread) -> Iterator[AiortcPeer]:
    peer = server.run(create_aiortc_peer())
    yield peer
    server.run(close_aiortc(peer))


def server_certificates(server: ServerThread) -> list[CertificateDispatcher]:
    return [o for o in server.registry.objects() if isinstance(o, CertificateDispatcher)]


def test_generate_certificate_errors_match_native_chromium(shim_page: Page, native_page: Page) -> None:
    native = native_page.evaluate(ERROR_SCENARIOS)
    shim = shim_page.evaluate(ERROR_SCENARIOS)
    assert "no error" not in native.values()  # every scenario is a bad call
    assert shim == native
    assert (shim["longSName"], shim["longSHash"]) == ("NotSupportedError", "NotSupportedError")


def test_certificate_surface_matches_native_chromium(shim_page: Page, native_page: Page) -> None:
    surface = """async () => {
      const certificate = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' });
      const [fingerprint] = certificate.getFingerprints();
      let constructed;
      try { new RTCCertificate(); constructed = 'no error'; } catch (error) { constructed = error.name; }
      return {
        prototype: Object.keys(RTCCertificate.prototype).sort(),
        tag: Object.prototype.toString.call(certificate),
        staticLength: RTCPeerConnection.generateCertificate.length,
        fingerprints: certificate.getFingerprints().length,
        fingerprintKeys: Object.keys(fingerprint),
        algorithm: fingerprint.algorithm,
        value: /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/.test(fingerprint.value),
        expiresIsInteger: Number.isInteger(certificate.expires),
        constructed,
      };
    }"""
    assert shim_page.evaluate(surface) == native_page.evaluate(surface)


@pytest.mark.parametrize("algorithm", [ECDSA, RSA])
def test_generate_certificate_gives_the_server_certificate(shim_page: Page, server: ServerThread, algorithm: str) -> None:
    generated = shim_page.evaluate(f"""async () => {{
      const before = Date.now();
      const certificate = await RTCPeerConnection.generateCertificate({algorithm});
      const after = Date.now();
      await navigator.mediaDevices.enumerateDevices(); // a spare taken: the server has heard
      return {{ before, after, expires: certificate.expires, fingerprints: certificate.getFingerprints() }};
    }}""")
    (dispatcher,) = server_certificates(server)
    digest = certificate_digest(dispatcher.certificate._cert, "sha-256").lower()
    assert generated["fingerprints"] == [{"algorithm": "sha-256", "value": digest}]
    # 30 days, in whole seconds.
    assert generated["before"] + 30 * DAY_MS - 1000 <= generated["expires"] <= generated["after"] + 30 * DAY_MS
    assert generated["expires"] == dispatcher.expires_ms


def test_expires_is_the_lifetime_asked_for_at_most_a_year(shim_page: Page) -> None:
    lifetimes = shim_page.evaluate("""async () => {
      const lifetime = async (expires) => {
        const before = Date.now();
        const certificate = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256', expires });
        return [before, certificate.expires, Date.now()];
      };
      return { hour: await lifetime(3600 * 1000), tooLong: await lifetime(1e15) };
    }""")
    before, expires, after = lifetimes["hour"]
    assert before + 3600 * 1000 - 1000 <= expires <= after + 3600 * 1000
    before, expires, after = lifetimes["tooLong"]
    assert before + 365 * DAY_MS - 1000 <= expires <= after + 365 * DAY_MS


def test_configuration_keeps_the_same_certificate_objects(shim_page: Page) -> None:
    result = shim_page.evaluate(f"""async () => {{
      const certificate = await RTCPeerConnection.generateCertificate({ECDSA});
      const pc = new RTCPeerConnection({{ certificates: [certificate] }});
      pc.setConfiguration({{ certificates: [certificate] }});
      const [kept] = pc.getConfiguration().certificates;
      return {{ same: kept === certificate, plain: new RTCPeerConnection().getConfiguration().certificates }};
    }}""")
    assert result == {"same": True, "plain": []}


def test_ecdsa_certificates_from_spares_are_fresh_honour_expires_and_connect(
    shim_page: Page, server: ServerThread
) -> None:
    """ECDSA P-256 resolves with the spare the server made ahead (server/spare_certificates.py):
    no generateCertificate call reaches the server, yet each certificate has a key of its own,
    expires counted from the call, and is the one its peer connection's DTLS presents."""
    session_calls: list[str] = []

    def note_session_call(record: Traffic) -> None:
        if isinstance(record, Called) and record.target.guid == "Session":
            session_calls.append(record.method)

    stop_watching = server.registry.watch_traffic(note_session_call)
    made = shim_page.evaluate(f"""async () => {{
      const made = [];
      for (const expires of [undefined, 3600 * 1000, 1e15, 0]) {{
        await roundTrip(); // the spare offered after the last one was taken has arrived
        const before = Date.now();
        const certificate = await RTCPeerConnection.generateCertificate({{ ...{ECDSA}, expires }});
        made.push({{ certificate, before, after: Date.now() }});
      }}
      const [a, b] = made.slice(0, 2).map(({{ certificate }}) => new RTCPeerConnection({{ certificates: [certificate] }}));
      let expired;
      try {{ new RTCPeerConnection({{ certificates: [made[3].certificate] }}); }} catch (error) {{ expired = error.name; }}
      const opened = nextEvent(a.createDataChannel('x'), 'open');
      await trickleNegotiate(a, b);
      await opened;
      await roundTrip();
      return {{ expired, made: made.map(({{ certificate, before, after }}) => ({{
        before, after, expires: certificate.expires, fingerprint: certificate.getFingerprints()[0].value }})) }};
    }}""")
    stop_watching()
    assert "generateCertificate" not in session_calls
    assert session_calls.count("takeSpareCertificate") == 4
    assert len({certificate["fingerprint"] for certificate in made["made"]}) == 4
    for certificate, lifetime in zip(made["made"], [30 * DAY_MS, 3600 * 1000, 365 * DAY_MS, 0], strict=True):
        assert certificate["before"] + lifetime - 1000 <= certificate["expires"] <= certificate["after"] + lifetime
    assert made["expired"] == "InvalidAccessError"
    assert sorted(dispatcher.expires_ms for dispatcher in server_certificates(server)) == sorted(
        certificate["expires"] for certificate in made["made"])
    a, b = (certificate["fingerprint"] for certificate in made["made"][:2])
    assert presented_certificates(server) == {a: b, b: a}


def presented_certificates(server: ServerThread) -> dict[str, str]:
    """Each connected peer connection's certificate -> the one its far end presented in DTLS
    (sha-256 fingerprints)."""
    presented = {}
    for dispatcher in [o for o in server.registry.objects() if isinstance(o, PeerConnectionDispatcher)]:
        sctp = dispatcher.peer_connection.sctp
        assert sctp is not None and sctp.transport.state == "connected"
        peer_certificate: Any = sctp.transport._ssl.get_peer_certificate(as_cryptography=True)
        presented[certificate_digest(dispatcher.certificate._cert, "sha-256").lower()] = certificate_digest(
            peer_certificate, "sha-256").lower()
    return presented


def page_sdp_fingerprints(sdp: str) -> set[str]:
    return {line.split(" ", 1)[1] for line in sdp.splitlines() if line.startswith("a=fingerprint:sha-256 ")}


@pytest.mark.parametrize("algorithm", [ECDSA, RSA])
def test_aiortc_peer_sees_the_page_certificate_in_dtls(
    shim_page: Page, server: ServerThread, aiortc_peer: AiortcPeer, algorithm: str
) -> None:
    # aiortc offers: as the DTLS server it picks an ECDSA suite, which our side offers
    # along with RSA ones (plain aiortc offers no RSA suite to an RSA server).
    offer = server.run(offer_with_channel(aiortc_peer, "dtls"))
    answer_sdp = shim_page.evaluate(f"""async (offer) => {{
      const certificate = window.certificate = await RTCPeerConnection.generateCertificate({algorithm});
      const pc = new RTCPeerConnection({{ certificates: [certificate] }});
      await pc.setRemoteDescription({{ type: 'offer', sdp: offer }});
      await pc.setLocalDescription(await pc.createAnswer());
      return pc.localDescription.sdp;
    }}""", offer)
    fingerprint = shim_page.evaluate("window.certificate.getFingerprints()[0].value").upper()
    assert page_sdp_fingerprints(answer_sdp) == {fingerprint}
    server.run(accept_answer(aiortc_peer.pc, answer_sdp))
    assert server.run(wait_channel_open(aiortc_peer))["connectionState"] == "connected"
    # The certificate the page's side presented in the DTLS handshake.
    assert aiortc_peer.pc.sctp is not None
    presented = aiortc_peer.pc.sctp.transport._ssl.get_peer_certificate(as_cryptography=True)
    assert certificate_digest(presented, "sha-256") == fingerprint


def test_two_shimmed_peers_connect_with_their_certificates(shim_page: Page, server: ServerThread) -> None:
    """An RSA and an ECDSA certificate, one per side; each side's DTLS sees the other's."""
    fingerprints = shim_page.evaluate(f"""async () => {{
      const rsa = await RTCPeerConnection.generateCertificate({RSA});
      const ecdsa = await RTCPeerConnection.generateCertificate({ECDSA});
      const a = window.a = new RTCPeerConnection({{ certificates: [rsa] }});
      const b = window.b = new RTCPeerConnection({{ certificates: [ecdsa] }});
      const opened = nextEvent(a.createDataChannel('x'), 'open');
      await trickleNegotiate(a, b);
      await opened;
      return {{ a: rsa.getFingerprints()[0].value, b: ecdsa.getFingerprints()[0].value }};
    }}""")
    assert presented_certificates(server) == {fingerprints["a"]: fingerprints["b"], fingerprints["b"]: fingerprints["a"]}


def test_certificate_outlives_its_peer_connection_and_goes_with_the_session(
    open_shim_page: Any, server: ServerThread
) -> None:
    page = open_shim_page()
    page.evaluate(f"""async () => {{
      const certificate = await RTCPeerConnection.generateCertificate({ECDSA});
      const first = new RTCPeerConnection({{ certificates: [certificate] }});
      await first.setLocalDescription(await first.createOffer({{ offerToReceiveAudio: true }}));
      first.close();
      const second = new RTCPeerConnection({{ certificates: [certificate] }});
      await second.setLocalDescription(await second.createOffer({{ offerToReceiveAudio: true }}));
      window.sdp = second.localDescription.sdp;
      window.fingerprint = certificate.getFingerprints()[0].value.toUpperCase();
    }}""")
    assert page_sdp_fingerprints(page.evaluate("window.sdp")) == {page.evaluate("window.fingerprint")}
    assert len(server_certificates(server)) == 1
    sessions_closed = threading.Event()
    unsubscribe = server.registry.subscribe(lambda change, subject: (
        sessions_closed.set() if change == "disposed" and not server.registry.sessions else None))
    page.close()
    assert sessions_closed.wait(30)
    unsubscribe()
    assert server_certificates(server) == []


@pytest.mark.parametrize(("where", "outcome"), [
    pytest.param("none", "connected", id="control"),
    pytest.param("before", "connected", id="another certificate's first"),
    pytest.param("after", "failed", id="another certificate's last"),
])
def test_native_chromium_checks_the_last_fingerprint_of_a_remote_section(
        native_page: Page, where: str, outcome: str) -> None:
    """Why an offer carries its first certificate's fingerprints only (docs/conformance/
    beyond-native.md): native Chromium, as the remote, takes a section's last a=fingerprint,
    so a second certificate's written after the one used for DTLS fails the call; aiortc
    fails it wherever it stands (tests/test_dtls_fingerprints.py)."""
    result = native_page.evaluate(f"""async (where) => {{
      const [used, other] = await Promise.all([0, 1].map(() => RTCPeerConnection.generateCertificate({ECDSA})));
      const a = new RTCPeerConnection({{ certificates: [used] }});
      const b = new RTCPeerConnection();
      a.onicecandidate = (event) => {{ if (event.candidate) b.addIceCandidate(event.candidate); }};
      b.onicecandidate = (event) => {{ if (event.candidate) a.addIceCandidate(event.candidate); }};
      a.createDataChannel('x');
      const offer = await a.createOffer();
      await a.setLocalDescription(offer);
      const lines = other.getFingerprints()
        .map((fingerprint) => `a=fingerprint:${{fingerprint.algorithm}} ${{fingerprint.value.toUpperCase()}}`);
      const sdp = offer.sdp.split('\\r\\n').flatMap((line) => !line.startsWith('a=fingerprint:') ? [line]
        : where === 'before' ? [...lines, line] : where === 'after' ? [line, ...lines] : [line]).join('\\r\\n');
      try {{
        await b.setRemoteDescription({{ type: 'offer', sdp }});
      }} catch (error) {{
        return `setRemoteDescription: ${{error.name}}`;
      }}
      await b.setLocalDescription(await b.createAnswer());
      await a.setRemoteDescription(b.localDescription);
      await until(() => ['connected', 'failed'].includes(b.connectionState), 'the DTLS handshake ends');
      const state = b.connectionState;
      a.close();
      b.close();
      return state;
    }}""", where)
    assert result == outcome
