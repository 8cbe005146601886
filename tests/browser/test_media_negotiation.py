"""The modern media API and renegotiation, between two shimmed peer connections in one shim_page.

`a` offers, `b` answers (`negotiate(a, b)`); candidates travel inside the descriptions.
What the remote side receives is played and its frame counters read back.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from rtcshim.dispatchers.media_stream_track import MediaTrackDispatcher
from rtcshim.dispatchers.transceiver import TransceiverDispatcher
from rtcshim.serving import ServerThread

from .page_helpers import run


def server_transceivers(server: ServerThread) -> list[TransceiverDispatcher]:
    return [o for o in server.registry.objects() if isinstance(o, TransceiverDispatcher)]


def media_sections(sdp: str) -> list[list[str]]:
    """The lines of each m= section of `sdp`."""
    sections: list[list[str]] = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            sections.append([])
        if sections:
            sections[-1].append(line)
    return sections


def direction_of(section: list[str]) -> str:
    (direction,) = [line[2:] for line in section if line in
                    ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive")]
    return direction


# --- senders, receivers, transceivers -------------------------------------------------


def test_add_track_returns_a_sender_with_the_track(shim_page: Page, server: ServerThread) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true }), 'getUserMedia');
      const [track] = stream.getAudioTracks();
      const pc = new RTCPeerConnection();
      const sender = pc.addTrack(track, stream);
      const [transceiver] = pc.getTransceivers();
      const [receiver] = pc.getReceivers();
      await within(pc.createOffer(), 'createOffer');  // a round trip: the server has the transceiver
      return {
        isSender: sender instanceof RTCRtpSender,
        senderTrack: sender.track === track,
        senders: pc.getSenders().length === 1 && pc.getSenders()[0] === sender,
        transceiverSender: transceiver.sender === sender,
        transceiverReceiver: transceiver.receiver === receiver,
        direction: transceiver.direction, mid: transceiver.mid, currentDirection: transceiver.currentDirection,
        receiverTrack: [receiver.track.kind, receiver.track.readyState, receiver.track.muted,
                        receiver.track !== track],
        trackId: track.id,
      };
    }""")
    assert result == {
        "isSender": True, "senderTrack": True, "senders": True, "transceiverSender": True,
        "transceiverReceiver": True, "direction": "sendrecv", "mid": None, "currentDirection": None,
        "receiverTrack": ["audio", "live", True, True], "trackId": result["trackId"],
    }
    (transceiver,) = server_transceivers(server)
    assert transceiver.sender_track is not None
    assert transceiver.sender_track.track_id == result["trackId"]
    assert transceiver.transceiver.direction == "sendrecv"


def test_senders_receivers_transceivers_keep_identity_across_negotiations(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true, video: true }), 'getUserMedia');
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      stream.getTracks().forEach((track) => a.addTrack(track, stream));
      const snapshot = (pc) => ({
        senders: pc.getSenders(), receivers: pc.getReceivers(), transceivers: pc.getTransceivers(),
        receiverTracks: pc.getReceivers().map((receiver) => receiver.track),
      });
      const same = (before, after) => Object.keys(before).every((key) =>
        before[key].length === after[key].length && before[key].every((item, index) => item === after[key][index]));
      const aBefore = snapshot(a);
      const callsAgree = same(snapshot(a), aBefore);
      await negotiate(a, b);
      const bFirst = snapshot(b);
      const afterFirst = same(aBefore, snapshot(a));
      // A renegotiation from the other side.
      await negotiate(b, a);
      return {
        callsAgree, afterFirst,
        afterSecond: [same(aBefore, snapshot(a)), same(bFirst, snapshot(b))],
        counts: [aBefore.transceivers.length, bFirst.transceivers.length],
        bSides: bFirst.transceivers.map((t) => b.getSenders().includes(t.sender) && b.getReceivers().includes(t.receiver)),
      };
    }""")
    assert result == {
        "callsAgree": True, "afterFirst": True, "afterSecond": [True, True], "counts": [2, 2],
        "bSides": [True, True],
    }


def test_add_transceiver_recvonly_offers_recvonly_audio(shim_page: Page, server: ServerThread) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      const transceiver = pc.addTransceiver('audio', { direction: 'recvonly' });
      const offer = await within(pc.createOffer(), 'createOffer');
      return {
        sdp: offer.sdp, direction: transceiver.direction, sender: transceiver.sender.track,
        receiverKind: transceiver.receiver.track.kind, listed: pc.getTransceivers()[0] === transceiver,
      };
    }""")
    (section,) = media_sections(result["sdp"])
    assert section[0].startswith("m=audio ")
    assert direction_of(section) == "recvonly"
    assert result["direction"] == "recvonly"
    assert result["sender"] is None
    assert result["receiverKind"] == "audio"
    assert result["listed"] is True
    (transceiver,) = server_transceivers(server)
    assert (transceiver.transceiver.kind, transceiver.transceiver.direction) == ("audio", "recvonly")


