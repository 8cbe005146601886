"""RFC 4733 packets: the payload, the outlet that interleaves events with audio, the decoder."""

from __future__ import annotations

import asyncio
import struct
from types import SimpleNamespace
from typing import Any, cast

from aiortc import RTCRtpTransceiver
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from rtcshim import sdp_fixes
from rtcshim.dispatchers.dtmf_sender import DtmfSenderDispatcher
from rtcshim.dispatchers.transceiver import TransceiverDispatcher
from rtcshim.dtmf_outlet import DtmfOutlet
from rtcshim.dtmf_receiver import DtmfReceiver, ReceivedTone
from rtcshim.telephone_event import MAX_DURATION, TelephoneEvent, events_last, send_codecs

from .event_loop import run, run_in_virtual_time

OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)
PCMU = RTCRtpCodecParameters(mimeType="audio/PCMU", clockRate=8000, channels=1, payloadType=0)
EVENTS_48K = RTCRtpCodecParameters(mimeType="audio/telephone-event", clockRate=48000, channels=1, payloadType=110)
EVENTS_8K = RTCRtpCodecParameters(mimeType="audio/telephone-event", clockRate=8000, channels=1, payloadType=126)
SSRC = 0x1234


def test_telephone_event_packs_as_rfc_4733_section_2_3() -> None:
    event = TelephoneEvent(code=11, end=True, volume=10, duration=800)
    assert event.pack() == bytes([11, 0x80 | 10]) + struct.pack("!H", 800)
    assert TelephoneEvent.unpack(event.pack()) == event
    assert event.tone == "#"
    assert TelephoneEvent(code=16, end=False, volume=0, duration=0).tone is None


def test_unpack_refuses_a_short_payload() -> None:
    try:
        TelephoneEvent.unpack(b"\x01\x02")
    except ValueError as error:
        assert "4 bytes" in str(error)
    else:
        raise AssertionError("a 2-byte payload was accepted")


def test_send_codecs_pairs_the_event_clock_rate_with_the_media_codec() -> None:
    assert send_codecs([OPUS, EVENTS_48K, EVENTS_8K]) == (OPUS, 110)
    assert send_codecs([EVENTS_8K, PCMU, EVENTS_48K]) == (PCMU, 126)
    assert send_codecs([OPUS, EVENTS_8K]) == (OPUS, None)
    assert send_codecs([EVENTS_8K]) == (None, None)


MUNGED = (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 126 0\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10\r\n"
    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/8000\r\n"
)


def test_remote_sections_keep_only_listed_formats_with_events_last() -> None:
    cleaned = events_last(sdp_fixes.drop_unlisted_formats(MUNGED))
    assert cleaned.split("\r\n")[4:] == [
        "m=audio 9 UDP/TLS/RTP/SAVPF 0 126", "a=rtpmap:0 PCMU/8000", "a=rtpmap:126 telephone-event/8000", ""]


class FakeTransport:
    def __init__(self) -> None:
        self.sent: list[RtpPacket] = []
        self.sent_at: list[float] = []  # the event loop's time of each send

    async def _send_rtp(self, data: bytes) -> None:
        self.sent.append(RtpPacket.parse(data))
        self.sent_at.append(asyncio.get_running_loop().time())


def audio_packet(sequence: int, timestamp: int) -> bytes:
    return RtpPacket(payload_type=0, sequence_number=sequence, timestamp=timestamp, ssrc=SSRC,
                     payload=b"\xff" * 160).serialize()


def test_outlet_interleaves_events_with_audio_in_one_sequence() -> None:
    transport = FakeTransport()
    outlet = DtmfOutlet(cast(RTCRtpTransceiver, fake_transceiver(transport, [PCMU, EVENTS_8K])))

    async def scenario() -> None:
        anchoring = asyncio.ensure_future(outlet.anchor(8000))
        await asyncio.sleep(0)
        await transport._send_rtp(audio_packet(5000, 90000))
        start = await anchoring
        playing = asyncio.ensure_future(outlet.play(5, start, 60, 126, 8000))
        await asyncio.sleep(0.01)
        await transport._send_rtp(audio_packet(5001, 90160))  # dropped: the event replaces it
        await playing
        await transport._send_rtp(audio_packet(5002, 90320))

    run(scenario())
    sent = transport.sent
    assert [packet.sequence_number for packet in sent] == list(range(5000, 5000 + len(sent)))
    events = [packet for packet in sent if packet.payload_type == 126]
    assert [packet.payload_type for packet in sent] == [0] + [126] * len(events) + [0]
    decoded = [TelephoneEvent.unpack(packet.payload) for packet in events]
    # Updates every 20 ms (160 samples), then the end packet three times with the full 60 ms.
    assert [(event.duration, event.end) for event in decoded] == [
        (160, False), (320, False), (480, True), (480, True), (480, True)]
    assert {event.code for event in decoded} == {5}
    assert [packet.marker for packet in events] == [1, 0, 0, 0, 0]
    assert len({packet.timestamp for packet in events}) == 1
    assert events[0].timestamp >= 90000


