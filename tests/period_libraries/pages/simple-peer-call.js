// Two simple-peer peers in one page, their signals handed straight to each other: the
// initiator sends the camera and microphone, and each side sends the other one message.
// simplePeerCall() resolves to what each side received.
'use strict';

function simplePeerCall() {
  return new Promise(function (resolve, reject) {
    navigator.getUserMedia = navigator.getUserMedia || navigator.webkitGetUserMedia || navigator.mozGetUserMedia;
    navigator.getUserMedia({ video: true, audio: true }, function (stream) {
      var received = {};
      var remoteStream = null;
      var initiator = new SimplePeer({ initiator: true, stream: stream, config: { iceServers: [] } });
      var answerer = new SimplePeer({ config: { iceServers: [] } });
      initiator.on('signal', function (data) { answerer.signal(data); });
      answerer.on('signal', function (data) { initiator.signal(data); });
      initiator.on('error', reject);
      answerer.on('error', reject);
      initiator.on('connect', function () { initiator.send('hello from the initiator'); });
      answerer.on('data', function (data) {
        received.answerer = String(data);
        answerer.send('hello from the answerer');
      });
      initiator.on('data', function (data) {
        received.initiator = String(data);
        finish();
      });
      answerer.on('stream', function (streamReceived) {
        remoteStream = streamReceived;
        document.getElementById('remote').src = window.URL.createObjectURL(remoteStream);
        finish();
      });
      function finish() {
        if (received.initiator && remoteStream) resolve(received);
      }
    }, reject);
  });
}