@pytest.mark.parametrize("form", ["promise", "legacy"])
def test_offer_to_receive_without_tracks_adds_transceivers(shim_page: Page, server: ServerThread, form: str) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async (form) => {
      const pc = new RTCPeerConnection();
      const before = pc.getTransceivers().length;
      const offer = form === 'promise'
        ? await within(pc.createOffer({ offerToReceiveAudio: true, offerToReceiveVideo: true }), 'createOffer')
        : await within(new Promise((resolve, reject) => pc.createOffer(resolve, reject,
            { mandatory: { OfferToReceiveAudio: true, OfferToReceiveVideo: true } })), 'the legacy createOffer');
      return {
        before, sdp: offer.sdp,
        transceivers: pc.getTransceivers().map((t) => [t.receiver.track.kind, t.direction, t.mid]),
        same: pc.getTransceivers().every((t, i) => t === pc.getTransceivers()[i]),
      };
    }""", form)
    assert result["before"] == 0
    sections = media_sections(result["sdp"])
    assert [section[0].split()[0] for section in sections] == ["m=audio", "m=video"]
    assert [direction_of(section) for section in sections] == ["recvonly", "recvonly"]
    assert result["transceivers"] == [["audio", "recvonly", None], ["video", "recvonly", None]]
    assert result["same"] is True
    assert sorted(t.transceiver.kind for t in server_transceivers(server)) == ["audio", "video"]


@pytest.mark.parametrize("form", ["promise", "legacy"])
def test_offer_to_receive_false_takes_receiving_away(shim_page: Page, server: ServerThread, form: str) -> None:
    """webrtc-pc legacy extensions: sendrecv becomes sendonly, recvonly inactive; the page's
    transceivers show it when createOffer resolves, and so does the offer."""
    result: dict[str, Any] = run(shim_page, """async (form) => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true, video: true }), 'getUserMedia');
      const pc = new RTCPeerConnection();
      pc.addTrack(stream.getAudioTracks()[0], stream);
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'sendonly' });
      pc.addTransceiver('video', { direction: 'inactive' });
      const offer = form === 'promise'
        ? await within(pc.createOffer({ offerToReceiveAudio: false, offerToReceiveVideo: false }), 'createOffer')
        : await within(new Promise((resolve, reject) => pc.createOffer(resolve, reject,
            { mandatory: { OfferToReceiveAudio: false, OfferToReceiveVideo: false } })), 'the legacy createOffer');
      return { sdp: offer.sdp, directions: pc.getTransceivers().map((t) => t.direction) };
    }""", form)
    expected = ["sendonly", "inactive", "sendonly", "inactive"]
    assert result["directions"] == expected
    assert [direction_of(section) for section in media_sections(result["sdp"])] == expected
    assert [t.transceiver.direction for t in server_transceivers(server)] == expected


def test_offer_to_receive_true_beside_a_sendonly_transceiver_adds_a_recvonly_one(shim_page: Page) -> None:
    """A sendonly transceiver does not receive: the option adds one that does (webrtc-pc,
    and Chromium), and leaves the sendonly one as it was."""
    result: dict[str, Any] = run(shim_page, """async () => {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('audio', { direction: 'sendonly' });
      await within(pc.createOffer({ offerToReceiveAudio: true }), 'createOffer');
      const first = pc.getTransceivers().map((t) => t.direction);
      await within(pc.createOffer({ offerToReceiveAudio: true }), 'the second createOffer');
      return { first, second: pc.getTransceivers().map((t) => t.direction) };
    }""")
    assert result == {"first": ["sendonly", "recvonly"], "second": ["sendonly", "recvonly"]}


def test_transceiver_stopped_is_true_from_stop_on(shim_page: Page) -> None:
    """The attribute webrtc-pc had until 2020 and Chromium still has: stop(), a rejected
    section at the remote, and close() set it."""
    result: dict[str, Any] = run(shim_page, """async () => {
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      const stopped = a.addTransceiver('audio');
      const closed = a.addTransceiver('video');
      const states = { added: [stopped.stopped, closed.stopped] };
      await negotiate(a, b);
      const [remote] = b.getTransceivers();
      stopped.stop();
      states.afterStop = [stopped.stopped, stopped.direction, closed.stopped];
      await negotiate(a, b);
      states.remote = [remote.stopped, remote.direction];
      a.close();
      states.afterClose = closed.stopped;
      states.readonly = Object.getOwnPropertyDescriptor(RTCRtpTransceiver.prototype, 'stopped').set === undefined;
      return states;
    }""")
    assert result == {
        "added": [False, False], "afterStop": [True, "stopped", False],
        "remote": [True, "stopped"], "afterClose": True, "readonly": True,
    }


def test_mid_is_null_until_the_offer_is_set(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      const transceiver = a.addTransceiver('video');
      const mids = { added: transceiver.mid };
      const offer = await within(a.createOffer(), 'createOffer');
      mids.afterCreateOffer = transceiver.mid;
      await within(a.setLocalDescription(offer), 'setLocalDescription');
      mids.afterSetLocal = transceiver.mid;
      await within(b.setRemoteDescription(a.localDescription), 'setRemoteDescription');
      mids.remote = b.getTransceivers().map((t) => t.mid);
      await within(b.setLocalDescription(await b.createAnswer()), 'the answer');
      await within(a.setRemoteDescription(b.localDescription), 'the answer set remotely');
      mids.negotiated = transceiver.mid;
      mids.sdpMid = /^a=mid:(\\S+)$/m.exec(a.localDescription.sdp)[1];
      return mids;
    }""")
    assert result["added"] is None
    assert result["afterCreateOffer"] is None
    assert isinstance(result["afterSetLocal"], str)
    assert result["afterSetLocal"] == result["sdpMid"] == result["negotiated"]
    assert result["remote"] == [result["negotiated"]]


