"""The seed's basic usage with media, in 2013 style, through the real bridge.

One page holds both ends: the caller gets {video, audio} with the callback form of
getUserMedia and adds it with addStream; the callee adds a camera of its own; offer and
answer travel with callbacks and RTCSessionDescription wrappers, candidates with the
callback form of addIceCandidate. What each side receives is then played the ways pages
did (srcObject, src = URL.createObjectURL(stream), mozSrcObject) and read back: the frame
counter stamped into the synthetic camera's pixels, and the synthetic microphone's 440 Hz.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from rtcshim.dispatchers.media_stream_track import MediaTrackDispatcher
from rtcshim.dispatchers.peer_connection import PeerConnectionDispatcher
from rtcshim.dispatchers.transceiver import TransceiverDispatcher
from rtcshim.serving import ServerThread

from .page_helpers import assert_tone

# A function, so that page.evaluate runs it. `legacyCall()` resolves once both sides got
# the other's stream (onaddstream) and are connected, to {caller, callee, localStream,
# calleeStream, remoteAtCallee, remoteAtCaller, trackEvents, errors}: trackEvents are the
# callee's `track` events, errors whatever a failure callback received.
LEGACY_CALL = """() => {
window.legacyCall = () => {
  var peerConnection = window.RTCPeerConnection || window.mozRTCPeerConnection ||
                       window.webkitRTCPeerConnection || window.msRTCPeerConnection;
  var sessionDescription = window.RTCSessionDescription || window.mozRTCSessionDescription ||
                           window.webkitRTCSessionDescription || window.msRTCSessionDescription;
  var iceCandidate = window.RTCIceCandidate || window.mozRTCIceCandidate;
  navigator.getUserMedia = navigator.getUserMedia || navigator.mozGetUserMedia ||
                           navigator.webkitGetUserMedia || navigator.msGetUserMedia;

  var call = { errors: [], trackEvents: [] };
  var caller = call.caller = new peerConnection({ iceServers: [] });
  var callee = call.callee = new peerConnection({ iceServers: [] });
  function error(err) { call.errors.push(err.name + ': ' + err.message); }
  // The signaling channel: candidates wait until their receiver has the remote description
  // (the callee answers only after its own getUserMedia).
  function relayCandidates(from, to) {
    var waiting = [];
    from.onicecandidate = function (event) {
      if (!event.candidate) return;
      waiting.push(new iceCandidate(event.candidate));
      deliver();
    };
    function deliver() {
      if (!to.remoteDescription) return;
      waiting.splice(0).forEach(function (candidate) { to.addIceCandidate(candidate, function () {}, error); });
    }
    to.addEventListener('signalingstatechange', deliver);
  }
  relayCandidates(caller, callee);
  relayCandidates(callee, caller);
  callee.ontrack = function (event) { call.trackEvents.push(event); };
  var gotAtCallee = new Promise(function (resolve) {
    callee.onaddstream = function (obj) { call.remoteAtCallee = obj.stream; resolve(); };
  });
  var gotAtCaller = new Promise(function (resolve) {
    caller.onaddstream = function (obj) { call.remoteAtCaller = obj.stream; resolve(); };
  });
  var connected = Promise.all([caller, callee].map(function (pc) {
    return until(function () { return pc.iceConnectionState === 'connected'; }, 'ICE connects');
  }));

  var answered = new Promise(function (resolve, reject) {
    function fail(err) { error(err); reject(err); }
    navigator.getUserMedia({ video: true, audio: true }, function (stream) {
      call.localStream = stream;
      caller.addStream(stream);
      caller.createOffer(function (offer) {
        caller.setLocalDescription(new sessionDescription(offer), function () {
          // The offer reaches the callee, which answers with a camera of its own.
          navigator.getUserMedia({ video: true }, function (calleeStream) {
            call.calleeStream = calleeStream;
            callee.addStream(calleeStream);
            callee.setRemoteDescription(new sessionDescription({ type: 'offer', sdp: offer.sdp }), function () {
              callee.createAnswer(function (answer) {
                callee.setLocalDescription(new sessionDescription(answer), function () {
                  caller.setRemoteDescription(new sessionDescription({ type: 'answer', sdp: answer.sdp }),
                    resolve, fail);
                }, fail);
              }, fail);
            }, fail);
          }, fail);
        }, fail);
      }, fail);
    }, fail);
  });
  return within(Promise.all([answered, gotAtCallee, gotAtCaller, connected]), 'the legacy call is set up')
    .then(function () { return call; });
};
}"""


def with_legacy_call(page: Page) -> Page:
    page.evaluate(LEGACY_CALL)
    return page


@pytest.fixture
def call_page(shim_page: Page) -> Page:
    return with_legacy_call(shim_page)


@pytest.mark.parametrize("how", ["srcObject", "src", "mozSrcObject"])
def test_legacy_call_remote_video_plays_advancing_frames(
    shim_context: BrowserContext, open_shim_page: Callable[[], Page], how: str
) -> None:
    # mozSrcObject is Gecko's: a Chromium page has it when it asks for every prefix.
    shim_context.add_init_script("window.rtcshimOptions = { prefixes: 'all' };")
    call_page = with_legacy_call(open_shim_page())
    result: dict[str, Any] = call_page.evaluate("""async (how) => {
      const call = await legacyCall();
      const video = await playVideo(call.remoteAtCallee, how);
      const counters = await counterAdvances(video, `the callee's remote video (${how})`);
      return {
        errors: call.errors,
        counters,
        size: [video.videoWidth, video.videoHeight],
        elementStream: how === 'src' ? true : video[how] === call.remoteAtCallee,
      };
    }""", how)
    assert result["errors"] == []
    first, second = result["counters"]
    assert second > first
    assert result["size"] == [640, 480]
    assert result["elementStream"] is True


def test_object_url_of_a_stream_reads_back_from_src(call_page: Page) -> None:
    """HTML: `src` reflects its content attribute, so a page reads back the URL it set."""
    result: dict[str, Any] = call_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true }), 'getUserMedia');
      const url = URL.createObjectURL(stream);
      const video = document.createElement('video');
      video.src = url;
      return { url, isBlob: url.startsWith('blob:'), src: video.src, attribute: video.getAttribute('src') };
    }""")
    assert result["isBlob"] is True
    assert result["src"] == result["url"]
    assert result["attribute"] == result["url"]


