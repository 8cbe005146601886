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

# `page.evaluate(MEDIA_LOOPBACK)` defines `window.makeMediaCall(beforeOffer)`: `a` sends
# the camera and microphone to `b`; `beforeOffer(a)` runs once the tracks are added and
# before the offer; resolves to {a, b} once `a` is connected (or fails after 10 s).
MEDIA_LOOPBACK = """() => {
window.makeMediaCall = async (beforeOffer = () => {}) => {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (event) => event.candidate && b.addIceCandidate(event.candidate);
  b.onicecandidate = (event) => event.candidate && a.addIceCandidate(event.candidate);
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  stream.getTracks().forEach((track) => a.addTrack(track, stream));
  beforeOffer(a);
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  for (let tries = 0; a.connectionState !== 'connected'; tries++) {
    if (tries === 500) throw new Error(`still ${a.connectionState} after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { a, b };
};
}"""