def test_add_track_in_the_task_that_set_a_remote_offer_takes_the_offer_s_section(shim_page: Page) -> None:
    """webrtc-pc applies a remote description after the task that asked: an addTrack later
    in that task makes the transceiver the offer then takes (one, not two), however long
    the task runs on (50 ms here, time enough for the server to apply the offer first)."""
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      a.addTransceiver('audio');
      const offer = await within(a.createOffer(), 'createOffer');
      const [track] = (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks();
      const applied = b.setRemoteDescription(offer);
      const until = performance.now() + 50;
      while (performance.now() < until) { /* the same task, still */ }
      const sender = b.addTrack(track);
      await within(applied, 'setRemoteDescription');
      const transceivers = b.getTransceivers();
      return { count: transceivers.length, sameSender: transceivers[0].sender === sender,
               mid: transceivers[0].mid };
    }""")
    assert result == {"count": 1, "sameSender": True, "mid": "0"}


def test_current_direction_after_negotiation(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true }), 'getUserMedia');
      const [track] = stream.getVideoTracks();
      const directions = (pc) => pc.getTransceivers().map((t) => [t.direction, t.currentDirection]);
      // b only receives.
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      a.addTrack(track, stream);
      const before = directions(a);
      await negotiate(a, b);
      const oneWay = { a: directions(a), b: directions(b) };
      // d sends back: addTrack takes the transceiver the offer made.
      const c = new RTCPeerConnection();
      const d = new RTCPeerConnection();
      c.addTrack(track, stream);
      await within(c.setLocalDescription(await c.createOffer()), 'the offer');
      await within(d.setRemoteDescription(c.localDescription), 'the offer set remotely');
      const reused = d.addTrack(track.clone()) === d.getTransceivers()[0].sender;
      await within(d.setLocalDescription(await d.createAnswer()), 'the answer');
      await within(c.setRemoteDescription(d.localDescription), 'the answer set remotely');
      return { before, oneWay, reused, twoWay: { c: directions(c), d: directions(d) } };
    }""")
    assert result["before"] == [["sendrecv", None]]
    assert result["oneWay"] == {"a": [["sendrecv", "sendonly"]], "b": [["recvonly", "recvonly"]]}
    assert result["reused"] is True
    assert result["twoWay"] == {"c": [["sendrecv", "sendrecv"]], "d": [["sendrecv", "sendrecv"]]}