def test_legacy_call_both_directions_play(call_page: Page) -> None:
    result: dict[str, Any] = call_page.evaluate("""async () => {
      const call = await legacyCall();
      const atCallee = await playVideo(call.remoteAtCallee);
      const atCaller = await playVideo(call.remoteAtCaller);
      return {
        errors: call.errors,
        atCallee: await counterAdvances(atCallee, "the callee's remote video"),
        atCaller: await counterAdvances(atCaller, "the caller's remote video"),
        // Remote tracks start muted and unmute once media arrives.
        remoteMuted: [...call.remoteAtCallee.getTracks(), ...call.remoteAtCaller.getTracks()].map((track) => track.muted),
        calleeKinds: call.remoteAtCallee.getTracks().map((track) => track.kind).sort(),
        callerKinds: call.remoteAtCaller.getTracks().map((track) => track.kind),
      };
    }""")
    assert result["errors"] == []
    assert result["atCallee"][1] > result["atCallee"][0]
    assert result["atCaller"][1] > result["atCaller"][0]
    assert result["remoteMuted"] == [False, False, False]
    assert result["calleeKinds"] == ["audio", "video"]
    assert result["callerKinds"] == ["video"]


def test_legacy_call_remote_audio_carries_the_tone(call_page: Page) -> None:
    peak: dict[str, float] = call_page.evaluate("""async () => {
      const call = await legacyCall();
      if (call.errors.length) throw new Error(call.errors.join('; '));
      return tonePeak(call.remoteAtCallee, "the callee's remote audio");
    }""")
    assert_tone(peak, bins=2)


