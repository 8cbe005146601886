"""RTCDTMFSender: webrtc-pc §7's tone schedule, played here, where the RTP goes out.

The page keeps its own toneBuffer and numbers each insertDTMF (docs/design.md, "DTMF",
gives the split); the schedule runs here so that wire timing is the server's, and each
`toneChange` carries the tone that started, the buffer left, and that generation.

RTP timestamps follow the schedule, not the timer: a run of tones is anchored once on
the audio's timeline, and each tone starts `duration + interToneGap` (or 2000 ms for ',')
after the previous one, so receivers see the spec's spacing exactly.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from ..aiortc_seams import negotiated_codecs
from ..dispatcher import Dispatcher, Params, Result
from ..dtmf_outlet import DtmfOutlet
from ..errors import InvalidCharacterError, InvalidStateError
from ..telephone_event import DTMF_TONES, send_codecs

if TYPE_CHECKING:
    from ..session import Session
    from .transceiver import TransceiverDispatcher

PAUSE = ","
PAUSE_MS = 2000
TONES = re.compile(f"[{re.escape(DTMF_TONES + PAUSE)}]*", re.IGNORECASE)
SENDING = ("sendrecv", "sendonly")


class DtmfSenderDispatcher(Dispatcher):
    interface = "DtmfSender"

    def __init__(self, session: Session, guid: str, parent: TransceiverDispatcher) -> None:
        super().__init__(session, guid, parent)
        self.transceiver = parent
        self.outlet = DtmfOutlet(parent.transceiver)
        self.tone_buffer = ""
        self.duration_ms = 100
        self.inter_tone_gap_ms = 70
        self.generation = 0
        self._playout: asyncio.Task[None] | None = None
        self.commands = {"insertDTMF": self.insert_dtmf}

    async def insert_dtmf(self, params: Params) -> Result:
        refusal = self.refusal()
        if refusal:
            raise InvalidStateError(refusal)
        if not TONES.fullmatch(params["tones"]):
            raise InvalidCharacterError(f"{params['tones']!r} has characters that are not DTMF tones")
        self.tone_buffer = params["tones"].upper()
        self.duration_ms = params["duration"]
        self.inter_tone_gap_ms = params["interToneGap"]
        self.generation = params["generation"]
        if self.tone_buffer and self._playout is None:
            self._playout = asyncio.create_task(self._play())
        return {}

    def refusal(self) -> str | None:
        """Why this sender cannot send DTMF now (canInsertDTMF false), or None."""
        transceiver = self.transceiver.transceiver
        if self.transceiver.peer_connection.closed or transceiver.stopped:
            return "the transceiver is stopped"
        if transceiver.currentDirection not in SENDING:
            return f"the transceiver does not send (currentDirection is {transceiver.currentDirection})"
        if not self.transceiver.send_parameters.active:
            return "the sender's encoding is not active (setParameters)"
        if self.event_codec() is None:
            return "the remote peer did not negotiate telephone-event for the audio codec"
        return None

    def event_codec(self) -> tuple[int, int] | None:
        """The clock rate and telephone-event payload type to send with, if negotiated."""
        media_codec, payload_type = send_codecs(negotiated_codecs(self.transceiver.transceiver))
        return None if media_codec is None or payload_type is None else (media_codec.clockRate, payload_type)

    async def _play(self) -> None:
        """The spec's Playout task, looped: one run lasts until the buffer empties."""
        loop = asyncio.get_running_loop()
        try:
            event_codec = self.event_codec()
            if event_codec is None:
                return  # no telephone-event: refused, as the loop's first refusal() would say
            clock_rate, payload_type = event_codec
            anchor = await self.outlet.anchor(clock_rate)
            started = loop.time()
            offset_ms = 0  # where the next tone starts, from the start of the run
            while True:
                if self.refusal():
                    return  # the spec aborts without an event when the sender stops sending
                if not self.tone_buffer:
                    self._emit_tone_change("")
                    return
                tone, self.tone_buffer = self.tone_buffer[0], self.tone_buffer[1:]
                # A later insertDTMF changes the next tones' timing, not this one's.
                duration_ms, gap_ms = self.duration_ms, self.inter_tone_gap_ms
                self._emit_tone_change(tone)
                if tone == PAUSE:
                    offset_ms += PAUSE_MS
                else:
                    timestamp = anchor + offset_ms * clock_rate // 1000
                    await self.outlet.play(DTMF_TONES.index(tone), timestamp, duration_ms, payload_type, clock_rate)
                    offset_ms += duration_ms + gap_ms
                await asyncio.sleep(max(0.0, started + offset_ms / 1000 - loop.time()))
        finally:
            if self._playout is asyncio.current_task():
                self._playout = None

    def _emit_tone_change(self, tone: str) -> None:
        self.emit("toneChange", {"tone": tone, "toneBuffer": self.tone_buffer, "generation": self.generation})

    def stop_playout(self) -> None:
        """The sender stopped: the tone playing ends at once, without its end packets or
        further toneChange events, as when the connection closes."""
        if self._playout is not None:
            self._playout.cancel()
            self._playout = None

    def dispose(self) -> None:
        self.stop_playout()
        self.outlet.close()
        super().dispose()