def test_direction_setter_fires_negotiation_needed(shim_page: Page, server: ServerThread) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      const transceiver = a.addTransceiver('video');
      await negotiate(a, b);
      await roundTrip();  // any negotiationneeded of the first negotiation has fired
      const fired = nextEvent(a, 'negotiationneeded', 'negotiationneeded after the direction changed');
      transceiver.direction = 'recvonly';
      await fired;
      const state = { direction: transceiver.direction, currentDirection: transceiver.currentDirection };
      let badDirection;
      try { transceiver.direction = 'sideways'; } catch (error) { badDirection = error.name; }
      await negotiate(a, b);
      return { state, badDirection, negotiated: transceiver.currentDirection,
               remote: b.getTransceivers().map((t) => t.currentDirection) };
    }""")
    assert result["state"] == {"direction": "recvonly", "currentDirection": "sendonly"}
    assert result["badDirection"] == "TypeError"
    # a only receives now, and b (which has nothing to send) only receives too.
    assert result["negotiated"] == "inactive"
    assert result["remote"] == ["inactive"]
    directions = sorted(t.transceiver.direction for t in server_transceivers(server))
    assert directions == ["recvonly", "recvonly"]


# --- changing what is sent ------------------------------------------------------------


def test_replace_track_switches_remote_video_without_renegotiation(shim_page: Page, server: ServerThread) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const large = await within(navigator.mediaDevices.getUserMedia({ video: true }), 'getUserMedia');
      const small = await within(navigator.mediaDevices.getUserMedia(
        { video: { width: { exact: 320 }, height: { exact: 240 } } }), 'getUserMedia at 320x240');
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      const sender = a.addTrack(large.getVideoTracks()[0], large);
      const received = new Promise((resolve) => { b.ontrack = (event) => resolve(event.streams[0]); });
      await negotiate(a, b);
      const remote = await playVideo(await within(received, 'the remote track'));
      await videoSize(remote, 640, 480, 'the remote video');
      await counterAdvances(remote, 'the remote video');
      const events = [];
      for (const pc of [a, b]) {
        pc.addEventListener('negotiationneeded', () => events.push('negotiationneeded'));
        pc.addEventListener('signalingstatechange', () => events.push('signalingstatechange'));
        pc.addEventListener('track', () => events.push('track'));
      }
      const localDescription = a.localDescription.sdp;
      await within(sender.replaceTrack(small.getVideoTracks()[0]), 'replaceTrack');
      await videoSize(remote, 320, 240, 'the remote video after replaceTrack');
      const counters = await counterAdvances(remote, 'the remote video after replaceTrack');
      await roundTrip();
      return {
        counters, events, senderTrack: sender.track === small.getVideoTracks()[0],
        states: [a.signalingState, b.signalingState],
        sameDescription: a.localDescription.sdp === localDescription,
        smallId: small.getVideoTracks()[0].id,
        stillLive: large.getVideoTracks()[0].readyState,
      };
    }""")
    assert result["counters"][1] > result["counters"][0]
    assert result["events"] == []
    assert result["senderTrack"] is True
    assert result["states"] == ["stable", "stable"]
    assert result["sameDescription"] is True
    assert result["stillLive"] == "live"
    senders = [t.sender_track for t in server_transceivers(server) if t.sender_track is not None]
    assert [track.track_id for track in senders] == [result["smallId"]]


