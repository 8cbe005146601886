// A call between two peer connections in one page, written as 2016 pages were over
// adapter.js 1.x: navigator.mediaDevices.getUserMedia, addTrack, ontrack, srcObject and
// promises. The caller sends the camera; each side sends the other one data-channel
// message. loopbackCall() resolves to what each side received.
'use strict';

function loopbackCall() {
  var caller = new RTCPeerConnection({ iceServers: [] });
  var callee = new RTCPeerConnection({ iceServers: [] });
  caller.onicecandidate = function (event) { if (event.candidate) callee.addIceCandidate(event.candidate); };
  callee.onicecandidate = function (event) { if (event.candidate) caller.addIceCandidate(event.candidate); };
  var channel = caller.createDataChannel('chat');
  var atCaller = new Promise(function (resolve) {
    channel.onopen = function () { channel.send('hello from the caller'); };
    channel.onmessage = function (event) { resolve(event.data); };
  });
  var atCallee = new Promise(function (resolve) {
    callee.ondatachannel = function (event) {
      event.channel.onmessage = function (message) {
        event.channel.send('hello from the callee');
        resolve(message.data);
      };
    };
  });
  var remoteStream = new Promise(function (resolve) {
    callee.ontrack = function (event) {
      document.getElementById('remote').srcObject = event.streams[0];
      resolve(event.streams[0]);
    };
  });
  return navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true })
    .then(function (stream) {
      document.getElementById('local').srcObject = stream;
      stream.getTracks().forEach(function (track) { caller.addTrack(track, stream); });
      return caller.createOffer();
    })
    .then(function (offer) { return caller.setLocalDescription(offer); })
    .then(function () { return callee.setRemoteDescription(caller.localDescription); })
    .then(function () { return callee.createAnswer(); })
    .then(function (answer) { return callee.setLocalDescription(answer); })
    .then(function () { return caller.setRemoteDescription(callee.localDescription); })
    .then(function () { return Promise.all([atCaller, atCallee, remoteStream]); })
    .then(function (results) { return { caller: results[0], callee: results[1] }; });
}