def event_packet(sequence: int, timestamp: int, code: int, duration: int, end: bool) -> RtpPacket:
    return RtpPacket(payload_type=126, sequence_number=sequence, timestamp=timestamp, ssrc=SSRC,
                     payload=TelephoneEvent(code=code, end=end, volume=10, duration=duration).pack())


def test_receiver_decodes_one_tone_per_event_and_closes_the_audio_gap() -> None:
    handed_to_aiortc: list[int] = []

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        handed_to_aiortc.append(packet.sequence_number)

    receiver = SimpleNamespace(_handle_rtp_packet=handle_rtp_packet)
    transceiver = SimpleNamespace(receiver=receiver, _codecs=[PCMU, EVENTS_8K])
    started: list[ReceivedTone] = []

    async def scenario() -> DtmfReceiver:
        dtmf = DtmfReceiver(cast(RTCRtpTransceiver, transceiver), started.append)
        handle: Any = receiver._handle_rtp_packet
        packets = [
            RtpPacket(payload_type=0, sequence_number=10, timestamp=0, ssrc=SSRC),
            event_packet(11, 160, 1, 160, False), event_packet(12, 160, 1, 320, False),
            event_packet(13, 160, 1, 800, True), event_packet(14, 160, 1, 800, True),
            event_packet(15, 160, 1, 800, True),
            RtpPacket(payload_type=0, sequence_number=16, timestamp=1120, ssrc=SSRC),
            # A long tone in two segments: the second starts where the first ended.
            event_packet(17, 2000, 11, MAX_DURATION, False),
            event_packet(18, 2000 + MAX_DURATION, 11, 1000, True),
        ]
        for packet in packets:
            await handle(packet, arrival_time_ms=0)
        return dtmf

    dtmf = run(scenario())
    assert dtmf.digits == "1#"
    assert [tone.tone for tone in started] == ["1", "#"]
    assert [(tone.duration, tone.ended, tone.duration_ms) for tone in dtmf.tones] == [
        (800, True, 100), (MAX_DURATION + 1000, True, (MAX_DURATION + 1000) // 8)]
    # aiortc's jitter buffer sees consecutive audio packets: 10, then 16 moved down to 11.
    assert handed_to_aiortc == [10, 11]


# --- the sender's schedule, with fakes for the session and aiortc's transceiver ---------


class FakeSession:
    """Records the events a dispatcher emits."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def register(self, dispatcher: Any) -> None:
        pass

    def unregister(self, dispatcher: Any) -> None:
        pass

    def send_event(
        self, target: Any, event: str, params: dict[str, Any], payload: bytes | None = None, lazy: bool = False,
    ) -> None:
        self.events.append((event, params))


def fake_transceiver(transport: FakeTransport, codecs: list[RTCRtpCodecParameters]) -> SimpleNamespace:
    """What the outlet and the sender read of an aiortc transceiver that sends."""

    async def stop() -> None:
        transceiver.stopped = True

    transceiver = SimpleNamespace(
        sender=SimpleNamespace(transport=transport, _ssrc=SSRC, _enabled=True), _headerExtensions=[], mid="0",
        _codecs=codecs, currentDirection="sendrecv", stopped=False, stop=stop)
    return transceiver


def dtmf_sender(transceiver: SimpleNamespace) -> tuple[DtmfSenderDispatcher, FakeSession, SimpleNamespace]:
    """A DtmfSenderDispatcher under a stand-in TransceiverDispatcher (what `halt` reads)."""
    session = FakeSession()
    parent = SimpleNamespace(
        transceiver=transceiver, peer_connection=SimpleNamespace(closed=False), children={},
        send_parameters=SimpleNamespace(active=True),
        receiver_track=SimpleNamespace(end=lambda notify: None), dtmf_sender=None)
    parent.dtmf_sender = DtmfSenderDispatcher(cast(Any, session), "DtmfSender@1", cast(Any, parent))
    return parent.dtmf_sender, session, parent


def insert(sender: DtmfSenderDispatcher, tones: str, duration: int = 100, gap: int = 70) -> Any:
    return sender.insert_dtmf(
        {"tones": tones, "duration": duration, "interToneGap": gap, "generation": sender.generation + 1})


def test_halt_during_a_tone_stops_its_packets_and_the_playout() -> None:
    transport = FakeTransport()
    transceiver = fake_transceiver(transport, [PCMU, EVENTS_8K])
    sender, session, parent = dtmf_sender(transceiver)

    async def scenario() -> tuple[int, int]:
        await insert(sender, "12", duration=1000)
        await asyncio.sleep(0.3)  # 100 ms waiting for audio, then '1' plays
        sent_at_halt = len(transport.sent)
        await TransceiverDispatcher.halt(cast(TransceiverDispatcher, parent))
        playout_after_halt = sender._playout
        await asyncio.sleep(1.2)  # past the end of '1' and the start of '2'
        assert playout_after_halt is None
        return sent_at_halt, len(transport.sent)

    sent_at_halt, sent_after = run_in_virtual_time(scenario())
    assert sent_at_halt > 0
    assert sent_after == sent_at_halt
    assert not any(TelephoneEvent.unpack(packet.payload).end for packet in transport.sent)
    assert [params["tone"] for event, params in session.events if event == "toneChange"] == ["1"]
    assert not sender.outlet._playing


def test_inactive_encoding_sends_no_events_and_refuses_the_next_tone() -> None:
    transport = FakeTransport()
    transceiver = fake_transceiver(transport, [PCMU, EVENTS_8K])
    sender, session, parent = dtmf_sender(transceiver)

    async def scenario() -> tuple[int, str | None]:
        await insert(sender, "12", duration=1000)
        await asyncio.sleep(0.3)
        # What setParameters({encodings: [{active: false}]}) does (rtp_parameters.py).
        parent.send_parameters.active = False
        transceiver.sender._enabled = False
        sent_when_disabled = len(transport.sent)
        await asyncio.sleep(1.2)
        assert sender._playout is None
        return sent_when_disabled, sender.refusal()

    sent_when_disabled, refusal = run_in_virtual_time(scenario())
    assert sent_when_disabled > 0
    assert len(transport.sent) == sent_when_disabled
    assert refusal == "the sender's encoding is not active (setParameters)"
    assert [params["tone"] for event, params in session.events if event == "toneChange"] == ["1"]


def test_anchor_starts_events_after_the_last_audio_packet() -> None:
    transport = FakeTransport()
    outlet = DtmfOutlet(cast(RTCRtpTransceiver, fake_transceiver(transport, [PCMU, EVENTS_8K])))

    async def scenario() -> tuple[int, int]:
        anchoring = asyncio.ensure_future(outlet.anchor(8000))
        await asyncio.sleep(0)
        await transport._send_rtp(audio_packet(5000, 90000))  # 160 samples: 90000 to 90159
        first = await anchoring
        await transport._send_rtp(audio_packet(5001, 90160))
        await asyncio.sleep(0.005)
        return first, await outlet.anchor(8000)

    first, later = run_in_virtual_time(scenario())
    # Right after the packet that woke the anchor; then the packet's 20 ms and the 5 ms
    # since it passed: no overlap with the audio, and less than a packet beyond it.
    assert first == 90000 + 160
    assert later == 90160 + 160 + 40


def test_anchor_keeps_its_own_timeline_across_runs_without_audio() -> None:
    transport = FakeTransport()
    outlet = DtmfOutlet(cast(RTCRtpTransceiver, fake_transceiver(transport, [PCMU, EVENTS_8K])))

    async def scenario() -> tuple[int, int, float, float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        first = await outlet.anchor(8000)
        first_wait = loop.time() - started
        await asyncio.sleep(1.5)
        second_started = loop.time()
        second = await outlet.anchor(8000)
        return first, second, first_wait, loop.time() - second_started

    first, second, first_wait, second_wait = run_in_virtual_time(scenario())
    assert first_wait == 0.1  # waited for audio once (AUDIO_ANCHOR_TIMEOUT)
    assert second_wait == 0.0
    assert (second - first) & 0xFFFFFFFF == 1.5 * 8000


def play_event(duration_ms: int, clock_rate: int, payload_type: int) -> tuple[FakeTransport, float]:
    """One event played on a fresh outlet in virtual time; the transport and when play() returned."""
    transport = FakeTransport()
    outlet = DtmfOutlet(cast(RTCRtpTransceiver, fake_transceiver(transport, [PCMU, EVENTS_8K])))

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        await outlet.anchor(clock_rate)  # no audio: 100 ms, then the outlet's own timeline
        started = loop.time()
        await outlet.play(5, 1000, duration_ms, payload_type, clock_rate)
        for packet_time in range(len(transport.sent_at)):
            transport.sent_at[packet_time] = round(transport.sent_at[packet_time] - started, 6)
        return round(loop.time() - started, 6)

    return transport, run_in_virtual_time(scenario())


def test_play_sends_the_end_packet_on_the_tick_that_reaches_the_duration() -> None:
    transport, returned_at = play_event(100, 8000, 126)
    decoded = [TelephoneEvent.unpack(packet.payload) for packet in transport.sent]
    # A packet every 20 ms, no hole: the one at 80 ms counts through 100 ms and ends the event.
    assert transport.sent_at == [0.0, 0.02, 0.04, 0.06, 0.08, 0.08, 0.08]
    assert [(event.duration, event.end) for event in decoded] == [
        (160, False), (320, False), (480, False), (640, False), (800, True), (800, True), (800, True)]
    assert [packet.marker for packet in transport.sent] == [1, 0, 0, 0, 0, 0, 0]
    assert returned_at == 0.1  # audio stays paused for the event's whole 100 ms


def test_play_splits_a_long_48_khz_event_into_segments() -> None:
    transport, returned_at = play_event(3000, 48000, 110)
    sent = transport.sent
    decoded = [TelephoneEvent.unpack(packet.payload) for packet in sent]
    # 144000 samples: 65535 + 65535 + 12930, each segment at the sample where the last ended.
    assert sorted({packet.timestamp for packet in sent}) == [1000, 1000 + MAX_DURATION, 1000 + 2 * MAX_DURATION]
    for segment_start, last_duration, end in [
            (1000, MAX_DURATION, False), (1000 + MAX_DURATION, MAX_DURATION, False),
            (1000 + 2 * MAX_DURATION, 144000 - 2 * MAX_DURATION, True)]:
        segment = [event for packet, event in zip(sent, decoded, strict=True) if packet.timestamp == segment_start]
        assert [(event.duration, event.end) for event in segment[-3:]] == [(last_duration, end)] * 3
        assert not any(event.end for event in segment[:-3])
        assert all(event.duration <= MAX_DURATION for event in segment)
    assert [packet.marker for packet in sent] == [1] + [0] * (len(sent) - 1)
    assert [packet.sequence_number for packet in sent] == [
        (sent[0].sequence_number + index) & 0xFFFF for index in range(len(sent))]
    # One tick every 20 ms from start to end, segment ends included: 150 ticks, no hole.
    assert sorted(set(transport.sent_at)) == [round(tick * 0.02, 6) for tick in range(150)]
    assert returned_at == 3.0


def test_events_last_reads_each_sections_own_payload_types() -> None:
    sdp = (
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 126 0\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/8000\r\n"
        # Here 126 is a media codec: it stays first.
        "m=audio 9 UDP/TLS/RTP/SAVPF 101 126\r\na=rtpmap:126 G722/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    )
    assert [line for line in events_last(sdp).split("\r\n") if line.startswith("m=")] == [
        "m=audio 9 UDP/TLS/RTP/SAVPF 0 126", "m=audio 9 UDP/TLS/RTP/SAVPF 126 101"]


def test_receiver_follows_a_renegotiated_event_payload_type() -> None:
    handed_to_aiortc: list[int] = []

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        handed_to_aiortc.append(packet.payload_type)

    receiver = SimpleNamespace(_handle_rtp_packet=handle_rtp_packet)
    transceiver = SimpleNamespace(receiver=receiver, _codecs=[PCMU, EVENTS_8K])

    async def scenario() -> DtmfReceiver:
        dtmf = DtmfReceiver(cast(RTCRtpTransceiver, transceiver), lambda tone: None)
        handle: Any = receiver._handle_rtp_packet
        await handle(event_packet(1, 160, 1, 800, True), arrival_time_ms=0)
        transceiver._codecs = [OPUS, EVENTS_48K]  # what aiortc does on a new negotiation
        event_48k = event_packet(2, 5000, 2, 4800, True)
        event_48k.payload_type = 110
        await handle(event_48k, arrival_time_ms=0)
        await handle(event_packet(3, 9000, 3, 800, True), arrival_time_ms=0)  # 126 is no event now
        return dtmf

    dtmf = run(scenario())
    assert [(tone.tone, tone.clock_rate) for tone in dtmf.tones] == [("1", 8000), ("2", 48000)]
    assert handed_to_aiortc == [126]
