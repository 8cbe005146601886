"""RFC 4733 telephone-event: the payload, the DTMF event codes, and the codec aiortc lacks.

aiortc has no DTMF. `offer_telephone_events` adds telephone-event to aiortc's audio codecs
for the tasks that serve a page (its session's, and aiortc's own that they start), so
rtcshim's offers and answers carry it and a plain aiortc peer in the same process does
not (`aiortc_seams.install_codec_table`, when the app is created, makes that possible);
`send_codecs` picks, from a negotiated codec list, the media codec and the
telephone-event payload type that goes with it.
"""

from __future__ import annotations

import contextvars
import re
import struct
from dataclasses import dataclass

from aiortc.codecs import get_capabilities
from aiortc.rtcrtpparameters import RTCRtpCapabilities, RTCRtpCodecParameters

from .aiortc_seams import add_codecs, codec_table_installed

MIME_TYPE = "audio/telephone-event"
# The numbers Chromium uses, so a 2013 page that munges its audio line to "0 126" finds
# telephone-event/8000 where it expects it. Both are out of aiortc's video range (97-102).
PAYLOAD_TYPES = {48000: 110, 8000: 126}

# RFC 4733 §3.2: event codes 0-15 are the DTMF tones.
DTMF_TONES = "0123456789*#ABCD"
# The power field, in dB below 0 dBm0 (§2.3.4): -10 dBm0, what Chromium sends.
VOLUME = 10
# The 16-bit duration field (§2.3.5); a longer event goes out in segments (§2.5.1.3):
# our longest tone, 6000 ms, is 288000 samples at 48 kHz.
MAX_DURATION = 0xFFFF

PAYLOAD = struct.Struct("!BBH")
EVENT_RTPMAP = re.compile(r"^a=rtpmap:(\d+) telephone-event/", re.IGNORECASE)


@dataclass(frozen=True)
class TelephoneEvent:
    """One telephone-event payload (RFC 4733 §2.3)."""

    code: int
    end: bool
    volume: int
    duration: int  # in RTP timestamp units

    def pack(self) -> bytes:
        flags = (0x80 if self.end else 0) | (self.volume & 0x3F)
        return PAYLOAD.pack(self.code, flags, self.duration)

    @classmethod
    def unpack(cls, payload: bytes) -> TelephoneEvent:
        """The first event of a payload (§2.5.1.5 allows several; senders use one)."""
        if len(payload) < PAYLOAD.size:
            raise ValueError(f"a telephone-event payload has 4 bytes, not {len(payload)}")
        code, flags, duration = PAYLOAD.unpack_from(payload)
        return cls(code=code, end=bool(flags & 0x80), volume=flags & 0x3F, duration=duration)

    @property
    def tone(self) -> str | None:
        """The DTMF tone of this event, or None for other events (§3.2)."""
        return DTMF_TONES[self.code] if self.code < len(DTMF_TONES) else None


def is_telephone_event(codec: RTCRtpCodecParameters) -> bool:
    return codec.mimeType.lower() == MIME_TYPE


# telephone-event at 48 kHz (with Opus) and 8 kHz (with the G.711 codecs and G.722), after
# aiortc's audio codecs, as browsers list them: aiortc sends with the first.
EVENT_CODECS = {"audio": tuple(
    RTCRtpCodecParameters(mimeType=MIME_TYPE, clockRate=clock_rate, channels=1, payloadType=payload_type)
    for clock_rate, payload_type in PAYLOAD_TYPES.items())}


def offer_telephone_events() -> None:
    """From now on, aiortc's codec table has telephone-event for this task and the tasks it
    starts: call it in the task that serves a page's socket."""
    add_codecs(EVENT_CODECS)


def capabilities(kind: str) -> RTCRtpCapabilities:
    """RTCRtpSender/RTCRtpReceiver.getCapabilities(kind) for rtcshim's peers: aiortc's, with
    telephone-event (shim.js keeps a copy)."""
    if not codec_table_installed():
        raise RuntimeError("create_app() installs the codec table that telephone-event needs")
    context = contextvars.copy_context()
    context.run(offer_telephone_events)
    return context.run(get_capabilities, kind)


def send_codecs(codecs: list[RTCRtpCodecParameters]) -> tuple[RTCRtpCodecParameters | None, int | None]:
    """The media codec aiortc sends with (the first that is not telephone-event) and the
    telephone-event payload type of the same clock rate (RFC 4733 §2.1), if negotiated."""
    media = next((codec for codec in codecs if not is_telephone_event(codec)), None)
    if media is None:
        return None, None
    event = next((codec for codec in codecs
                  if is_telephone_event(codec) and codec.clockRate == media.clockRate), None)
    return media, event.payloadType if event else None


def telephone_event_clock_rates(codecs: list[RTCRtpCodecParameters]) -> dict[int, int]:
    """The negotiated telephone-event payload types, each with its clock rate."""
    return {codec.payloadType: codec.clockRate for codec in codecs
            if is_telephone_event(codec) and codec.payloadType is not None}


def events_last(sdp: str) -> str:
    """A remote description with telephone-event last in each audio line's format list.

    aiortc sends with the first codec the remote lists that it knows; a page may list
    telephone-event first (a munged "m=audio 9 ... 126 0"), and aiortc has no encoder for
    it. Format order is only a preference, and telephone-event is never the media codec.
    Payload types are per media section: each line is ordered by its own section's rtpmaps.
    """
    lines = sdp.split("\r\n")
    media_line: int | None = None  # the index of the current section's m= line
    events: dict[int, set[str]] = {}  # by m=audio line index: that section's event formats
    for index, line in enumerate(lines):
        if line.startswith("m="):
            media_line = index if line.startswith("m=audio ") else None
        elif media_line is not None and (match := EVENT_RTPMAP.match(line)):
            events.setdefault(media_line, set()).add(match.group(1))
    for index, section_events in events.items():
        words = lines[index].split(" ")
        formats = words[3:]
        lines[index] = " ".join(words[:3] + [f for f in formats if f not in section_events]
                                + [f for f in formats if f in section_events])
    return "\r\n".join(lines)
