"""The legacy offer options, the transceiver's `stopped` and a track in several streams, as
native Chromium has them: each scenario runs in a shimmed and a native page, or passes a
description from one to the other (no connection: setRemoteDescription alone fires `track`).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from .page_helpers import run

# Transceivers of each direction (sendrecv audio from a track, if `withTrack`), then
# createOffer(options).
OFFER_TO_RECEIVE = """async ([options, withTrack]) => {
  const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true, video: true }), 'getUserMedia');
  const pc = new RTCPeerConnection();
  if (withTrack) pc.addTrack(stream.getAudioTracks()[0], stream);
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'sendonly' });
  const offer = await within(pc.createOffer(options), 'createOffer');
  const directions = pc.getTransceivers().map((t) => [t.receiver.track.kind, t.direction]);
  pc.close();
  for (const track of stream.getTracks()) track.stop();
  return { directions, sections: (offer.sdp.match(/^m=/gm) || []).length };
}"""

STOPPED = """async () => {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  const stopped = a.addTransceiver('audio');
  const closed = a.addTransceiver('video');
  const states = { added: [stopped.stopped, closed.stopped], enumerable: Object.keys(Object.getOwnPropertyDescriptors(
    RTCRtpTransceiver.prototype)).includes('stopped') };
  await within(a.setLocalDescription(await a.createOffer()), 'the offer');
  await within(b.setRemoteDescription(a.localDescription), 'the offer, remotely');
  await within(b.setLocalDescription(await b.createAnswer()), 'the answer');
  await within(a.setRemoteDescription(b.localDescription), 'the answer, remotely');
  const [remote] = b.getTransceivers();
  stopped.stop();
  states.afterStop = [stopped.stopped, stopped.direction, closed.stopped];
  await within(a.setLocalDescription(await a.createOffer()), 'the second offer');
  await within(b.setRemoteDescription(a.localDescription), 'the second offer, remotely');
  states.remote = [remote.stopped, remote.direction, remote.currentDirection];
  a.close();
  b.close();
  states.afterClose = closed.stopped;
  return states;
}"""

# A page's offer of one audio track in two streams: the SDP, and the ids to find in it.
OFFER_IN_TWO_STREAMS = """async () => {
  const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true }), 'getUserMedia');
  const other = new MediaStream();
  const pc = window.twoStreamsOfferer = new RTCPeerConnection();
  const [track] = stream.getAudioTracks();
  pc.addTrack(track, stream, other);
  const offer = await within(pc.createOffer(), 'createOffer');
  return { sdp: offer.sdp, streams: [stream.id, other.id], track: track.id };
}"""

# The other page takes that offer: its track event's streams, each stream's tracks.
TAKE_OFFER = """async (sdp) => {
  const pc = window.twoStreamsAnswerer = new RTCPeerConnection();
  const trackEvent = nextEvent(pc, 'track');
  await within(pc.setRemoteDescription({ type: 'offer', sdp }), 'setRemoteDescription');
  const event = await trackEvent;
  return event.streams.map((stream) => [stream.id, stream.getTracks().map((track) => track === event.track)]);
}"""

CLOSE_BOTH = """() => {
  for (const pc of [window.twoStreamsOfferer, window.twoStreamsAnswerer]) if (pc) pc.close();
}"""


@pytest.mark.parametrize(("options", "with_track"), [
    ({"offerToReceiveAudio": False, "offerToReceiveVideo": False}, True),
    ({"offerToReceiveAudio": True, "offerToReceiveVideo": True}, True),
    ({"offerToReceiveAudio": True}, False),  # beside a sendonly one only: a recvonly one more
    ({"offerToReceiveVideo": False}, True),
], ids=["false", "true", "true-beside-sendonly", "video-false"])
def test_offer_to_receive_shapes_transceivers_as_native(
    shim_page: Page, native_page: Page, options: dict[str, bool], with_track: bool,
) -> None:
    shimmed: dict[str, Any] = run(shim_page, OFFER_TO_RECEIVE, [options, with_track])
    native: dict[str, Any] = run(native_page, OFFER_TO_RECEIVE, [options, with_track])
    assert shimmed == native


def test_transceiver_stopped_as_native(shim_page: Page, native_page: Page) -> None:
    shimmed: dict[str, Any] = run(shim_page, STOPPED)
    native: dict[str, Any] = run(native_page, STOPPED)
    assert shimmed == native
    assert shimmed["afterStop"] == [True, "stopped", False]


@pytest.mark.parametrize("offerer", ["shim", "native"])
def test_track_in_two_streams_reaches_the_other_side_in_both(
    shim_page: Page, native_page: Page, offerer: str,
) -> None:
    """RFC 8830's one a=msid per stream, both ways: Chromium reads ours, we read Chromium's."""
    pages = {"shim": shim_page, "native": native_page}
    answerer = pages["native" if offerer == "shim" else "shim"]
    try:
        offer: dict[str, Any] = run(pages[offerer], OFFER_IN_TWO_STREAMS)
        msids = [line for line in offer["sdp"].split("\r\n") if line.startswith("a=msid:")]
        assert sorted(msids) == sorted(f"a=msid:{stream} {offer['track']}" for stream in offer["streams"])
        received: list[list[Any]] = run(answerer, TAKE_OFFER, offer["sdp"])
        assert sorted(received) == sorted([stream, [True]] for stream in offer["streams"])
    finally:
        for page in pages.values():
            page.evaluate(CLOSE_BOTH)