def test_local_audio_carries_the_tone(call_page: Page) -> None:
    peak: dict[str, float] = call_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true }), 'getUserMedia');
      return tonePeak(stream, 'the local microphone');
    }""")
    assert_tone(peak, bins=2)


def test_legacy_call_local_preview_plays_advancing_frames(call_page: Page) -> None:
    result: dict[str, Any] = call_page.evaluate("""async () => {
      const call = await legacyCall();
      // The seed shows the caller's own stream too: its onaddstream is called by hand.
      const preview = await playVideo(call.localStream);
      return { errors: call.errors, counters: await counterAdvances(preview, 'the local preview') };
    }""")
    assert result["errors"] == []
    assert result["counters"][1] > result["counters"][0]


def test_legacy_call_track_events_carry_the_callers_stream(call_page: Page) -> None:
    result: dict[str, Any] = call_page.evaluate("""async () => {
      const call = await legacyCall();
      const { callee, trackEvents } = call;
      const receivers = callee.getReceivers();
      const transceivers = callee.getTransceivers();
      return {
        errors: call.errors,
        kinds: trackEvents.map((event) => event.track.kind).sort(),
        events: trackEvents.map((event) => ({
          isTrackEvent: event instanceof RTCTrackEvent,
          streamIds: event.streams.map((stream) => stream.id),
          sameStream: event.streams[0] === call.remoteAtCallee,
          trackInStream: call.remoteAtCallee.getTracks().includes(event.track),
          trackIsReceivers: event.track === event.receiver.track,
          receiverListed: receivers.includes(event.receiver),
          transceiverListed: transceivers.includes(event.transceiver),
          transceiverOwnsReceiver: event.transceiver.receiver === event.receiver,
          receiverInstance: event.receiver instanceof RTCRtpReceiver,
          transceiverInstance: event.transceiver instanceof RTCRtpTransceiver,
          readyState: event.track.readyState,
        })),
        localStreamId: call.localStream.id,
        remoteStreamId: call.remoteAtCallee.id,
        remoteStreams: callee.getRemoteStreams().map((stream) => stream === call.remoteAtCallee),
        byId: callee.getStreamById(call.localStream.id) === call.remoteAtCallee,
        localStreams: call.caller.getLocalStreams().map((stream) => stream === call.localStream),
        // Remote tracks are new objects with their own ids (msid carries the stream id).
        sharedTrackIds: call.remoteAtCallee.getTracks().filter(
          (track) => call.localStream.getTrackById(track.id) !== null && track === call.localStream.getTrackById(track.id)).length,
      };
    }""")
    assert result["errors"] == []
    assert result["kinds"] == ["audio", "video"]
    local_id = result["localStreamId"]
    assert result["remoteStreamId"] == local_id
    assert result["events"] == [{
        "isTrackEvent": True, "streamIds": [local_id], "sameStream": True, "trackInStream": True,
        "trackIsReceivers": True, "receiverListed": True, "transceiverListed": True,
        "transceiverOwnsReceiver": True, "receiverInstance": True, "transceiverInstance": True,
        "readyState": "live",
    }] * 2
    assert result["remoteStreams"] == [True]
    assert result["byId"] is True
    assert result["localStreams"] == [True]
    assert result["sharedTrackIds"] == 0


def test_legacy_call_server_holds_the_tracks_and_transceivers(call_page: Page, server: ServerThread) -> None:
    page_state: dict[str, Any] = call_page.evaluate("""async () => {
      const call = await legacyCall();
      return {
        errors: call.errors,
        localTrackIds: [...call.localStream.getTracks(), ...call.calleeStream.getTracks()].map((track) => track.id).sort(),
        transceivers: [call.caller.getTransceivers().length, call.callee.getTransceivers().length],
      };
    }""")
    assert page_state["errors"] == []
    objects = server.registry.objects()
    assert len([o for o in objects if isinstance(o, PeerConnectionDispatcher)]) == 2
    transceivers = [o for o in objects if isinstance(o, TransceiverDispatcher)]
    assert page_state["transceivers"] == [2, 2]
    assert len(transceivers) == 4
    tracks = [o for o in objects if isinstance(o, MediaTrackDispatcher)]
    local_tracks = [track for track in tracks if track.device is not None]
    assert sorted(track.track_id for track in local_tracks) == page_state["localTrackIds"]
    # Every transceiver's receiver has a track object of its own on the server.
    assert {transceiver.receiver_track for transceiver in transceivers} <= set(tracks)
    assert len(tracks) == len(local_tracks) + len(transceivers)
    # What each sender sends is the page's local track.
    assert {t.sender_track for t in transceivers if t.sender_track is not None} == set(local_tracks)
