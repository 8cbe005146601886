"""Rollback and provisional answers as a page sees them, beside native Chromium.

server/rollback.py does the work; these check what reaches the page: the signaling states,
the descriptions, the transceivers a remote offer made going away with their tracks, the
streams' removetrack, and that close() during a rollback leaves its promise unsettled.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

REMOTE_ROLLBACK = """async () => {
  const log = [];
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const pc1 = new RTCPeerConnection();
  const pc2 = new RTCPeerConnection();
  for (const track of stream.getTracks()) pc1.addTrack(track, stream);
  let remote = null;
  pc2.ontrack = (event) => { remote = remote || event.streams[0]; };
  pc2.onsignalingstatechange = () => log.push(`signalingstatechange ${pc2.signalingState}`);
  await pc2.setRemoteDescription(await pc1.createOffer());
  const tracks = remote.getTracks();
  const transceivers = pc2.getTransceivers();
  remote.onremovetrack = (event) => log.push(`removetrack ${event.track.kind}`);
  for (const track of tracks) {
    track.onended = () => log.push(`ended ${track.kind}`);
    track.onmute = () => log.push(`mute ${track.kind}`);
  }
  const rollback = pc2.setRemoteDescription({ type: 'rollback', sdp: 'not SDP at all' });
  log.push(`called in ${pc2.signalingState}`);
  await rollback;
  log.push('resolved');
  const result = {
    log, made: transceivers.length, left: pc2.getTransceivers().length,
    mids: transceivers.map((transceiver) => transceiver.mid),
    descriptions: [pc2.remoteDescription, pc2.pendingRemoteDescription, pc2.currentRemoteDescription],
    streamTracks: remote.getTracks().length, trackStates: tracks.map((track) => [track.readyState, track.muted]),
    // Then the same connection can offer.
    offered: await pc2.setLocalDescription().then(() => pc2.signalingState),
  };
  for (const track of stream.getTracks()) track.stop();
  pc1.close();
  pc2.close();
  return result;
}"""


def test_remote_rollback_removes_what_the_offer_made_and_ends_its_tracks(shim_page: Page, native_page: Page) -> None:
    shimmed: dict[str, Any] = shim_page.evaluate(REMOTE_ROLLBACK)
    native: dict[str, Any] = native_page.evaluate(REMOTE_ROLLBACK)
    assert {**shimmed, "log": None} == {**native, "log": None}
    # webrtc-pc's order: signalingstatechange, then the removed tracks out of their streams;
    # they end as their transceivers stop. (Chromium ends them first.) Still muted for want of
    # packets, they fire no mute, as in Chromium.
    assert shimmed["log"] == [
        "signalingstatechange have-remote-offer", "called in have-remote-offer", "signalingstatechange stable",
        "removetrack audio", "removetrack video", "ended audio", "ended video",
        "resolved", "signalingstatechange have-local-offer",
    ]

LOCAL_ROLLBACK_GLARE_AND_PRANSWER = """async () => {
  const log = [];
  const pc1 = new RTCPeerConnection();
  const pc2 = new RTCPeerConnection();
  pc1.onsignalingstatechange = () => log.push([pc1.signalingState,
    pc1.pendingLocalDescription && pc1.pendingLocalDescription.type,
    pc1.pendingRemoteDescription && pc1.pendingRemoteDescription.type]);
  const errorName = (promise) => promise.then(() => null, (error) => error.name);
  const own = pc1.addTransceiver('audio');
  pc2.addTransceiver('video');
  const remoteOffer = await pc2.createOffer();
  const inStable = await errorName(pc1.setLocalDescription({ type: 'rollback' }));
  const pranswerInStable = await errorName(pc1.setRemoteDescription({ type: 'pranswer', sdp: remoteOffer.sdp }));
  await pc1.setLocalDescription();
  const offered = [own.mid, own.sender.transport !== null];
  await pc1.setLocalDescription({ type: 'rollback' });
  const rolledBack = [own.mid, own.sender.transport, pc1.getTransceivers().length];
  await pc1.setLocalDescription();
  // The other side's offer in have-local-offer: rolled back first.
  const remoteRollbackHere = await errorName(pc1.setLocalDescription({ type: 'rollback', sdp: '' }).then(() => pc1.setRemoteDescription({ type: 'rollback' })));
  await pc1.setLocalDescription();
  await pc1.setRemoteDescription(remoteOffer);
  const glare = pc1.getTransceivers().map((transceiver) => [transceiver.mid, transceiver.receiver.track.kind]);
  const answer = await pc1.createAnswer();
  await pc1.setLocalDescription({ type: 'pranswer', sdp: answer.sdp });
  await pc1.setLocalDescription({ type: 'pranswer', sdp: answer.sdp });
  await pc1.setLocalDescription(answer);
  const final = [pc1.currentLocalDescription.type, pc1.pendingLocalDescription, pc1.currentRemoteDescription.type];
  pc1.close();
  pc2.close();
  return { log, inStable, pranswerInStable, offered, rolledBack, remoteRollbackHere, glare, final };
}"""


def test_local_rollback_implicit_rollback_and_provisional_answers_as_chromium_does(
    shim_page: Page, native_page: Page,
) -> None:
    shimmed: dict[str, Any] = shim_page.evaluate(LOCAL_ROLLBACK_GLARE_AND_PRANSWER)
    native: dict[str, Any] = native_page.evaluate(LOCAL_ROLLBACK_GLARE_AND_PRANSWER)
    assert {**shimmed, "log": None} == {**native, "log": None}
    # Each state's descriptions as webrtc-pc sets them before the event (Chromium already
    # shows the remote offer at the implicit rollback's "stable").
    offer, stable = ["have-local-offer", "offer", None], ["stable", None, None]
    assert shimmed["log"] == [
        offer, stable, offer, stable, offer, stable, ["have-remote-offer", None, "offer"],
        ["have-local-pranswer", "pranswer", "offer"], stable,
    ]


CLOSED_DURING_ROLLBACK = """async () => {
  const pc = new RTCPeerConnection();
  await pc.setLocalDescription();
  const outcome = [];
  pc.setRemoteDescription(pc.localDescription).then(() => outcome.push('resolved'), (error) => outcome.push(error.name));
  pc.close();
  await settled();
  return outcome;
}"""


def test_closing_during_an_implicit_rollback_neither_resolves_nor_rejects(shim_page: Page) -> None:
    assert shim_page.evaluate(CLOSED_DURING_ROLLBACK) == []


CLOSED_AFTER_AN_UNPARSABLE_OFFER = """async () => {
  const pc = new RTCPeerConnection();
  await pc.setLocalDescription();
  const outcome = pc.setRemoteDescription({ type: 'offer', sdp: 'Invalid SDP' })
    .then(() => 'resolved', (error) => error.name);
  pc.close();
  // The SDP is read in a worker thread: wait for the answer itself, not a round trip.
  return [await within(outcome, 'the unparsable offer settles')];
}"""


def test_an_unparsable_offer_rejects_though_close_came_after_as_in_chromium(
    shim_page: Page, native_page: Page,
) -> None:
    # Chromium reads the SDP when it is given: the implicit rollback's failure still rejects.
    shimmed = shim_page.evaluate(CLOSED_AFTER_AN_UNPARSABLE_OFFER)
    assert shimmed == native_page.evaluate(CLOSED_AFTER_AN_UNPARSABLE_OFFER) == ["OperationError"]


STREAM_CHANGE_ROLLED_BACK = """async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const other = new MediaStream();
  const pc1 = new RTCPeerConnection();
  const pc2 = new RTCPeerConnection();
  pc1.addTrack(stream.getTracks()[0], stream);
  const name = (remote) => (remote.id === stream.id ? 'first' : remote.id === other.id ? 'second' : remote.id);
  const seen = [];
  pc2.ontrack = (event) => seen.push([...event.streams.map(name), event.streams[0].getTracks().length]);
  await negotiate(pc1, pc2);
  pc1.getTransceivers()[0].sender.setStreams(other);
  await pc2.setRemoteDescription(await pc1.createOffer());
  await pc2.setRemoteDescription({ type: 'rollback' });
  for (const track of stream.getTracks()) track.stop();
  pc1.close();
  pc2.close();
  return { seen };
}"""


def test_a_rollback_moves_a_remote_track_back_to_its_stream_as_chromium_does(
    shim_page: Page, native_page: Page,
) -> None:
    shimmed = shim_page.evaluate(STREAM_CHANGE_ROLLED_BACK)
    assert shimmed == native_page.evaluate(STREAM_CHANGE_ROLLED_BACK)
    assert shimmed["seen"] == [["first", 1], ["second", 1], ["first", 1]]
