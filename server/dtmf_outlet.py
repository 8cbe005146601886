"""Telephone-event packets in an aiortc sender's own RTP stream (RFC 4733 §2.5.1).

aiortc's RTCRtpSender numbers its packets in a local variable of its sending loop; no
hook lets another packet in. The least fragile seam is the one call every packet of the
stream goes through: `RTCDtlsTransport._send_rtp(bytes)`, before SRTP
(`aiortc_seams.filter_sent_rtp`). `DtmfOutlet` filters it on the sender's transport (on
that one instance) and renumbers that sender's packets — only those of its SSRC, RTCP
untouched — so that one sequence runs through aiortc's audio packets and ours. The filter
is installed on the first tone; until then the stream is aiortc's alone.

While an event plays, aiortc's audio packets are dropped: the event replaces the audio
of that interval, as libwebrtc does and as RFC 4733 §3.1 describes for gateways, so a
receiver that regenerates the tone does not also play our microphone over it. Audio
packets still pass through the wrap then, which keeps the clock anchor fresh: an event's
RTP timestamp continues the audio's timeline (the end of the last audio packet + the time
since it passed). With no audio, the outlet keeps a timeline of its own from a random base.

Not covered: aiortc retransmits from a history keyed by its own numbers, so a NACK for
audio would fetch the wrong packet — aiortc negotiates no NACK for audio codecs.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

from aiortc import RTCRtpTransceiver
from aiortc.mediastreams import AUDIO_PTIME
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import RTCRtpParameters
from aiortc.rtcrtpsender import random_sequence_number
from aiortc.rtp import HeaderExtensionsMap, RtpPacket, is_rtcp
from aiortc.utils import random32

from .aiortc_seams import SendRtp, filter_sent_rtp, negotiated_header_extensions, sender_enabled, sender_ssrc
from .telephone_event import MAX_DURATION, VOLUME, TelephoneEvent

# aiortc's audio packet time: its tracks make 20 ms frames, one per packet.
AUDIO_PACKET_MS = round(AUDIO_PTIME * 1000)
# An update packet every audio packet time, so events replace audio 1:1.
UPDATE_INTERVAL_MS = AUDIO_PACKET_MS
# §2.5.1.4: an event's (or segment's) final packet is sent three times, each with a
# sequence number of its own. The RFC spaces the copies "at the interval used by the
# source for updates"; libwebrtc sends them back to back, and so do we.
END_PACKET_COPIES = 3
# How long to wait for an audio packet to anchor the timeline; with no track there is
# no audio and the events start a timeline of their own.
AUDIO_ANCHOR_TIMEOUT = 0.1
RTP_HEADER = struct.Struct("!BBHII")
SEQUENCE_OFFSET = 2


@dataclass(frozen=True)
class _EventPackets:
    """What every packet of one event shares."""

    code: int
    payload_type: int
    extensions: HeaderExtensionsMap


class DtmfOutlet:
    """Sends telephone-events on one transceiver's sender, interleaved with its audio."""

    def __init__(self, transceiver: RTCRtpTransceiver) -> None:
        self.transceiver = transceiver
        self._transport: RTCDtlsTransport | None = None
        self._send_rtp: SendRtp | None = None
        self._next_sequence: int | None = None
        # The timeline events continue: the last audio packet's RTP timestamp and when it
        # passed; with no audio, a random base picked once and when it was picked.
        self._audio_timestamp: int | None = None
        self._audio_time = 0.0
        # Set while `anchor` waits for the first audio packet.
        self._first_audio: asyncio.Future[None] | None = None
        self._playing = False
        self._closed = False

    def close(self) -> None:
        """From now on aiortc's packets pass unchanged (or as renumbered so far)."""
        self._closed = True

    # --- the filter on the transport -------------------------------------------------

    def _wrap_transport(self) -> None:
        transport = self.transceiver.sender.transport
        if transport is self._transport:
            return
        self._transport = transport

        def through_outlet(data: bytes) -> bytes | None:
            if self._transport is transport and not self._closed and not is_rtcp(data):
                return self._forward_audio(data)
            return data

        self._send_rtp = filter_sent_rtp(transport, through_outlet)

    def _forward_audio(self, data: bytes) -> bytes | None:
        """An aiortc packet of our SSRC renumbered into the shared sequence, or None to drop it."""
        if len(data) < RTP_HEADER.size:
            return data
        _, _, sequence, timestamp, ssrc = RTP_HEADER.unpack_from(data)
        if ssrc != sender_ssrc(self.transceiver.sender):
            return data
        self._audio_timestamp = timestamp
        self._audio_time = asyncio.get_running_loop().time()
        if self._first_audio is not None and not self._first_audio.done():
            self._first_audio.set_result(None)
        if self._playing:
            return None
        if self._next_sequence is None:
            self._next_sequence = sequence
        renumbered = bytearray(data)
        struct.pack_into("!H", renumbered, SEQUENCE_OFFSET, self._next_sequence)
        self._next_sequence = (self._next_sequence + 1) & 0xFFFF
        return bytes(renumbered)

    # --- events ----------------------------------------------------------------------

    async def anchor(self, clock_rate: int) -> int:
        """The RTP timestamp of "now" on the audio's timeline, at `clock_rate`.

        The last audio packet covers one packet time from its timestamp, so "now" is that
        far on, plus the time since it passed. With no audio yet, the first call waits
        briefly for some, then picks a random base once; later calls extrapolate from it,
        so the events' timeline stays continuous from one run of tones to the next.
        """
        self._wrap_transport()
        loop = asyncio.get_running_loop()
        if self._audio_timestamp is None:
            self._first_audio = loop.create_future()
            try:
                await asyncio.wait_for(self._first_audio, AUDIO_ANCHOR_TIMEOUT)
            except TimeoutError:
                self._audio_timestamp = random32()
                self._audio_time = loop.time()
            finally:
                self._first_audio = None
        assert self._audio_timestamp is not None
        elapsed = loop.time() - self._audio_time
        return (self._audio_timestamp + round((AUDIO_PACKET_MS / 1000 + elapsed) * clock_rate)) & 0xFFFFFFFF

    async def play(self, code: int, timestamp: int, duration_ms: int, payload_type: int, clock_rate: int) -> None:
        """One event: a packet every 20 ms, each counting the event through the end of its
        20 ms; the packet where the duration is reached is the end packet (sent three
        times). Every packet carries its event's (or segment's) start as its RTP timestamp;
        the first one carries the marker.
        Audio stays paused until the event's time is over.

        An event longer than the 16-bit duration field allows (1.36 s at 48 kHz) goes out
        in segments (§2.5.1.3): each starts where the previous ended, without the marker.
        """
        self._wrap_transport()
        # The mid extension, as on aiortc's own packets: a receiver may meet this SSRC first here.
        extensions = HeaderExtensionsMap()
        extensions.configure(RTCRtpParameters(headerExtensions=negotiated_header_extensions(self.transceiver)))
        event = _EventPackets(code, payload_type, extensions)
        loop = asyncio.get_running_loop()
        total = duration_ms * clock_rate // 1000
        segment_start = 0  # samples of the event before the current segment
        marker = True
        started = loop.time()
        self._playing = True
        try:
            tick = 0
            while True:
                played = min(total, (tick + 1) * UPDATE_INTERVAL_MS * clock_rate // 1000)
                if played - segment_start > MAX_DURATION:
                    await self._send_final(event, timestamp + segment_start, MAX_DURATION, False, marker)
                    marker = False
                    segment_start += MAX_DURATION
                if played == total:
                    await self._send_final(event, timestamp + segment_start, total - segment_start, True, marker)
                    break
                await self._send_event(event, timestamp + segment_start, played - segment_start, False, marker)
                marker = False
                tick += 1
                await asyncio.sleep(max(0.0, started + tick * UPDATE_INTERVAL_MS / 1000 - loop.time()))
            await asyncio.sleep(max(0.0, started + duration_ms / 1000 - loop.time()))
        finally:
            self._playing = False

    async def _send_final(self, event: _EventPackets, timestamp: int, duration: int, end: bool, marker: bool) -> None:
        """The last packet of an event (E set) or of a full segment (E clear), three times
        back to back as libwebrtc does (§2.5.1.4 would space them 20 ms apart)."""
        for copy in range(END_PACKET_COPIES):
            await self._send_event(event, timestamp, duration, end, marker and copy == 0)

    async def _send_event(self, event: _EventPackets, timestamp: int, duration: int, end: bool, marker: bool) -> None:
        if not sender_enabled(self.transceiver.sender):
            return  # an inactive encoding (setParameters) or a direction that does not send
        if self._next_sequence is None:
            self._next_sequence = random_sequence_number()
        packet = RtpPacket(
            payload_type=event.payload_type, marker=1 if marker else 0, sequence_number=self._next_sequence,
            timestamp=timestamp & 0xFFFFFFFF, ssrc=sender_ssrc(self.transceiver.sender),
            payload=TelephoneEvent(code=event.code, end=end, volume=VOLUME, duration=duration).pack(),
        )
        self._next_sequence = (self._next_sequence + 1) & 0xFFFF
        packet.extensions.mid = self.transceiver.mid
        assert self._send_rtp is not None
        try:
            await self._send_rtp(packet.serialize(event.extensions))
        except ConnectionError:
            pass  # the transport closed under us: the call is over, like aiortc's own sends
