"""RTCDTMFSender through the bridge: tones leave as RFC 4733 events, the receiving server decodes them.

Every test that sends tones reads them back from the receiving side's server
(`TransceiverDispatcher.dtmf_received`), where the RTP packets were decoded. The RTP
timestamps the sender wrote follow the spec's schedule exactly, whatever the pace; the
pace is checked on the page's clock at each tonechange (a lower bound only).
"""

from __future__ import annotations

from playwright.sync_api import Page

from rtcshim.serving import ServerThread

from .dtmf_checks import assert_paced, received_tones, receiving_transceivers, start_spacing_ms
from .page_helpers import assert_tone


def start_call(page: Page, **options: bool) -> None:
    page.evaluate("(options) => dtmfCall(options).then(() => undefined)", options)


def server_dtmf_timing(server: ServerThread) -> tuple[int, int]:
    """(duration, gap) in ms of the server's one DTMF sender: what the page's insertDTMF sent."""
    async def read() -> tuple[int, int]:
        [sender] = [o for o in server.registry.objects() if o.interface == "DtmfSender"]
        return sender.duration_ms, sender.inter_tone_gap_ms

    return server.run(read())


def test_tones_reach_the_other_peer_and_tonechange_follows_the_buffer(shim_page: Page, server: ServerThread) -> None:
    start_call(shim_page)
    log = shim_page.evaluate("""async () => {
        const dtmf = dtmfPair.sender.dtmf;
        logTones(dtmf);
        dtmf.insertDTMF('1a#');
        const bufferAtOnce = dtmf.toneBuffer;
        const log = await tonesDone(dtmf);
        return { bufferAtOnce, log, bufferAfter: dtmf.toneBuffer, span: toneSpanMs(dtmf) };
    }""")
    assert log["bufferAtOnce"] == "1A#"
    assert_paced(log["span"], "1A#", 100, 70)
    assert log["log"] == [
        {"tone": "1", "toneBuffer": "A#"}, {"tone": "A", "toneBuffer": "#"},
        {"tone": "#", "toneBuffer": ""}, {"tone": "", "toneBuffer": ""},
    ]
    [receiving] = receiving_transceivers(server)
    tones = received_tones(server, receiving, 3)
    assert [tone.tone for tone in tones] == ["1", "A", "#"]
    assert [tone.duration_ms for tone in tones] == [100, 100, 100]
    # Opus was negotiated: telephone-event/48000; each tone starts 100 + 70 ms after the last.
    assert {tone.clock_rate for tone in tones} == {48000}
    assert start_spacing_ms(tones) == [170, 170]


def test_comma_pauses_two_seconds_between_tones(shim_page: Page, server: ServerThread) -> None:
    start_call(shim_page)
    log = shim_page.evaluate("""async () => {
        const dtmf = dtmfPair.sender.dtmf;
        logTones(dtmf);
        dtmf.insertDTMF('1,2', 40, 30);
        return { tones: (await tonesDone(dtmf)).map((entry) => entry.tone), span: toneSpanMs(dtmf) };
    }""")
    assert log["tones"] == ["1", ",", "2", ""]
    # RTP timestamps follow the schedule whatever the pace: the page's clock checks the pace.
    assert_paced(log["span"], "1,2", 40, 30)
    [receiving] = receiving_transceivers(server)
    tones = received_tones(server, receiving, 2)
    assert [tone.tone for tone in tones] == ["1", "2"]
    # 40 ms tone, 30 ms gap, then the comma's 2000 ms.
    assert start_spacing_ms(tones) == [2070]


def test_duration_and_gap_are_clamped(shim_page: Page, server: ServerThread) -> None:
    """The clamped values reach the server, which times every tone by them (the RTP
    spacing of duration + gap and the page's pace: test_tones_reach_the_other_peer...,
    test_comma_pauses...; a 6000 ms tone's 65535-sample segments: tests/test_dtmf.py)."""
    start_call(shim_page)
    shim_page.evaluate("() => logTones(dtmfPair.sender.dtmf)")
    timings: dict[str, tuple[int, int]] = {}
    for call, settled in [
        # -5 is 4294967291 as an unsigned long: clamped to 6000. Its first tone starts
        # before the next call replaces the tones still waiting.
        ("insertDTMF('12', 1, -5)", "until(() => dtmf.log.some((entry) => entry.tone === '1'), 'tone 1 starts')"),
        ("insertDTMF('3', 10000)", "roundTrip()"),
        ("insertDTMF('45', 40, 10)", "roundTrip()"),
    ]:
        # The server has the call once a later answer came back (or its tone started).
        shim_page.evaluate(f"async () => {{ const dtmf = dtmfPair.sender.dtmf; dtmf.{call}; await {settled}; }}")
        timings[call] = server_dtmf_timing(server)
    # 40 ms at least, 6000 ms at most; the gap 30 ms at least, 6000 ms at most.
    assert list(timings.values()) == [(40, 6000), (6000, 70), (40, 30)], timings
    # The first tone was played with the clamped duration, as the receiving server decoded it.
    [receiving] = receiving_transceivers(server)
    [first] = received_tones(server, receiving, 1)
    assert (first.tone, first.duration_ms) == ("1", 40)