def test_remove_track_renegotiated_removes_the_remote_track(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true, video: true }), 'getUserMedia');
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      const senders = stream.getTracks().map((track) => a.addTrack(track, stream));
      const videoSender = senders.find((sender) => sender.track.kind === 'video');
      const audioSender = senders.find((sender) => sender.track.kind === 'audio');
      await negotiate(a, b);
      await roundTrip();
      const [remote] = b.getRemoteStreams();
      const remoteVideo = remote.getVideoTracks()[0];
      await until(() => !remoteVideo.muted, 'the remote video unmutes as its media arrives');
      const events = [];
      remote.onremovetrack = (event) => events.push(`removetrack ${event.track.kind} ${event.track === remoteVideo}`);
      remoteVideo.onmute = () => events.push('mute video');
      remoteVideo.onended = () => events.push('ended video');
      b.onremovestream = (event) => events.push(`removestream ${event.stream === remote}`);

      const needed = nextEvent(a, 'negotiationneeded', 'negotiationneeded after removeTrack');
      a.removeTrack(videoSender);
      const immediately = { senderTrack: videoSender.track, listed: a.getSenders().includes(videoSender) };
      await needed;
      await negotiate(a, b);
      await roundTrip();
      const videoTransceiver = (pc) => pc.getTransceivers().find((t) => t.receiver.track.kind === 'video');
      const afterVideo = {
        events: [...events],
        remoteKinds: remote.getTracks().map((track) => track.kind),
        remoteVideo: [remoteVideo.readyState, remoteVideo.muted],
        a: [videoTransceiver(a).direction, videoTransceiver(a).currentDirection],
        b: [videoTransceiver(b).direction, videoTransceiver(b).currentDirection],
      };
      // The stream's last track goes: the 2013 removestream.
      a.removeTrack(audioSender);
      await negotiate(a, b);
      await roundTrip();
      return { immediately, afterVideo, events, remoteStreams: b.getRemoteStreams().length };
    }""")
    assert result["immediately"] == {"senderTrack": None, "listed": True}
    # webrtc-pc "process the removal of a remote track": muted, then out of its streams.
    assert sorted(result["afterVideo"]["events"]) == ["mute video", "removetrack video true"]
    del result["afterVideo"]["events"]
    assert result["afterVideo"] == {
        "remoteKinds": ["audio"],
        "remoteVideo": ["live", True],
        "a": ["recvonly", "inactive"],
        "b": ["recvonly", "inactive"],
    }
    assert result["events"][2:] == ["removetrack audio false", "removestream true"]
    assert result["remoteStreams"] == 0


def test_remove_stream_renegotiated_fires_removestream(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true, video: true }), 'getUserMedia');
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      const added = new Promise((resolve) => { b.onaddstream = (event) => resolve(event.stream); });
      a.addStream(stream);
      await negotiate(a, b);
      const remote = await within(added, 'addstream');
      const removed = new Promise((resolve) => { b.onremovestream = (event) => resolve(event.stream); });
      const needed = nextEvent(a, 'negotiationneeded', 'negotiationneeded after removeStream');
      a.removeStream(stream);
      const local = a.getLocalStreams().length;
      await needed;
      await negotiate(a, b);
      const gone = await within(removed, 'removestream');
      return {
        ids: [remote.id, gone.id, stream.id], same: gone === remote, local,
        remoteStreams: b.getRemoteStreams().length, senders: a.getSenders().map((sender) => sender.track),
        localTracks: stream.getTracks().map((track) => track.readyState),
      };
    }""")
    stream_id = result["ids"][2]
    assert result["ids"] == [stream_id, stream_id, stream_id]
    assert result["same"] is True
    assert result["local"] == 0
    assert result["remoteStreams"] == 0
    assert result["senders"] == [None, None]
    assert result["localTracks"] == ["live", "live"]


