"""Local gathering as a page sees it: the ICE transport's gatheringState moves with the peer
connection's iceGatheringState (new when setLocalDescription resolves, as a browser gathers
after it), and the local description ends its candidates once gathering is complete."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

# Gathers with `iceServers`; logs each gathering event with both states, and whether the
# local description ends its candidates at that point.
GATHER = """async (iceServers) => {
  const pc = new RTCPeerConnection({ iceServers });
  const seen = [];
  const ended = () => pc.localDescription.sdp.includes('a=end-of-candidates');
  const transport = () => pc.sctp.transport.iceTransport.gatheringState;
  pc.onicecandidate = (event) => seen.push(
    { candidate: event.candidate ? 'host' : null, state: pc.iceGatheringState, ended: ended() });
  pc.onicegatheringstatechange = () => seen.push(
    { gathering: pc.iceGatheringState, transport: transport(), ended: ended() });
  pc.createDataChannel('gathering');
  await pc.setLocalDescription(await pc.createOffer());
  seen.push({ resolved: pc.iceGatheringState, transport: transport() });
  await until(() => seen.some((entry) => entry.candidate === null), 'the null candidate');
  pc.close();
  return seen.filter((entry) => entry.candidate !== 'host');
}"""


def gather(page: Page, ice_servers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = page.evaluate(GATHER, ice_servers)
    return seen


def test_the_transports_gathering_state_moves_with_the_peer_connections(shim_page: Page) -> None:
    assert gather(shim_page, []) == [
        {"resolved": "new", "transport": "new"},
        {"gathering": "gathering", "transport": "gathering", "ended": False},
        {"gathering": "complete", "transport": "complete", "ended": True},
        {"candidate": None, "state": "complete", "ended": True},
    ]


def test_the_local_description_ends_its_candidates_once_ice_servers_are_done(shim_page: Page) -> None:
    # A STUN server the server's network policy refuses (loopback): an icecandidateerror,
    # and gathering completes. Until then, more candidates may come.
    seen = gather(shim_page, [{"urls": "stun:127.0.0.1:3478"}])
    assert seen[1:] == [
        {"gathering": "gathering", "transport": "gathering", "ended": False},
        {"gathering": "complete", "transport": "complete", "ended": True},
        {"candidate": None, "state": "complete", "ended": True},
    ]
