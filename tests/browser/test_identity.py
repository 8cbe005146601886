"""W3C webrtc-identity through the real bridge: two shimmed peers assert and validate
their identities with an IdP proxy running in a worker realm.

The demo IdP (examples/, signing on the rtcshim server) proves the happy path; a mock IdP
served by a second HTTP server on another port (another origin) fails in every way the
spec names, chosen by the query string of its protocol.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from rtcshim.dispatchers.certificate import CertificateDispatcher
from rtcshim.dispatchers.peer_connection import PeerConnectionDispatcher
from rtcshim.serving import ServerThread

from .example_pages import PageProblems, open_example

IDP_DIRECTORY = Path(__file__).parent / "idp"
# What the pages allow an IdP (load plus one call); small so that hanging IdPs time out soon.
IDP_TIMEOUT_MS = 1000
pytestmark = pytest.mark.shim_options(idpTimeout=IDP_TIMEOUT_MS)

# `window.negotiate(a, b)`: a offers, b answers; resolves to what each step gave, and
# records the identity events both fired in `window.identityEvents`.
NEGOTIATE = """() => {
  window.identityEvents = [];
  window.watch = (side, pc) => {
    for (const name of ['identityresult', 'peeridentity', 'idpassertionerror', 'idpvalidationerror']) {
      pc.addEventListener(name, (event) => window.identityEvents.push(
        event instanceof RTCIdentityErrorEvent
          ? { side, type: event.type, idp: event.idp, protocol: event.protocol, loginUrl: event.loginUrl }
          : event instanceof RTCIdentityEvent ? { side, type: event.type, assertion: event.assertion } : { side, type: event.type }));
    }
  };
  window.describe = (error) => ({ name: error.name, errorDetail: error.errorDetail ?? null,
    isRTCError: error instanceof RTCError, message: error.message, httpRequestStatusCode: error.httpRequestStatusCode ?? null });
  window.outcome = (promise) => promise.then(
    (value) => ({ ok: value instanceof RTCIdentityAssertion ? { idp: value.idp, name: value.name } : (value ?? null) }),
    (error) => ({ error: describe(error) }));
  window.pairWith = (aProvider, bProvider, aConfiguration = {}, bConfiguration = {}) => {
    const a = window.a = new RTCPeerConnection(aConfiguration);
    const b = window.b = new RTCPeerConnection(bConfiguration);
    watch('a', a);
    watch('b', b);
    if (aProvider) a.setIdentityProvider(...aProvider);
    if (bProvider) b.setIdentityProvider(...bProvider);
    a.createDataChannel('x');
    return { a, b };
  };
}"""


class IdpHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {"": "text/javascript"}

    def end_headers(self) -> None:
        # Lets the IdP realm read the status of a failed load (httpRequestStatusCode).
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def mock_idp() -> Iterator[str]:
    """The host:port of an HTTP server holding the mock IdP proxies (tests/browser/idp):
    static files, so the module's tests share it."""
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(IdpHandler, directory=str(IDP_DIRECTORY)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def page(shim_page: Page) -> Page:
    shim_page.evaluate(NEGOTIATE)
    return shim_page


def decode_identity(sdp: str) -> dict[str, Any]:
    (line,) = [line for line in sdp.splitlines() if line.startswith("a=identity:")]
    decoded: dict[str, Any] = json.loads(base64.b64decode(line.removeprefix("a=identity:")))
    return decoded


def sdp_fingerprints(sdp: str) -> list[dict[str, str]]:
    found = {tuple(line.removeprefix("a=fingerprint:").split()) for line in sdp.splitlines()
             if line.startswith("a=fingerprint:")}
    return [{"algorithm": algorithm, "digest": digest} for algorithm, digest in sorted(found)]


def test_two_peers_prove_their_identities_with_the_demo_idp(page: Page, server: ServerThread) -> None:
    result = page.evaluate("""async () => {
      const host = location.host;
      const { a, b } = pairWith([host, { protocol: 'rtcshim-demo', usernameHint: 'alice@127.0.0.1' }],
                                [host, { protocol: 'rtcshim-demo', usernameHint: 'bob@127.0.0.1' }]);
      const offer = await a.createOffer();
      await a.setLocalDescription(offer);
      await b.setRemoteDescription(a.localDescription);
      // Validation runs on after setRemoteDescription: waiting for it keeps the events in order.
      await b.peerIdentity;
      await b.setLocalDescription(); // the implicit answer carries b's assertion too
      await a.setRemoteDescription(b.localDescription);
      await a.peerIdentity;
      return {
        host, offer: offer.sdp, aLocal: a.localDescription.sdp, bLocal: b.localDescription.sdp,
        aPeer: await outcome(a.peerIdentity), bPeer: await outcome(b.peerIdentity),
        events: identityEvents.map(({ side, type }) => `${side} ${type}`),
        assertion: await a.getIdentityAssertion(),
      };
    }""")
    host = result["host"]
    assert result["bPeer"] == {"ok": {"idp": host, "name": "alice@127.0.0.1"}}
    assert result["aPeer"] == {"ok": {"idp": host, "name": "bob@127.0.0.1"}}
    # Each side made its assertion once (createOffer, the implicit answer), then validated the other's.
    assert result["events"] == ["a identityresult", "b peeridentity", "b identityresult", "a peeridentity"]
    # The a=identity line: the spec's JSON, binding the fingerprints of the description.
    offered = decode_identity(result["offer"])
    assert offered["idp"] == {"domain": host, "protocol": "rtcshim-demo"}
    assert result["assertion"] == result["offer"].split("a=identity:")[1].split("\r\n")[0]
    token_payload = offered["assertion"].split(".")[0]
    claims = json.loads(base64.urlsafe_b64decode(token_payload))
    assert claims["identity"] == "alice@127.0.0.1"
    assert json.loads(claims["contents"]) == {"fingerprint": sdp_fingerprints(result["offer"])}
    # The server kept each side's a=identity in the local description it settled.
    assert decode_identity(result["aLocal"]) == offered
    assert decode_identity(result["bLocal"])["idp"]["domain"] == host
    settled = {d.descriptions["currentLocalDescription"]["sdp"] for d in server.registry.objects()
               if isinstance(d, PeerConnectionDispatcher)}
    assert settled == {result["aLocal"], result["bLocal"]}


def test_implicit_descriptions_with_a_provider_keep_the_operations_order(page: Page, mock_idp: str) -> None:
    """Calls made without awaiting run in order, though an implicit description with an
    assertion takes several steps in the page; and they use no method a page replaced."""
    result = page.evaluate("""async (idp) => {
      const { a, b } = pairWith([idp, { protocol: 'mock', usernameHint: 'alice@127.0.0.1' }],
                                [idp, { protocol: 'mock', usernameHint: 'bob@127.0.0.1' }]);
      const offer = await a.createOffer(); // a's implicit offer below has the same media
      for (const pc of [a, b]) {
        pc.createOffer = pc.createAnswer = () => Promise.reject(new Error('a page wrapper ran'));
      }
      const answered = [b.setRemoteDescription(offer), b.setLocalDescription()];
      const answeredOutcomes = await Promise.all(answered.map(outcome));
      const offered = [a.setLocalDescription(), a.setRemoteDescription(b.localDescription)];
      const offeredOutcomes = await Promise.all(offered.map(outcome));
      return {
        outcomes: [...answeredOutcomes, ...offeredOutcomes],
        types: [a.localDescription?.type, b.localDescription?.type],
        states: [a.signalingState, b.signalingState],
        assertions: [a.localDescription?.sdp, b.localDescription?.sdp].map((sdp) => /^a=identity:/m.test(sdp)),
      };
    }""", mock_idp)
    assert result == {
        "outcomes": [{"ok": None}] * 4,
        "types": ["offer", "answer"],
        "states": ["stable", "stable"],
        "assertions": [True, True],
    }


def test_demo_idp_needs_a_user_name(page: Page) -> None:
    result = page.evaluate("""async () => {
      const { a } = pairWith([location.host, { protocol: 'rtcshim-demo' }]);
      return { assertion: await outcome(a.getIdentityAssertion()), loginUrl: a.idpLoginUrl };
    }""")
    assert result["assertion"]["error"]["errorDetail"] == "idp-need-login"
    assert result["loginUrl"].endswith("/examples/identity.html")


def test_get_identity_assertion_is_made_once_per_provider(page: Page) -> None:
    result = page.evaluate("""async () => {
      const host = location.host;
      const { a } = pairWith([host, { protocol: 'rtcshim-demo', usernameHint: 'alice@127.0.0.1' }]);
      const first = await a.getIdentityAssertion();
      const again = await a.getIdentityAssertion();
      a.setIdentityProvider(host, { protocol: 'rtcshim-demo', usernameHint: 'carol@127.0.0.1' });
      const changed = await a.getIdentityAssertion();
      return { same: first === again, changed: first !== changed, results: identityEvents.length };
    }""")
    assert result == {"same": True, "changed": True, "results": 2}


def test_identity_calls_refuse_bad_arguments(page: Page) -> None:
    result = page.evaluate("""async () => {
      const name = (attempt) => { try { attempt(); return 'no error'; } catch (error) { return error.name; } };
      const pc = new RTCPeerConnection();
      const closed = new RTCPeerConnection();
      closed.close();
      return {
        slash: name(() => pc.setIdentityProvider('127.0.0.1', { protocol: 'a/b' })),
        backslash: name(() => pc.setIdentityProvider('127.0.0.1', { protocol: 'a\\\\b' })),
        noArgument: name(() => pc.setIdentityProvider()),
        closed: name(() => closed.setIdentityProvider('127.0.0.1')),
        noProvider: (await outcome(pc.getIdentityAssertion())).error.name,
        closedAssertion: (await outcome(closed.getIdentityAssertion())).error.name,
        changeTarget: name(() => new RTCPeerConnection({ peerIdentity: 'a@x' }).setConfiguration({ peerIdentity: 'b@x' })),
        keepTarget: name(() => new RTCPeerConnection({ peerIdentity: 'a@x' }).setConfiguration({ peerIdentity: 'a@x' })),
        configuration: new RTCPeerConnection({ peerIdentity: 'a@x' }).getConfiguration().peerIdentity,
        lengths: [RTCPeerConnection.prototype.setIdentityProvider.length, RTCPeerConnection.prototype.getIdentityAssertion.length],
        handlers: ['onidentityresult', 'onpeeridentity', 'onidpassertionerror', 'onidpvalidationerror']
          .every((handler) => handler in pc && pc[handler] === null),
        peerIdentityIsPromise: pc.peerIdentity instanceof Promise,
        loginUrl: pc.idpLoginUrl,
      };
    }""")
    assert result == {
        "slash": "SyntaxError", "backslash": "SyntaxError", "noArgument": "TypeError",
        "closed": "InvalidStateError", "noProvider": "OperationError", "closedAssertion": "InvalidStateError",
        "changeTarget": "InvalidModificationError", "keepTarget": "no error", "configuration": "a@x",
        "lengths": [1, 0], "handlers": True, "peerIdentityIsPromise": True, "loginUrl": None,
    }


def test_identity_interfaces(page: Page) -> None:
    result = page.evaluate("""() => {
      const assertion = new RTCIdentityAssertion('idp.example', 'alice@idp.example');
      assertion.name = 'bob@idp.example';
      const made = new RTCIdentityEvent('identityresult', { assertion: 'abc' });
      const failed = new RTCIdentityErrorEvent('idpassertionerror', { idp: 'idp.example', protocol: 'p', loginUrl: 'https://idp.example/login' });
      let noArguments;
      try { new RTCIdentityAssertion(); } catch (error) { noArguments = error.name; }
      return { idp: assertion.idp, name: assertion.name, made: [made.type, made.assertion],
               failed: [failed.idp, failed.protocol, failed.loginUrl], noArguments,
               tag: Object.prototype.toString.call(assertion) };
    }""")
    assert result == {
        "idp": "idp.example", "name": "bob@idp.example", "made": ["identityresult", "abc"],
        "failed": ["idp.example", "p", "https://idp.example/login"], "noArguments": "TypeError",
        "tag": "[object RTCIdentityAssertion]",
    }


def test_rtc_error_init_members_are_webidl_integers(page: Page) -> None:
    result = page.evaluate("""() => {
      const error = new RTCError({ errorDetail: 'idp-load-failure', httpRequestStatusCode: '404.9',
        sdpLineNumber: 2 ** 32 + 3, sctpCauseCode: NaN, receivedAlert: -1, sentAlert: Infinity });
      let symbol;
      try { new RTCError({ errorDetail: 'idp-load-failure', httpRequestStatusCode: Symbol('x') }); } catch (e) { symbol = e.name; }
      return { members: [error.httpRequestStatusCode, error.sdpLineNumber, error.sctpCauseCode, error.receivedAlert, error.sentAlert],
               unset: new RTCError({ errorDetail: 'idp-timeout' }).httpRequestStatusCode, symbol };
    }""")
    assert result == {"members": [404, 3, 0, 2**32 - 1, 0], "unset": None, "symbol": "TypeError"}


@pytest.mark.parametrize(("protocol", "error_detail", "login_url", "error_info", "status"), [
    ("mock?generate=throw", "idp-execution-failure", None, "generate-info", None),
    ("mock?generate=need-login", "idp-need-login", "http://127.0.0.1/login", None, None),
    ("mock?generate=token-expired", "idp-token-expired", None, None, None),
    ("mock?generate=no-result", "idp-execution-failure", None, None, None),
    ("mock?generate=hang", "idp-timeout", None, None, None),
    ("no-register", "idp-bad-script-failure", None, None, None),
    ("syntax-error", "idp-bad-script-failure", None, None, None),
    ("missing", "idp-load-failure", None, None, 404),
])
def test_assertion_failures(
    page: Page, mock_idp: str, protocol: str, error_detail: str, login_url: str | None,
    error_info: str | None, status: int | None,
) -> None:
    result = page.evaluate("""async ([idp, protocol]) => {
      const { a } = pairWith([idp, { protocol, usernameHint: 'alice@127.0.0.1' }]);
      const offer = await outcome(a.createOffer());
      return { offer, assertion: await outcome(a.getIdentityAssertion()), events: identityEvents,
               loginUrl: a.idpLoginUrl, errorInfo: a.idpErrorInfo, signalingState: a.signalingState };
    }""", [mock_idp, protocol])
    expected_error = {"name": "OperationError", "errorDetail": error_detail, "isRTCError": True,
                      "httpRequestStatusCode": status}
    for attempt in (result["offer"], result["assertion"]):
        assert {key: attempt["error"][key] for key in expected_error} == expected_error
    assert result["events"] == [
        {"side": "a", "type": "idpassertionerror", "idp": mock_idp, "protocol": protocol, "loginUrl": login_url}] * 2
    assert (result["loginUrl"], result["errorInfo"]) == (login_url, error_info)
    assert result["signalingState"] == "stable"


VALIDATE = """async ([idp, protocol, bConfiguration]) => {
  const { a, b } = pairWith(idp && [idp, { protocol, usernameHint: 'alice@127.0.0.1' }], null, {}, bConfiguration);
  const peerIdentity = b.peerIdentity;
  const remote = await outcome(b.setRemoteDescription(await a.createOffer()));
  return { remote, peerIdentity: await outcome(peerIdentity), replaced: b.peerIdentity !== peerIdentity,
           events: identityEvents.filter((event) => event.side === 'b'), errorInfo: b.idpErrorInfo };
}"""


@pytest.mark.parametrize(("protocol", "error"), [
    ("mock?validate=throw", {"name": "OperationError", "errorDetail": "idp-execution-failure", "isRTCError": True}),
    ("mock?validate=token-invalid", {"name": "OperationError", "errorDetail": "idp-token-invalid", "isRTCError": True}),
    ("mock?validate=hang", {"name": "OperationError", "errorDetail": "idp-timeout", "isRTCError": True}),
    # The IdP vouches for other fingerprints, or for a user of another domain.
    ("mock?validate=contents", {"name": "OperationError", "errorDetail": None, "isRTCError": False}),
    ("mock?validate=identity", {"name": "OperationError", "errorDetail": None, "isRTCError": False}),
])
def test_validation_failures_without_a_target_reject_peer_identity_only(
    page: Page, mock_idp: str, protocol: str, error: dict[str, Any]
) -> None:
    result = page.evaluate(VALIDATE, [mock_idp, protocol, {}])
    assert result["remote"] == {"ok": None}
    assert {key: result["peerIdentity"]["error"][key] for key in error} == error
    # Without a target peer identity, a fresh promise waits for the next description.
    assert result["replaced"] is True
    assert [(e["type"], e["idp"], e["protocol"]) for e in result["events"]] == [
        ("idpvalidationerror", mock_idp, protocol)]


@pytest.mark.parametrize(("protocol", "target", "error"), [
    ("mock?validate=throw", "alice@127.0.0.1", {"name": "OperationError", "errorDetail": "idp-execution-failure"}),
    ("mock", "bob@127.0.0.1", {"name": "OperationError", "errorDetail": None}),
])
def test_validation_failures_with_a_target_reject_set_remote_description(
    page: Page, mock_idp: str, protocol: str, target: str, error: dict[str, Any]
) -> None:
    result = page.evaluate(VALIDATE, [mock_idp, protocol, {"peerIdentity": target}])
    for attempt in (result["remote"], result["peerIdentity"]):
        assert {key: attempt["error"][key] for key in error} == error
    assert result["replaced"] is False


def test_target_peer_identity_met(page: Page, mock_idp: str) -> None:
    result = page.evaluate(VALIDATE, [mock_idp, "mock", {"peerIdentity": "alice@127.0.0.1"}])
    assert result["remote"] == {"ok": None}
    assert result["peerIdentity"] == {"ok": {"idp": mock_idp, "name": "alice@127.0.0.1"}}
    assert [e["type"] for e in result["events"]] == ["peeridentity"]


def test_target_peer_identity_needs_an_assertion(page: Page) -> None:
    result = page.evaluate(VALIDATE, [None, None, {"peerIdentity": "alice@127.0.0.1"}])
    assert result["remote"]["error"]["name"] == "OperationError"
    assert result["peerIdentity"]["error"]["name"] == "OperationError"


def test_idp_realm_cannot_reach_the_page(page: Page, mock_idp: str) -> None:
    """The IdP realm has an opaque origin: nothing of the page's origin answers it, while
    its relative URLs reach its own server."""
    result = page.evaluate("""async (idp) => {
      await new Promise((resolve, reject) => {
        const request = indexedDB.open('rtcshim-probe');
        request.onsuccess = () => { request.result.close(); resolve(); };
        request.onerror = () => reject(request.error);
      });
      const heard = [];
      const channel = new BroadcastChannel('rtcshim-probe');
      channel.onmessage = (event) => heard.push(event.data);
      const { a } = pairWith([idp, { protocol: 'mock?generate=probe' }]);
      const encoded = await a.getIdentityAssertion();
      // A message posted before the IdP answered would have arrived by now.
      await new Promise((resolve) => setTimeout(resolve, 300));
      channel.close();
      return { probe: JSON.parse(JSON.parse(atob(encoded)).assertion), heard };
    }""", mock_idp)
    probe = result["probe"]
    assert probe["origin"] == "null"
    assert str(probe["pageServer"]).startswith("refused")
    assert "rtcshim-probe" not in probe["databases"]
    assert result["heard"] == []
    assert (probe["relativeFetch"], probe["relativeRequest"], probe["relativeImport"]) == (200, 200, True)


@pytest.mark.parametrize("delay_ms", [0, 300])
def test_close_rejects_the_idp_calls_under_way_at_once(page: Page, mock_idp: str, delay_ms: int) -> None:
    """Closed while the IdP loads (0 ms) or while its call hangs (300 ms): the call fails
    at once with InvalidStateError, not at the time limit with idp-timeout."""
    result = page.evaluate("""async ([idp, delayMs]) => {
      const { a } = pairWith([idp, { protocol: 'mock?generate=hang', usernameHint: 'alice@127.0.0.1' }]);
      const assertion = outcome(a.getIdentityAssertion());
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const closedAt = performance.now();
      a.close();
      const settled = await assertion;
      return { name: settled.error.name, ms: performance.now() - closedAt,
               after: (await outcome(a.getIdentityAssertion())).error.name };
    }""", [mock_idp, delay_ms])
    assert result["name"] == "InvalidStateError"
    assert result["ms"] < IDP_TIMEOUT_MS / 2
    assert result["after"] == "InvalidStateError"


@pytest.mark.parametrize("idp_timeout", ["Infinity", str(2**32 + 5)])
def test_idp_timeouts_beyond_what_timers_hold_are_clamped(
    shim_context: BrowserContext, open_shim_page: Callable[[], Page], mock_idp: str, idp_timeout: str
) -> None:
    """A timer delay beyond 2^31-1 ms (Infinity, 2^32+5) would fire at once (or after 5 ms)."""
    shim_context.add_init_script(f"window.rtcshimOptions = {{ idpTimeout: {idp_timeout} }};")
    page = open_shim_page()
    page.evaluate(NEGOTIATE)
    result = page.evaluate("""async (idp) => {
      const { a } = pairWith([idp, { protocol: 'mock?generate=hang', usernameHint: 'alice@127.0.0.1' }]);
      const assertion = outcome(a.getIdentityAssertion());
      const waited = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 500));
      return Promise.race([assertion, waited]);
    }""", mock_idp)
    assert result == "still waiting"


def test_messages_the_idp_posts_itself_are_ignored(page: Page, mock_idp: str) -> None:
    result = page.evaluate("""async (idp) => {
      const errors = [];
      window.addEventListener('error', (event) => errors.push(event.message));
      const { a } = pairWith([idp, { protocol: 'mock?generate=chatter', usernameHint: 'alice@127.0.0.1' }]);
      const assertion = await outcome(a.getIdentityAssertion());
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { identity: JSON.parse(JSON.parse(atob(assertion.ok)).assertion).identity, errors };
    }""", mock_idp)
    assert result == {"identity": "alice@127.0.0.1", "errors": []}


# Domains that are more than host[:port]: each still leads the URL parser to the mock IdP
# on 127.0.0.1 (a path that resolves back, a fragment or query that swallows the rest of
# the proxy URL, userinfo), which would then vouch for alice@127.0.0.1.
SPOOFED_DOMAINS = ["{idp}/x/..", "{idp}/.well-known/idp-proxy/mock#", "{idp}/.well-known/idp-proxy/mock?", "evil@{idp}"]


@pytest.mark.parametrize("spoofed", SPOOFED_DOMAINS)
def test_remote_idp_domain_beyond_host_and_port_is_a_load_failure(page: Page, mock_idp: str, spoofed: str) -> None:
    result = page.evaluate("""async ([idp, spoofed]) => {
      const { a, b } = pairWith([idp, { protocol: 'mock', usernameHint: 'alice@127.0.0.1' }]);
      const offer = await a.createOffer();
      const encoded = /^a=identity:(\\S+)/m.exec(offer.sdp)[1];
      const decoded = JSON.parse(atob(encoded));
      decoded.idp.domain = spoofed;
      const peerIdentity = b.peerIdentity;
      const remote = await outcome(b.setRemoteDescription({ type: 'offer', sdp: offer.sdp.replace(encoded, btoa(JSON.stringify(decoded))) }));
      return { remote, peerIdentity: await outcome(peerIdentity),
               events: identityEvents.filter((event) => event.side === 'b').map((event) => [event.type, event.idp]) };
    }""", [mock_idp, spoofed.format(idp=mock_idp)])
    assert result["remote"] == {"ok": None}
    assert result["peerIdentity"]["error"]["errorDetail"] == "idp-load-failure"
    assert result["events"] == [["idpvalidationerror", spoofed.format(idp=mock_idp)]]


@pytest.mark.parametrize("spoofed", SPOOFED_DOMAINS)
def test_provider_domain_beyond_host_and_port_is_a_load_failure(page: Page, mock_idp: str, spoofed: str) -> None:
    result = page.evaluate("""async (spoofed) => {
      const { a } = pairWith([spoofed, { protocol: 'mock', usernameHint: 'alice@127.0.0.1' }]);
      return outcome(a.getIdentityAssertion());
    }""", spoofed.format(idp=mock_idp))
    assert result["error"]["errorDetail"] == "idp-load-failure"


def test_tampered_fingerprint_fails_validation(page: Page, mock_idp: str) -> None:
    result = page.evaluate("""async (idp) => {
      const { a, b } = pairWith([idp, { protocol: 'mock', usernameHint: 'alice@127.0.0.1' }]);
      const offer = await a.createOffer();
      // Another certificate's digest in place of a's: the assertion no longer covers it.
      const sdp = offer.sdp.replace(/^(a=fingerprint:sha-256 )\\S+/m, '$1' + Array(32).fill('AB').join(':'));
      await b.setRemoteDescription({ type: 'offer', sdp });
      return outcome(b.peerIdentity);
    }""", mock_idp)
    assert result["error"]["name"] == "OperationError"
    assert "fingerprints" in result["error"]["message"]


def test_a_later_description_resolves_the_fresh_peer_identity(page: Page, mock_idp: str) -> None:
    result = page.evaluate("""async (idp) => {
      const { a, b } = pairWith([idp, { protocol: 'mock?validate=throw', usernameHint: 'alice@127.0.0.1' }]);
      const first = b.peerIdentity;
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription);
      const failed = await outcome(first);
      const second = b.peerIdentity;
      await b.setLocalDescription(await b.createAnswer());
      await a.setRemoteDescription(b.localDescription);
      a.setIdentityProvider(idp, { protocol: 'mock', usernameHint: 'alice@127.0.0.1' });
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription);
      return { failed: failed.error.errorDetail, second: await outcome(second), kept: b.peerIdentity === second };
    }""", mock_idp)
    assert result == {
        "failed": "idp-execution-failure",
        "second": {"ok": {"idp": mock_idp, "name": "alice@127.0.0.1"}},
        "kept": True,
    }


def test_identity_example_shows_both_verified_peers(shim_context: BrowserContext, server: ServerThread) -> None:
    problems = PageProblems()
    page = open_example(shim_context, problems, "/examples/identity.html", "identity")
    expect(page.locator("#status")).to_have_text("Both identities verified.")
    host = page.evaluate("location.host")
    expect(page.locator("#alice-peer")).to_have_text(f"bob@127.0.0.1 (via {host})")
    expect(page.locator("#bob-peer")).to_have_text(f"alice@127.0.0.1 (via {host})")
    expect(page.locator("#alice-log")).to_contain_text("The IdP asserted that I am alice@127.0.0.1.")
    # Each side's description carried its assertion and its generated certificate's fingerprint.
    certificates = {d.certificate.sha256_fingerprint() for d in server.registry.objects()
                    if isinstance(d, CertificateDispatcher)}
    remotes = [d.descriptions["currentRemoteDescription"]["sdp"] for d in server.registry.objects()
               if isinstance(d, PeerConnectionDispatcher)]
    assert len(certificates) == 2
    assert {f["digest"] for sdp in remotes for f in sdp_fingerprints(sdp) if f["algorithm"] == "sha-256"} == certificates
    assert all(decode_identity(sdp)["idp"] == {"domain": host, "protocol": "rtcshim-demo"} for sdp in remotes)
    assert problems.reports == []