@pytest.mark.parametrize("who", ["offerer", "answerer"])
def test_second_stream_mid_call_reaches_the_remote(shim_page: Page, who: str) -> None:
    """Either side adds a stream during the call and offers again: the other gets addstream."""
    result: dict[str, Any] = shim_page.evaluate("""async (who) => {
      const first = await within(navigator.mediaDevices.getUserMedia({ video: true }), 'getUserMedia');
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      const firstAtB = new Promise((resolve) => { b.onaddstream = (event) => resolve(event.stream); });
      a.addStream(first);
      await negotiate(a, b);
      const firstVideo = await playVideo(await within(firstAtB, 'addstream of the first stream'));
      await counterAdvances(firstVideo, 'the first stream');

      const [adder, other] = who === 'offerer' ? [a, b] : [b, a];
      const second = await within(navigator.mediaDevices.getUserMedia(
        { video: { width: { exact: 320 }, height: { exact: 240 } } }), 'getUserMedia at 320x240');
      const secondAtOther = new Promise((resolve) => { other.onaddstream = (event) => resolve(event.stream); });
      const needed = nextEvent(adder, 'negotiationneeded', 'negotiationneeded after addStream');
      adder.addStream(second);
      await needed;
      await negotiate(adder, other);
      const remote = await within(secondAtOther, 'addstream of the second stream');
      const secondVideo = await playVideo(remote);
      await videoSize(secondVideo, 320, 240, 'the second stream');
      return {
        ids: [remote.id, second.id],
        second: await counterAdvances(secondVideo, 'the second stream'),
        first: await counterAdvances(firstVideo, 'the first stream after renegotiating'),
        remoteStreams: other.getRemoteStreams().map((stream) => stream.id).includes(second.id),
        states: [a.signalingState, b.signalingState],
      };
    }""", who)
    assert result["ids"][0] == result["ids"][1]
    assert result["second"][1] > result["second"][0]
    assert result["first"][1] > result["first"][0]
    assert result["remoteStreams"] is True
    assert result["states"] == ["stable", "stable"]


