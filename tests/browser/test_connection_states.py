"""The states of a peer connection and of its transports as a browser keeps them
(server/connection_states.py, the peer connection's statesChange): every state set before
any of their events fires, an ICE transport new until a remote candidate comes, and a
re-offer's transport of its own counted until the answer bundles it away."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from rtcshim.connection_states import TransportStates, connection_state, ice_connection_state

from .page_helpers import run

# A data channel call whose every transport and connection state event is logged with the
# four states the page reads in the listener and in the microtask right after it.
STATES_SEEN_BY_EACH_EVENT = """async () => {
  const log = [];
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.createDataChannel('states');
  await a.setLocalDescription(await a.createOffer());
  const dtls = a.sctp.transport;
  const ice = dtls.iceTransport;
  const states = () => [ice.state, dtls.state, a.iceConnectionState, a.connectionState].join(' ');
  const listen = (target, type, name) => target.addEventListener(type, () => {
    const entry = { event: name, inListener: states() };
    log.push(entry);
    queueMicrotask(() => { entry.inMicrotask = states(); });
  });
  listen(ice, 'statechange', 'ice');
  listen(dtls, 'statechange', 'dtls');
  listen(a, 'iceconnectionstatechange', 'iceConnectionState');
  listen(a, 'connectionstatechange', 'connectionState');
  a.onicecandidate = (event) => { if (event.candidate) b.addIceCandidate(event.candidate); };
  b.onicecandidate = (event) => { if (event.candidate) a.addIceCandidate(event.candidate); };
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  await connected(a);
  await settled();
  a.close();
  b.close();
  return log;
}"""


def test_every_state_is_set_before_the_first_of_their_events(shim_page: Page) -> None:
    log: list[dict[str, Any]] = run(shim_page, STATES_SEEN_BY_EACH_EVENT)
    for entry in log:
        assert entry["inMicrotask"] == entry["inListener"], log
        ice, dtls, ice_connection, connection = entry["inListener"].split()
        # Whatever event it is, the listener reads the connection's states that the
        # transport's states make up (the WPT's "iceConnectionState changes at the right time").
        transport = TransportStates("0", ice, dtls)
        assert (ice_connection, connection) == (
            ice_connection_state([transport]), connection_state([transport])), log
    # As webrtc-pc orders them: the ICE transport's event, then the connection's; the DTLS
    # transport's (connecting may come on its own), then the connection's.
    names = [entry["event"] for entry in log]
    dtls_events = names[5:-1]
    assert names == ["ice", "iceConnectionState", "connectionState", "ice", "iceConnectionState",
                     *dtls_events, "connectionState"], log
    assert dtls_events in (["dtls"], ["dtls", "dtls"]), log


# Offer and answer as createOffer and createAnswer made them (no candidate in them) and no
# candidate exchanged; then one of b's candidates reaches a: a checks it, and b learns a
# from a's checks (a peer-reflexive candidate).
WITHOUT_REMOTE_CANDIDATES = """async () => {
  const log = [];
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.createDataChannel('no candidates');
  const candidatesOfB = [];
  b.onicecandidate = (event) => { if (event.candidate) candidatesOfB.push(event.candidate); };
  const offer = await a.createOffer();
  await a.setLocalDescription(offer);
  await b.setRemoteDescription(offer);
  const answer = await b.createAnswer();
  await b.setLocalDescription(answer);
  await a.setRemoteDescription(answer);
  for (const [side, pc] of [['a', a], ['b', b]]) {
    pc.oniceconnectionstatechange = () => log.push(`${side} ${pc.iceConnectionState}`);
    pc.sctp.transport.iceTransport.onstatechange = () => log.push(`${side} ice ${pc.sctp.transport.iceTransport.state}`);
  }
  await gatheringComplete(a);
  await gatheringComplete(b);
  await settled();
  const states = (pc) => [pc.iceConnectionState, pc.connectionState, pc.sctp.transport.iceTransport.state];
  const before = { a: states(a), b: states(b), log: [...log] };
  await a.addIceCandidate(candidatesOfB[0]);
  await connected(a);
  await connected(b);
  a.close();
  b.close();
  return { before, log };
}"""


def test_an_ice_transport_without_remote_candidates_stays_new(shim_page: Page) -> None:
    seen = run(shim_page, WITHOUT_REMOTE_CANDIDATES)
    # aiortc checks at once (its transports say checking); a browser, whose ICE transport
    # has no candidate pair to check, says new (WPT: "connectionState remains new when not
    # adding remote ice candidates").
    assert seen["before"] == {"a": ["new", "new", "new"], "b": ["new", "new", "new"], "log": []}
    # The first remote candidate, added or learned from the far peer's checks, starts them.
    for side in "ab":
        states = [entry.split(" ", 1)[1] for entry in seen["log"] if entry.startswith(side)]
        assert states == ["ice checking", "checking", "ice connected", "connected"], seen["log"]


# a (bundlePolicy max-compat) calls b, which is not bundle-aware (the offer's BUNDLE group
# hidden from it, as WPT does); then a adds a data channel, whose section gets a transport
# of its own in the re-offer.
UNBUNDLED_RENEGOTIATION = """async () => {
  const a = new RTCPeerConnection({ bundlePolicy: 'max-compat' });
  const b = new RTCPeerConnection();
  a.onicecandidate = (event) => { if (event.candidate) b.addIceCandidate(event.candidate); };
  b.onicecandidate = (event) => { if (event.candidate) a.addIceCandidate(event.candidate); };
  a.addTransceiver('audio');
  const offer = await a.createOffer();
  await a.setLocalDescription(offer);
  await b.setRemoteDescription({ type: 'offer', sdp: offer.sdp.replace('BUNDLE', 'SOMETHING') });
  const answer = await b.createAnswer();
  await b.setLocalDescription(answer);
  await a.setRemoteDescription(answer);
  await connected(a);
  await settled();
  const states = [];
  a.onconnectionstatechange = () => states.push(a.connectionState);
  a.createDataChannel('late');
  await negotiate(a, b);
  await connected(a);
  await settled();
  a.close();
  b.close();
  return { firstAnswer: answer.sdp, states };
}"""


def test_a_new_transport_of_an_unbundled_call_goes_through_connecting(shim_page: Page) -> None:
    seen = run(shim_page, UNBUNDLED_RENEGOTIATION)
    # The answer to an offer without BUNDLE bundles nothing (JSEP 5.3.1) ...
    assert "a=group:BUNDLE" not in seen["firstAnswer"]
    # ... so the re-offer's data section is on a transport of its own, which a browser
    # counts (WPT: "when adding a datachannel to an existing unbundled connected PC, it
    # should go through a connecting state").
    assert seen["states"] == ["connecting", "connected"]
