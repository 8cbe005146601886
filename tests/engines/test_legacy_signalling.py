"""2013 pages in every engine: callback signalling, constraints and streams as old pages used them."""

from __future__ import annotations

from .engine_page import EnginePage, every_engine

# Two connections signalled only through the legacy callbacks, with the 2013 constraint
# forms; `a` sends the server's camera and microphone with addStream, `b` gets them from
# onaddstream. A createAnswer in the wrong state calls its failure callback.
LEGACY_CALL = """async () => {
  const getUserMedia = navigator.getUserMedia || navigator.webkitGetUserMedia || navigator.mozGetUserMedia;
  const stream = await within(new Promise((resolve, reject) => getUserMedia.call(
    navigator, { audio: true, video: { mandatory: { maxWidth: 640 } } }, resolve, reject)), 'legacy getUserMedia');
  const a = new RTCPeerConnection({ iceServers: [] }, { optional: [{ DtlsSrtpKeyAgreement: true }] });
  const b = new RTCPeerConnection({ iceServers: [] }, { optional: [{ DtlsSrtpKeyAgreement: true }] });
  const failure = await within(new Promise((resolve) => b.createAnswer(
    () => resolve(null), (error) => resolve(error.name))), 'createAnswer before an offer fails');
  for (const [from, to] of [[a, b], [b, a]]) {
    from.onicecandidate = (event) => {
      if (event.candidate) to.addIceCandidate(new RTCIceCandidate(event.candidate), () => {}, (error) => { throw error; });
    };
  }
  const remoteStream = new Promise((resolve) => { b.onaddstream = (event) => resolve(event.stream); });
  a.addStream(stream);
  const step = (invoke) => within(new Promise((resolve, reject) => invoke(resolve, reject)), String(invoke));
  const constraints = { mandatory: { OfferToReceiveAudio: true, OfferToReceiveVideo: true } };
  const offer = await step((ok, fail) => a.createOffer(ok, fail, constraints));
  await step((ok, fail) => a.setLocalDescription(offer, ok, fail));
  await step((ok, fail) => b.setRemoteDescription(new RTCSessionDescription(offer), ok, fail));
  const answer = await step((ok, fail) => b.createAnswer(ok, fail, constraints));
  await step((ok, fail) => b.setLocalDescription(answer, ok, fail));
  await step((ok, fail) => a.setRemoteDescription(new RTCSessionDescription(answer), ok, fail));
  const received = await within(remoteStream, 'onaddstream');
  await Promise.all([connected(a), connected(b)]);
  const result = {
    failure,
    offerMedia: (offer.sdp.match(/^m=\\w+/gm) || []).sort(),
    isDescription: offer instanceof RTCSessionDescription && answer instanceof RTCSessionDescription,
    received: received.getTracks().map((track) => track.kind).sort(),
    remoteStreams: b.getRemoteStreams().length,
    localStreams: a.getLocalStreams().length,
  };
  a.close();
  b.close();
  stream.getTracks().forEach((track) => track.stop());
  return result;
}"""


@every_engine
def test_legacy_callback_call_with_addstream(engine_page: EnginePage) -> None:
    assert engine_page.evaluate(LEGACY_CALL) == {
        "failure": "InvalidStateError",
        "offerMedia": ["m=audio", "m=video"],
        "isDescription": True,
        "received": ["audio", "video"],
        "remoteStreams": 1,
        "localStreams": 1,
    }