def test_transceiver_stop_rejects_its_section(shim_page: Page, server: ServerThread) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true, video: true }), 'getUserMedia');
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      stream.getTracks().forEach((track) => a.addTrack(track, stream));
      const received = new Promise((resolve) => {
        b.ontrack = (event) => { if (event.track.kind === 'video') resolve(event.streams[0]); };
      });
      await negotiate(a, b);
      const remote = await within(received, 'the remote video');
      const video = await playVideo(remote);
      await counterAdvances(video, 'the remote video');
      await roundTrip();

      const audio = a.getTransceivers().find((t) => t.receiver.track.kind === 'audio');
      const remoteAudio = b.getTransceivers().find((t) => t.mid === audio.mid);
      const events = [];
      remoteAudio.receiver.track.onended = () => events.push('remote audio ended');
      remote.onremovetrack = (event) => events.push(`removetrack ${event.track.kind}`);
      audio.stop();
      const stopping = audio.direction;
      audio.stop();  // again: nothing happens
      // (test_transceiver_stop_fires_negotiation_needed waits for the event; here the page
      // renegotiates on its own.)
      await negotiate(a, b);
      await roundTrip();
      return {
        stopping, events,
        offeredPort: /^m=audio (\\d+) /m.exec(a.localDescription.sdp)[1],
        a: a.getTransceivers().map((t) => t.receiver.track.kind),
        b: b.getTransceivers().map((t) => t.receiver.track.kind),
        remoteAudio: [remoteAudio.receiver.track.readyState, remoteAudio.currentDirection],
        localAudio: audio.currentDirection,
        senders: a.getSenders().map((sender) => sender.track && sender.track.kind),
        video: await counterAdvances(video, 'the remote video after stop()'),
      };
    }""")
    assert result["stopping"] == "stopped"
    assert result["offeredPort"] == "0"
    assert result["localAudio"] == "stopped"
    assert result["a"] == ["video"]
    assert result["b"] == ["video"]
    assert result["remoteAudio"] == ["ended", "stopped"]
    assert sorted(result["events"]) == ["remote audio ended", "removetrack audio"]
    assert result["senders"] == ["video"]
    assert result["video"][1] > result["video"][0]
    stopped = [t.transceiver.kind for t in server_transceivers(server) if t.transceiver.stopped]
    assert stopped == ["audio", "audio"]


def test_transceiver_stop_fires_negotiation_needed(shim_page: Page) -> None:
    """webrtc-pc: a stopped transceiver whose m= section is not yet rejected needs negotiation."""
    result: str = shim_page.evaluate("""async () => {
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      const transceiver = a.addTransceiver('audio');
      await negotiate(a, b);
      await roundTrip();  // any negotiationneeded of the first negotiation has fired
      const needed = nextEvent(a, 'negotiationneeded', 'negotiationneeded after stop()');
      transceiver.stop();
      await needed;
      return transceiver.direction;
    }""")
    assert result == "stopped"


def test_close_ends_remote_tracks_and_keeps_local_ones(shim_page: Page, server: ServerThread) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true, video: true }), 'getUserMedia');
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      stream.getTracks().forEach((track) => a.addTrack(track, stream));
      await negotiate(a, b);
      const remoteTracks = b.getReceivers().map((receiver) => receiver.track);
      const preview = await playVideo(stream);
      a.close();
      b.close();
      await roundTrip();
      return {
        remote: remoteTracks.map((track) => track.readyState),
        local: stream.getTracks().map((track) => track.readyState),
        preview: await counterAdvances(preview, 'the local preview after close()'),
        ids: stream.getTracks().map((track) => track.id),
      };
    }""")
    assert result["remote"] == ["ended", "ended"]
    assert result["local"] == ["live", "live"]
    assert result["preview"][1] > result["preview"][0]
    assert server_transceivers(server) == []
    tracks = [o for o in server.registry.objects() if isinstance(o, MediaTrackDispatcher)]
    assert sorted(track.track_id for track in tracks) == sorted(result["ids"])
    assert not any(track.ended for track in tracks)


# --- errors ---------------------------------------------------------------------------


