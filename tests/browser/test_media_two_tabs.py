"""Two shimmed tabs in a video call through the relay, written as 2013 pages were.

Each tab uses the seed's API: navigator.getUserMedia with callbacks, the prefixed
constructors, addStream and onaddstream, RTCSessionDescription and RTCIceCandidate
wrappers around what the relay carries, callback forms of the offer/answer methods and
URL.createObjectURL(stream) for the <video>. Both send the server's stamped camera, so
each tab can read the other's frame counter off its remote video.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page

from .page_helpers import assert_counters_advance
from .relay_calls import new_room

# `legacyCall(room, isCaller)`: the seed's page, nearly as it was written. `window.call`
# keeps the remote <video> (once onaddstream fired), candidate counts and the first error.
LEGACY_CALL = """() => {
window.legacyCall = function (room, isCaller) {
  var call = window.call = { error: null, remoteVideo: null, remoteStreamId: null, candidatesSent: 0, candidatesReceived: 0 };
  function fail(error) {
    if (!call.error) call.error = String((error && (error.stack || error.message || error.name)) || error);
  }
  navigator.getUserMedia = navigator.getUserMedia || navigator.webkitGetUserMedia || navigator.mozGetUserMedia;
  var PeerConnection = window.RTCPeerConnection || window.webkitRTCPeerConnection || window.mozRTCPeerConnection;
  var SessionDescription = window.RTCSessionDescription || window.mozRTCSessionDescription;
  var IceCandidate = window.RTCIceCandidate || window.mozRTCIceCandidate;

  navigator.getUserMedia({ video: true, audio: true }, function (localStream) {
    call.localStream = localStream;
    var pc = call.pc = new PeerConnection({ iceServers: [] }, { optional: [{ DtlsSrtpKeyAgreement: true }] });
    var address = new URL('/signal/' + encodeURIComponent(room), location.href);
    address.protocol = 'ws:';
    var socket = call.socket = new WebSocket(address.href);
    function send(message) { socket.send(JSON.stringify(message)); }

    pc.onicecandidate = function (event) {
      if (!event.candidate) return;
      call.candidatesSent += 1;
      send({ type: 'candidate', label: event.candidate.sdpMLineIndex, id: event.candidate.sdpMid,
        candidate: event.candidate.candidate });
    };
    pc.onaddstream = function (event) {
      var video = document.createElement('video');
      video.autoplay = true;
      video.muted = true;
      video.src = URL.createObjectURL(event.stream);
      document.body.appendChild(video);
      call.remoteStreamId = event.stream.id;
      call.remoteVideo = video;
    };
    pc.addStream(localStream);

    var mediaConstraints = { mandatory: { OfferToReceiveAudio: true, OfferToReceiveVideo: true } };
    function sendDescription(description) {
      pc.setLocalDescription(description, function () {
        send({ type: description.type, sdp: description.sdp });
      }, fail);
    }
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if ((message.relay === 'room' && message.peers > 0) || message.relay === 'joined') {
        if (isCaller) pc.createOffer(sendDescription, fail, mediaConstraints);
      } else if (message.type === 'offer') {
        pc.setRemoteDescription(new SessionDescription(message), function () {
          pc.createAnswer(sendDescription, fail, mediaConstraints);
        }, fail);
      } else if (message.type === 'answer') {
        pc.setRemoteDescription(new SessionDescription(message), function () {}, fail);
      } else if (message.type === 'candidate') {
        call.candidatesReceived += 1;
        pc.addIceCandidate(new IceCandidate({ sdpMLineIndex: message.label, sdpMid: message.id,
          candidate: message.candidate }), function () {}, fail);
      }
    };
    socket.onerror = function () { fail('signaling socket error'); };
  }, fail);
};
}"""


def open_legacy_tab(open_shim_page: Callable[[], Page]) -> Page:
    page = open_shim_page()
    page.evaluate(LEGACY_CALL)
    return page


def remote_stamps(page: Page, name: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """async (name) => {
          const video = await until(() => {
            if (window.call.error) throw new Error(window.call.error);
            return window.call.remoteVideo;
          }, `${name}: onaddstream`);
          return videoStamps(video, `${name}: the other tab's camera`, 3);
        }""",
        name,
    )
    return result


def test_video_call_plays_both_ways_when_tabs_use_legacy_api(open_shim_page: Callable[[], Page]) -> None:
    caller, callee = open_legacy_tab(open_shim_page), open_legacy_tab(open_shim_page)
    room = new_room("two-tabs")
    caller.evaluate("(room) => window.legacyCall(room, true)", room)
    callee.evaluate("(room) => window.legacyCall(room, false)", room)

    for name, page, other in (("caller", caller, callee), ("callee", callee, caller)):
        result = remote_stamps(page, name)
        assert (result["width"], result["height"]) == (640, 480), result
        assert_counters_advance(result)
        # The stream that arrived is the one the other tab added, under its id.
        assert page.evaluate("window.call.remoteStreamId") == other.evaluate("window.call.localStream.id")

    for page in (caller, callee):
        state = page.evaluate(
            """() => ({ error: window.call.error, iceConnectionState: window.call.pc.iceConnectionState,
              candidatesSent: window.call.candidatesSent, candidatesReceived: window.call.candidatesReceived,
              remoteStreams: window.call.pc.getRemoteStreams().length })"""
        )
        assert state["error"] is None, state
        assert state["iceConnectionState"] in ("connected", "completed"), state
        assert state["candidatesSent"] > 0 and state["candidatesReceived"] > 0, state
        assert state["remoteStreams"] == 1, state
    for page in (caller, callee):
        page.evaluate("() => { window.call.pc.close(); window.call.socket.close(); window.call.localStream.stop(); }")
