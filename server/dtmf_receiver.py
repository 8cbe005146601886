"""DTMF arriving on an aiortc receiver: telephone-events decoded before aiortc sees them.

aiortc would hand telephone-event packets to its audio jitter buffer and decoder thread,
which has no decoder for them and dies. `DtmfReceiver` is the DTMF tap on the receiver's
incoming RTP (`aiortc_seams.RtpTap` says what it sees, and why there) and keeps the events
to itself. The audio packets after them are renumbered to close the gap the events leave,
so aiortc's jitter buffer does not wait for packets that will never come (and the
receiver's RTCP reports, which count the renumbered stream, show no loss for them).

Each event is one tone however many packets carry it (updates, the end packet's three
copies, long events' segments): packets are grouped by their RTP timestamp.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiortc import RTCRtpTransceiver
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from .aiortc_seams import RtpPacketTaps, RtpTap, negotiated_codecs
from .telephone_event import TelephoneEvent, telephone_event_clock_rates

logger = logging.getLogger(__name__)


@dataclass
class ReceivedTone:
    """One DTMF event as the remote peer sent it."""

    tone: str
    timestamp: int  # RTP timestamp of the event's start
    clock_rate: int
    duration: int = 0  # in RTP timestamp units, so far
    ended: bool = False
    # Where the current segment of a long event starts (RFC 4733 §2.5.1.3).
    segment_timestamp: int = 0
    segment_offset: int = 0

    @property
    def duration_ms(self) -> int:
        return self.duration * 1000 // self.clock_rate


class DtmfReceiver:
    """The tones received on one audio transceiver; `on_tone` hears of each new one."""

    def __init__(self, transceiver: RTCRtpTransceiver, on_tone: Callable[[ReceivedTone], None]) -> None:
        self.transceiver = transceiver
        self.tones: list[ReceivedTone] = []
        self._on_tone = on_tone
        self._new_tone = asyncio.Event()
        # Telephone-event packets kept from aiortc, by which the audio after them moves down.
        self._hidden = 0
        # The telephone-event payload types (with clock rates) of the codec list they were
        # read from: aiortc assigns a new list at each negotiation.
        self._negotiated: list[RTCRtpCodecParameters] | None = None
        self._event_clock_rates: dict[int, int] = {}
        RtpPacketTaps.of(transceiver.receiver).add(RtpTap.DTMF, before=self._take_events)

    def _take_events(self, packet: RtpPacket) -> bool:
        """Takes a telephone-event packet from aiortc; moves the audio after them down."""
        clock_rate = self._event_clock_rate(packet.payload_type)
        if clock_rate is not None:
            self._hidden += 1
            self._receive(packet, clock_rate)
            return True
        if self._hidden:
            packet.sequence_number = (packet.sequence_number - self._hidden) & 0xFFFF
        return False

    @property
    def digits(self) -> str:
        return "".join(tone.tone for tone in self.tones)

    async def wait_for_digits(self, count: int) -> str:
        """The digits received, once there are at least `count` of them."""
        while len(self.tones) < count:
            self._new_tone.clear()
            await self._new_tone.wait()
        return self.digits

    def _event_clock_rate(self, payload_type: int) -> int | None:
        """The clock rate if `payload_type` is a negotiated telephone-event, else None."""
        codecs = negotiated_codecs(self.transceiver)
        if codecs is not self._negotiated:
            self._negotiated = codecs
            self._event_clock_rates = telephone_event_clock_rates(self._negotiated)
        return self._event_clock_rates.get(payload_type)

    def _receive(self, packet: RtpPacket, clock_rate: int) -> None:
        try:
            event = TelephoneEvent.unpack(packet.payload)
        except ValueError:
            logger.debug("malformed telephone-event packet %s", packet)
            return
        if event.tone is None:
            return  # a non-DTMF event (RFC 4734's tones and the like)
        tone = self._known_tone(packet.timestamp, event)
        if tone is None:
            tone = ReceivedTone(tone=event.tone, timestamp=packet.timestamp, clock_rate=clock_rate,
                                segment_timestamp=packet.timestamp)
            self.tones.append(tone)
            self._new_tone.set()
            self._on_tone(tone)
        elif packet.timestamp != tone.segment_timestamp:
            tone.segment_offset = tone.duration
            tone.segment_timestamp = packet.timestamp
        tone.duration = max(tone.duration, tone.segment_offset + event.duration)
        tone.ended = tone.ended or event.end

    def _known_tone(self, timestamp: int, event: TelephoneEvent) -> ReceivedTone | None:
        """The tone this packet continues: the same segment, or the next segment of a tone
        that has not ended (it starts where the current one's duration ends)."""
        for tone in reversed(self.tones[-4:]):
            if tone.segment_timestamp == timestamp:
                return tone
            next_segment = (tone.segment_timestamp + tone.duration - tone.segment_offset) & 0xFFFFFFFF
            if not tone.ended and tone.tone == event.tone and timestamp == next_segment:
                return tone
        return None