def test_insert_dtmf_replaces_the_tones_still_waiting(shim_page: Page, server: ServerThread) -> None:
    start_call(shim_page)
    result = shim_page.evaluate("""async () => {
        const dtmf = dtmfPair.sender.dtmf;
        logTones(dtmf);
        let bufferAfterReplace = null;
        dtmf.addEventListener('tonechange', (event) => {
          if (event.tone === '1') {
            dtmf.insertDTMF('9', 1000);
            bufferAfterReplace = dtmf.toneBuffer;
          }
        }, { once: true });
        dtmf.insertDTMF('12345', 1000);
        const log = await tonesDone(dtmf);
        return { log: log.map((entry) => entry.tone), bufferAfterReplace };
    }""")
    assert result == {"log": ["1", "9", ""], "bufferAfterReplace": "9"}
    [receiving] = receiving_transceivers(server)
    assert [tone.tone for tone in received_tones(server, receiving, 2)] == ["1", "9"]


def test_tonechange_of_an_older_insert_dtmf_fires_but_keeps_the_newer_buffer(shim_page: Page) -> None:
    start_call(shim_page)
    log = shim_page.evaluate("""async () => {
        const dtmf = dtmfPair.sender.dtmf;
        logTones(dtmf);
        dtmf.addEventListener('tonechange', (event) => {
          if (event.tone !== '1') return;
          // The page stays busy while the server plays on: the toneChange events for '2'
          // and the final "" (70 and 140 ms later) wait in the socket until after the next
          // insertDTMF, which arrives when that run is over and starts a run of its own.
          const until = performance.now() + 1000;
          while (performance.now() < until) { /* busy */ }
          dtmf.insertDTMF('9', 40, 30);
        }, { once: true });
        dtmf.insertDTMF('12', 40, 30);
        return await tonesDone(dtmf, 2);
    }""")
    assert log == [
        {"tone": "1", "toneBuffer": "2"},
        {"tone": "2", "toneBuffer": "9"}, {"tone": "", "toneBuffer": "9"},  # the older run's
        {"tone": "9", "toneBuffer": ""}, {"tone": "", "toneBuffer": ""},
    ]


def test_insert_dtmf_refusals_match_the_spec(shim_page: Page) -> None:
    result = shim_page.evaluate("""async () => {
        const attempt = (run) => { try { run(); return 'ok'; } catch (error) { return error.name; } };
        const pc = new RTCPeerConnection();
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        const audio = pc.addTrack(stream.getAudioTracks()[0], stream);
        const video = pc.addTrack(stream.getVideoTracks()[0], stream);
        const dtmf = audio.dtmf;
        const before = {
          sameObject: audio.dtmf === dtmf, videoDtmf: video.dtmf, isDtmfSender: dtmf instanceof RTCDTMFSender,
          canInsert: dtmf.canInsertDTMF, insert: attempt(() => dtmf.insertDTMF('1')),
          // The state is checked before the characters.
          badTone: attempt(() => dtmf.insertDTMF('x')),
          // WebIDL converts all arguments before the state check.
          throwingDuration: attempt(() => dtmf.insertDTMF('1', { valueOf() { throw new RangeError('duration'); } })),
          bigIntGap: attempt(() => dtmf.insertDTMF('1', 100, 70n)),
          symbolTones: attempt(() => dtmf.insertDTMF(Symbol('1'))), noArguments: attempt(() => dtmf.insertDTMF()), buffer: dtmf.toneBuffer,
        };
        // A peer that answers with audio: the sender's currentDirection becomes sendrecv.
        const remote = new RTCPeerConnection();
        remote.addTrack((await navigator.mediaDevices.getUserMedia({ audio: true })).getAudioTracks()[0]);
        await remote.setRemoteDescription(await pc.createOffer().then(async (o) => { await pc.setLocalDescription(o); return o; }));
        await remote.setLocalDescription(await remote.createAnswer());
        await pc.setRemoteDescription(remote.localDescription);
        const negotiated = {
          canInsert: dtmf.canInsertDTMF, badTone: attempt(() => dtmf.insertDTMF('12x')),
          bufferAfterBadTone: dtmf.toneBuffer, lowerCase: attempt(() => dtmf.insertDTMF('abcd*#,', 40, 30)),
          buffer: dtmf.toneBuffer,
        };
        // An inactive encoding cannot send DTMF (webrtc-pc "determine if DTMF can be sent").
        const setActive = (active) => {
          const parameters = audio.getParameters();
          parameters.encodings[0].active = active;
          return audio.setParameters(parameters);
        };
        await setActive(false);
        const inactive = { canInsert: dtmf.canInsertDTMF, insert: attempt(() => dtmf.insertDTMF('1')) };
        await setActive(true);
        inactive.canInsertAgain = dtmf.canInsertDTMF;
        pc.getTransceivers()[0].stop();
        const stopped = { canInsert: dtmf.canInsertDTMF, insert: attempt(() => dtmf.insertDTMF('1')) };
        pc.close();
        remote.close();
        return { before, negotiated, inactive, stopped };
    }""")
    assert result == {
        "before": {"sameObject": True, "videoDtmf": None, "isDtmfSender": True, "canInsert": False,
                   "insert": "InvalidStateError", "badTone": "InvalidStateError",
                   "throwingDuration": "RangeError", "bigIntGap": "TypeError", "symbolTones": "TypeError",
                   "noArguments": "TypeError",
                   "buffer": ""},
        "negotiated": {"canInsert": True, "badTone": "InvalidCharacterError", "bufferAfterBadTone": "",
                       "lowerCase": "ok", "buffer": "ABCD*#,"},
        "inactive": {"canInsert": False, "insert": "InvalidStateError", "canInsertAgain": True},
        "stopped": {"canInsert": False, "insert": "InvalidStateError"},
    }


