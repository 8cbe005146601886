// A call between two peer connections in one page, written as 2013-2015 pages were, over
// the globals a period adapter.js defines: getUserMedia, attachMediaStream,
// RTCPeerConnection, and the callback forms. The caller sends the camera; each side sends
// the other one data-channel message. loopbackCall() resolves to what each side received.
'use strict';

function loopbackCall() {
  return new Promise(function (resolve, reject) {
    var received = {};
    var remoteStream = null;
    var caller = new RTCPeerConnection({ iceServers: [] });
    var callee = new RTCPeerConnection({ iceServers: [] });
    caller.onicecandidate = function (event) {
      if (event.candidate) callee.addIceCandidate(new RTCIceCandidate(event.candidate));
    };
    callee.onicecandidate = function (event) {
      if (event.candidate) caller.addIceCandidate(new RTCIceCandidate(event.candidate));
    };
    var channel = caller.createDataChannel('chat');
    channel.onopen = function () { channel.send('hello from the caller'); };
    channel.onmessage = function (event) { received.caller = event.data; finish(); };
    callee.ondatachannel = function (event) {
      var remoteChannel = event.channel;
      remoteChannel.onmessage = function (message) {
        received.callee = message.data;
        remoteChannel.send('hello from the callee');
      };
    };
    callee.onaddstream = function (event) {
      remoteStream = event.stream;
      attachMediaStream(document.getElementById('remote'), remoteStream);
      finish();
    };
    function finish() {
      if (received.caller && remoteStream) resolve(received);
    }
    getUserMedia({ video: true, audio: true }, function (stream) {
      attachMediaStream(document.getElementById('local'), stream);
      caller.addStream(stream);
      caller.createOffer(function (offer) {
        caller.setLocalDescription(offer, function () {
          callee.setRemoteDescription(new RTCSessionDescription(offer), function () {
            callee.createAnswer(function (answer) {
              callee.setLocalDescription(answer, function () {
                caller.setRemoteDescription(new RTCSessionDescription(answer), function () {}, reject);
              }, reject);
            }, reject);
          }, reject);
        }, reject);
      }, reject, { mandatory: { OfferToReceiveAudio: true, OfferToReceiveVideo: true } });
    }, reject);
  });
}
