"""RTCDtlsTransport, RTCIceTransport and RTCSctpTransport through the bridge: the states,
candidates, parameters, selected pair and certificates of the real aiortc transports."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

# Connects a data channel between two peer connections, listening to every transport
# event from the moment each transport exists; resolves to what both sides saw.
CONNECT = """async () => {
  const log = [];
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (event) => event.candidate && b.addIceCandidate(event.candidate);
  b.onicecandidate = (event) => event.candidate && a.addIceCandidate(event.candidate);
  const listen = (side, pc) => {
    const dtls = pc.sctp.transport;
    const ice = dtls.iceTransport;
    pc.sctp.onstatechange = () => log.push(`${side} sctp ${pc.sctp.state}`);
    dtls.onstatechange = () => log.push(`${side} dtls ${dtls.state}`);
    ice.onstatechange = () => log.push(`${side} ice ${ice.state}`);
    ice.onselectedcandidatepairchange = () => log.push(`${side} ice selectedcandidatepairchange`);
    pc.oniceconnectionstatechange = () => log.push(`${side} pc iceconnectionstatechange ${pc.iceConnectionState}`);
  };
  const channel = a.createDataChannel('transports');
  const opened = new Promise((resolve) => { channel.onopen = resolve; });
  const before = a.sctp;
  await a.setLocalDescription(await a.createOffer());
  listen('a', a);
  await b.setRemoteDescription(a.localDescription);
  listen('b', b);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  await within(opened, 'the channel opens');
  await until(() => a.sctp.state === 'connected' && b.sctp.state === 'connected', 'both SCTP transports connect');
  window.pcs = { a, b };
  const fingerprint = async (pc) => {
    const der = pc.sctp.transport.getRemoteCertificates()[0];
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', der));
    return [...digest].map((byte) => byte.toString(16).padStart(2, '0').toUpperCase()).join(':');
  };
  const describe = async (pc) => {
    const ice = pc.sctp.transport.iceTransport;
    const pair = ice.getSelectedCandidatePair();
    return {
      sctp: { state: pc.sctp.state, maxMessageSize: pc.sctp.maxMessageSize, maxChannels: pc.sctp.maxChannels },
      dtls: pc.sctp.transport.state,
      ice: { role: ice.role, component: ice.component, state: ice.state, gatheringState: ice.gatheringState },
      local: ice.getLocalCandidates().map((candidate) => candidate.candidate),
      remote: ice.getRemoteCandidates().map((candidate) => candidate.candidate),
      pair: pair && [pair.local.address, pair.local.port, pair.remote.address, pair.remote.port],
      pairIsStable: pair === ice.getSelectedCandidatePair(),
      localParameters: ice.getLocalParameters(),
      remoteParameters: ice.getRemoteParameters(),
      remoteFingerprint: await fingerprint(pc),
      localSdp: pc.localDescription.sdp,
      remoteSdp: pc.remoteDescription.sdp,
    };
  };
  return { before, log, a: await describe(a), b: await describe(b) };
}"""


def sdp_value(sdp: str, attribute: str) -> str:
    return next(line.split(":", 1)[1] for line in sdp.splitlines() if line.startswith(f"a={attribute}:"))


def test_data_channel_transports_report_the_real_connection(shim_page: Page) -> None:
    seen: dict[str, Any] = shim_page.evaluate(CONNECT)
    assert seen["before"] is None
    for side, role in (("a", "controlling"), ("b", "controlled")):
        end = seen[side]
        assert end["sctp"]["state"] == "connected"
        assert end["sctp"]["maxMessageSize"] == 262144  # aiortc's a=max-message-size
        assert end["sctp"]["maxChannels"] == 65535
        assert end["dtls"] == "connected"
        assert end["ice"] == {"role": role, "component": "rtp", "state": "connected", "gatheringState": "complete"}
        assert end["local"] and end["remote"]
        assert end["pairIsStable"]
        assert end["localParameters"]["usernameFragment"] == sdp_value(end["localSdp"], "ice-ufrag")
        assert end["localParameters"]["password"] == sdp_value(end["localSdp"], "ice-pwd")
        assert end["remoteParameters"]["usernameFragment"] == sdp_value(end["remoteSdp"], "ice-ufrag")
        # The certificate the DTLS handshake presented is the one the remote SDP announced.
        assert end["remoteFingerprint"] == sdp_value(end["remoteSdp"], "fingerprint").split()[1]
    a, b = seen["a"], seen["b"]
    assert sorted(a["local"]) == sorted(b["remote"])
    assert sorted(b["local"]) == sorted(a["remote"])
    assert a["pair"][:2] == b["pair"][2:] and a["pair"][2:] == b["pair"][:2]


def test_transport_events_come_in_the_spec_order(shim_page: Page) -> None:
    log = shim_page.evaluate(CONNECT)["log"]
    for side in "ab":
        mine = [entry.removeprefix(f"{side} ") for entry in log if entry.startswith(side)]
        assert [entry for entry in mine if entry.startswith(("dtls", "sctp"))] == [
            "dtls connecting", "dtls connected", "sctp connected"]
        ice = [entry for entry in mine if entry.startswith(("ice", "pc"))]
        # The ICE transport changes before the peer connection reports it.
        assert ice.index("ice checking") < ice.index("pc iceconnectionstatechange checking")
        assert ice.index("ice connected") < ice.index("pc iceconnectionstatechange connected")
        assert ice.count("ice selectedcandidatepairchange") == 1


def test_media_shares_the_bundled_transport_and_close_closes_it_quietly(shim_page: Page) -> None:
    closed = shim_page.evaluate("""async () => {
      let senderTransportBefore;
      const { a, b } = await makeMediaCall((a) => {
        a.createDataChannel('with media');
        senderTransportBefore = a.getSenders()[0].transport;
      });
      const transport = a.sctp.transport;
      await until(() => transport.state === 'connected', 'the DTLS transport connects');
      const shared = a.getSenders().every((sender) => sender.transport === transport)
        && a.getReceivers().every((receiver) => receiver.transport === transport)
        && b.getReceivers().every((receiver) => receiver.transport === b.sctp.transport);
      const events = [];
      transport.onstatechange = () => events.push('dtls');
      transport.iceTransport.onstatechange = () => events.push('ice');
      a.sctp.onstatechange = () => events.push('sctp');
      a.close();
      const states = [transport.state, transport.iceTransport.state, a.sctp.state];
      await new Promise((resolve) => setTimeout(resolve, 300));
      b.close();
      return { senderTransportBefore, shared, states, events };
    }""")
    assert closed == {"senderTransportBefore": None, "shared": True,
                      "states": ["closed", "closed", "closed"], "events": []}
