"""JavaScript for tests: two peer connections in one page, wired to each other.

`page.evaluate(LOOPBACK)` defines `window.makePair(configuration)`, which resolves once
both ends are connected, to {a, b, channel, remoteChannel, events}: `channel` is a data
channel `a` created (label "test"), `remoteChannel` its other end in `b`, and `events`
the list of "<side> <event> <state>" strings both ends fired, in order.
"""

# A function, so that page.evaluate runs it (an expression whose value is a function,
# like a bare assignment of makePair, would be called by Playwright).
LOOPBACK = """() => {
window.makePair = async (configuration = {}, channelInit = {}) => {
  const events = [];
  const a = new RTCPeerConnection(configuration);
  const b = new RTCPeerConnection(configuration);
  for (const [side, pc] of [['a', a], ['b', b]]) {
    const other = pc === a ? b : a;
    pc.onicecandidate = (event) => {
      events.push(`${side} icecandidate ${event.candidate ? 'candidate' : 'null'}`);
      if (event.candidate) other.addIceCandidate(event.candidate);
    };
    for (const name of ['signalingstatechange', 'icegatheringstatechange',
        'iceconnectionstatechange', 'connectionstatechange', 'negotiationneeded']) {
      pc.addEventListener(name, () => {
        const state = {
          signalingstatechange: pc.signalingState, icegatheringstatechange: pc.iceGatheringState,
          iceconnectionstatechange: pc.iceConnectionState, connectionstatechange: pc.connectionState,
          negotiationneeded: '',
        }[name];
        events.push(`${side} ${name} ${state}`.trim());
      });
    }
  }
  const channel = a.createDataChannel('test', channelInit);
  const remoteChannel = new Promise((resolve) => { b.ondatachannel = (event) => resolve(event.channel); });
  const opened = new Promise((resolve) => { channel.onopen = resolve; });
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  const pair = { a, b, channel, remoteChannel: await remoteChannel, events };
  await opened;
  return pair;
};
}"""