def test_legacy_create_dtmf_sender_sends_tones(shim_page: Page, server: ServerThread) -> None:
    result = shim_page.evaluate("""async () => {
        const attempt = (run) => { try { run(); return 'ok'; } catch (error) { return error.name; } };
        const a = new RTCPeerConnection();
        const b = new RTCPeerConnection();
        const stream = await new Promise((resolve, reject) =>
          navigator.getUserMedia({ audio: true, video: true }, resolve, reject));
        const other = await navigator.mediaDevices.getUserMedia({ audio: true });
        a.addStream(stream);
        const audioTrack = stream.getAudioTracks()[0];
        const dtmf = a.createDTMFSender(audioTrack);
        const errors = {
          video: attempt(() => a.createDTMFSender(stream.getVideoTracks()[0])),
          foreign: attempt(() => a.createDTMFSender(other.getAudioTracks()[0])),
          notATrack: attempt(() => a.createDTMFSender({})),
        };
        await new Promise((resolve, reject) => a.createOffer((offer) => a.setLocalDescription(offer, resolve, reject), reject));
        const offer = await gatheredDescription(a);
        await new Promise((resolve, reject) => b.setRemoteDescription(offer, resolve, reject));
        await new Promise((resolve, reject) => b.createAnswer((answer) => b.setLocalDescription(answer, resolve, reject), reject));
        const answer = await gatheredDescription(b);
        await new Promise((resolve, reject) => a.setRemoteDescription(answer, resolve, reject));
        await Promise.all([connected(a), connected(b)]);
        const tones = [];
        dtmf.ontonechange = (event) => tones.push(event.tone);
        dtmf.insertDTMF('0*');
        await until(() => tones.includes(''), 'tones played');
        const same = dtmf === a.getSenders().find((sender) => sender.track === audioTrack).dtmf;
        a.close();
        const closed = attempt(() => a.createDTMFSender(audioTrack));
        return { errors, same, tones, closed, length: RTCPeerConnection.prototype.createDTMFSender.length };
    }""")
    assert result == {
        "errors": {"video": "SyntaxError", "foreign": "SyntaxError", "notATrack": "TypeError"},
        "same": True, "tones": ["0", "*", ""], "closed": "InvalidStateError", "length": 1,
    }
    [receiving] = [t for t in receiving_transceivers(server) if t.dtmf_received and t.dtmf_received.tones]
    assert [tone.tone for tone in received_tones(server, receiving, 2)] == ["0", "*"]


def test_munged_2013_sdp_negotiates_pcmu_and_dtmf_both_ways(shim_page: Page, server: ServerThread) -> None:
    start_call(shim_page, munge=True, answererSends=True)
    result = shim_page.evaluate("""async () => {
        const offeredAudio = dtmfPair.a.localDescription.sdp.match(/^m=audio .*$/m)[0];
        const answeredAudio = dtmfPair.b.localDescription.sdp.match(/^m=audio .*$/m)[0];
        const forward = dtmfPair.sender.dtmf;
        const backward = dtmfPair.b.getSenders()[0].dtmf;
        logTones(forward);
        logTones(backward);
        forward.insertDTMF('147');
        backward.insertDTMF('#0');
        await Promise.all([tonesDone(forward), tonesDone(backward)]);
        // The audio goes on after the events, on both sides.
        const bPeak = await tonePeak(dtmfPair.bHears, 'b hears a');
        const aPeak = await tonePeak(dtmfPair.aHears, 'a hears b');
        return { offeredAudio, answeredAudio, bPeak, aPeak };
    }""")
    assert result["offeredAudio"].endswith(" 0 126")
    assert result["answeredAudio"].endswith(" 0 126")
    assert_tone(result["bPeak"], bins=2)
    assert_tone(result["aPeak"], bins=2)
    decoded = {}
    for transceiver in receiving_transceivers(server):
        assert transceiver.dtmf_received is not None
        count = len(transceiver.dtmf_received.tones)
        tones = received_tones(server, transceiver, count)
        decoded["".join(tone.tone for tone in tones)] = {tone.clock_rate for tone in tones}
    assert decoded == {"147": {8000}, "#0": {8000}}
