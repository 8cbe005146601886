"""Bad calls fail with the same error names in the shim as in native Chromium."""

from __future__ import annotations

from playwright.sync_api import Page

# Each scenario runs in both pages; it returns the name of the error the bad call raised or
# rejected with, or "no error".
SCENARIOS = """async () => {
  const errorName = async (attempt) => {
    try { await attempt(); return 'no error'; } catch (error) { return error.name; }
  };
  const offerer = async () => {
    const pc = new RTCPeerConnection();
    pc.createDataChannel('x');
    await pc.setLocalDescription(await pc.createOffer());
    return pc;
  };
  const answered = async () => {
    const a = await offerer();
    const b = new RTCPeerConnection();
    await b.setRemoteDescription(a.localDescription);
    return b;
  };
  const closed = () => { const pc = new RTCPeerConnection(); pc.close(); return pc; };
  const scenarios = {
    iceServerBadScheme: () => new RTCPeerConnection({ iceServers: [{ urls: 'http://127.0.0.1' }] }),
    iceServerTurnWithoutCredential: () => new RTCPeerConnection({ iceServers: [{ urls: 'turn:127.0.0.1' }] }),
    badIceTransportPolicy: () => new RTCPeerConnection({ iceTransportPolicy: 'nope' }),
    badBundlePolicy: () => new RTCPeerConnection({ bundlePolicy: 'nope' }),
    // null is a value of a dictionary member, not its absence: no enum has it.
    nullBundlePolicy: () => new RTCPeerConnection({ bundlePolicy: null }),
    nullIceTransportPolicy: () => new RTCPeerConnection({ iceTransportPolicy: null }),
    nullRtcpMuxPolicy: () => new RTCPeerConnection({ rtcpMuxPolicy: null }),
    setConfigurationNullIceTransportPolicy: () => new RTCPeerConnection().setConfiguration({ iceTransportPolicy: null }),
    createOfferClosed: () => closed().createOffer(),
    createAnswerClosed: () => closed().createAnswer(),
    setLocalDescriptionClosed: () => closed().setLocalDescription(),
    setRemoteDescriptionClosed: () => closed().setRemoteDescription({ type: 'offer', sdp: '' }),
    createDataChannelClosed: () => closed().createDataChannel('x'),
    setConfigurationClosed: () => closed().setConfiguration({}),
    createAnswerInStable: () => new RTCPeerConnection().createAnswer(),
    setRemoteAnswerInStable: async () => new RTCPeerConnection().setRemoteDescription(
      { type: 'answer', sdp: (await offerer()).localDescription.sdp }),
    setRemoteDescriptionBadType: () => new RTCPeerConnection().setRemoteDescription({ type: 'nope', sdp: '' }),
    setRemoteDescriptionNotSdp: () => new RTCPeerConnection().setRemoteDescription({ type: 'offer', sdp: 'not sdp' }),
    setRemoteDescriptionBundleOfNoSection: async () => new RTCPeerConnection().setRemoteDescription({ type: 'offer',
      sdp: (await offerer()).localDescription.sdp.replace('a=group:BUNDLE ', 'a=group:BUNDLE 99 ') }),
    setRemoteDescriptionDuplicateMid: async () => {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('audio');
      pc.createDataChannel('x');
      const sdp = (await pc.createOffer()).sdp.replace('a=mid:1', 'a=mid:0');
      return new RTCPeerConnection().setRemoteDescription({ type: 'offer', sdp });
    },
    addIceCandidateWithoutRemote: () => new RTCPeerConnection().addIceCandidate(
      { candidate: 'candidate:1 1 udp 2122260223 10.77.0.1 9 typ host', sdpMid: '0' }),
    addIceCandidateUnknownMid: async () => (await answered()).addIceCandidate(
      { candidate: 'candidate:1 1 udp 2122260223 10.77.0.1 9 typ host', sdpMid: 'unknown' }),
    addIceCandidateNoMidNoIndex: async () => (await answered()).addIceCandidate(
      { candidate: 'candidate:1 1 udp 2122260223 10.77.0.1 9 typ host', sdpMid: null, sdpMLineIndex: null }),
    setConfigurationBundlePolicy: () => new RTCPeerConnection().setConfiguration({ bundlePolicy: 'max-compat' }),
    createDataChannelNoLabel: () => new RTCPeerConnection().createDataChannel(),
    createDataChannelBothLimits: () => new RTCPeerConnection().createDataChannel('x', { maxPacketLifeTime: 1, maxRetransmits: 1 }),
    createDataChannelNegotiatedWithoutId: () => new RTCPeerConnection().createDataChannel('x', { negotiated: true }),
    createDataChannelId65535: () => new RTCPeerConnection().createDataChannel('x', { negotiated: true, id: 65535 }),
    createDataChannelDuplicateId: () => {
      const pc = new RTCPeerConnection();
      pc.createDataChannel('x', { negotiated: true, id: 3 });
      pc.createDataChannel('y', { negotiated: true, id: 3 });
    },
    sendOnConnectingChannel: () => new RTCPeerConnection().createDataChannel('x').send('early'),
    sessionDescriptionBadType: () => new RTCSessionDescription({ type: 'nope', sdp: '' }),
    iceCandidateNoMidNoIndex: () => new RTCIceCandidate({ candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host' }),
  };
  const names = {};
  for (const [name, attempt] of Object.entries(scenarios)) {
    names[name] = await errorName(attempt);
  }
  return names;
}"""



def test_errors_match_native_chromium(shim_page: Page, native_page: Page) -> None:
    native = native_page.evaluate(SCENARIOS)
    shim = shim_page.evaluate(SCENARIOS)
    assert "no error" not in native.values()  # every scenario is a bad call
    assert shim == native