def test_media_method_errors(shim_page: Page) -> None:
    errors: dict[str, str] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true, video: true }), 'getUserMedia');
      const [audio] = stream.getAudioTracks();
      const [video] = stream.getVideoTracks();
      const pc = new RTCPeerConnection();
      const other = new RTCPeerConnection();
      const closed = new RTCPeerConnection();
      closed.close();
      const sender = pc.addTrack(video, stream);
      const foreign = other.addTrack(audio, stream);
      const names = {};
      const attempt = (name, run) => {
        try { run(); names[name] = 'returned'; } catch (error) { names[name] = error.name; }
      };
      attempt('addTrackTwice', () => pc.addTrack(video, stream));
      attempt('addTrackClosed', () => closed.addTrack(audio, stream));
      attempt('removeTrackForeign', () => pc.removeTrack(foreign));
      attempt('removeTrackClosed', () => closed.removeTrack(sender));
      attempt('addTransceiverData', () => pc.addTransceiver('data'));
      attempt('addTransceiverBadDirection', () => pc.addTransceiver('audio', { direction: 'sideways' }));
      attempt('addTransceiverClosed', () => closed.addTransceiver('audio'));
      attempt('addTrackNotATrack', () => pc.addTrack(stream));
      names.replaceTrackWrongKind = await within(sender.replaceTrack(audio).then(() => 'resolved', (e) => e.name),
                                                 'replaceTrack settles');
      names.senderTrackKept = sender.track === video ? 'kept' : 'changed';
      names.transceivers = String(pc.getTransceivers().length);
      return names;
    }""")
    assert errors == {
        "addTrackTwice": "InvalidAccessError",
        "addTrackClosed": "InvalidStateError",
        "removeTrackForeign": "InvalidAccessError",
        "removeTrackClosed": "InvalidStateError",
        "addTransceiverData": "TypeError",
        "addTransceiverBadDirection": "TypeError",
        "addTransceiverClosed": "InvalidStateError",
        "addTrackNotATrack": "TypeError",
        "replaceTrackWrongKind": "TypeError",
        "senderTrackKept": "kept",
        "transceivers": "1",
    }


def test_track_in_two_streams_is_in_both_remote_streams(shim_page: Page) -> None:
    """addTrack(track, s1, s2): the description carries one a=msid per stream (RFC 8830),
    the local one too, and the remote track event brings both streams, each holding it."""
    result: dict[str, Any] = run(shim_page, """async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true }), 'getUserMedia');
      const other = new MediaStream();
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      const [track] = stream.getAudioTracks();
      a.addTrack(track, stream, other);
      const trackEvent = nextEvent(b, 'track');
      await negotiate(a, b);
      const event = await trackEvent;
      const msids = (sdp) => sdp.split('\\r\\n').filter((line) => line.startsWith('a=msid:'));
      return {
        ids: [stream.id, other.id, track.id],
        offered: msids(b.remoteDescription.sdp), local: msids(a.localDescription.sdp),
        streams: event.streams.map((s) => [s.id, s.getTracks().length, s.getTracks()[0] === event.track]),
        remoteStreams: b.getRemoteStreams().map((s) => s.id),
      };
    }""")
    stream_id, other_id, track_id = result["ids"]
    assert result["offered"] == [f"a=msid:{stream_id} {track_id}", f"a=msid:{other_id} {track_id}"]
    assert result["local"] == result["offered"]
    assert result["streams"] == [[stream_id, 1, True], [other_id, 1, True]]
    assert result["remoteStreams"] == [stream_id, other_id]


def test_addstream_fires_once_per_stream_holding_all_its_tracks(shim_page: Page) -> None:
    """A description bringing a stream's audio and video: its track events see the stream
    whole, and addstream follows them, once, with both tracks in the stream."""
    result: dict[str, Any] = run(shim_page, """async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true, video: true }), 'getUserMedia');
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      a.addStream(stream);
      const seen = [];
      b.ontrack = (event) => seen.push(`track ${event.track.kind} ${event.streams[0].getTracks().length}`);
      b.onaddstream = (event) => seen.push(`addstream ${event.stream.getAudioTracks().length} ${event.stream.getVideoTracks().length}`);
      await within(a.setLocalDescription(await a.createOffer()), 'the offer');
      await within(b.setRemoteDescription(a.localDescription), 'setRemoteDescription');
      seen.push('resolved');
      return seen;
    }""")
    assert result == ["track audio 2", "track video 2", "addstream 1 1", "resolved"]


def test_remote_track_is_muted_until_its_media_arrives(shim_page: Page) -> None:
    result: dict[str, Any] = run(shim_page, """async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true }), 'getUserMedia');
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      a.addTrack(stream.getAudioTracks()[0], stream);
      const trackEvent = nextEvent(b, 'track');
      const negotiated = trickleNegotiate(a, b);
      const { track } = await trackEvent;
      const mutedAtTrackEvent = track.muted;
      await nextEvent(track, 'unmute', 'the remote track unmutes as media arrives');
      await negotiated;
      return { mutedAtTrackEvent, mutedNow: track.muted };
    }""")
    assert result == {"mutedAtTrackEvent": True, "mutedNow": False}
