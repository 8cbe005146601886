"""RTCRtpSender.setParameters and RTCRtpTransceiver.setCodecPreferences, on aiortc.

aiortc's sender has an `_enabled` switch (off, it drops frames unencoded) that its
transceiver sets from each negotiated direction; an inactive encoding turns it off too, so
`SendParameters.apply` runs again after every negotiation. aiortc's video encoder takes its
bitrate from the receiver's REMB feedback; a maxBitrate caps it after each frame, the one
point where the encoder (made lazily, anew when the codec changes) surely exists. aiortc's
encoders keep their own floor (250 kbps for VP8, 500 kbps for H.264) and Opus has no
bitrate to set. The same point counts the video frames really encoded (getStats'
outbound-rtp), for the sender's whole life, whatever track it sends.
"""

from __future__ import annotations

from typing import Any

from aiortc import RTCRtpCodecCapability, RTCRtpSender, RTCRtpTransceiver
from aiortc.codecs import get_capabilities

from .errors import InvalidModificationError
from .media_meter import MediaMeter
from .media_track import EnabledGate

SENDING = ("sendrecv", "sendonly")


class SendParameters:
    """The one encoding of an aiortc sender: whether it sends, its bitrate cap, and the
    video frames it encoded."""

    def __init__(self, transceiver: RTCRtpTransceiver) -> None:
        self.transceiver = transceiver
        self.active = True
        self.max_bitrate: int | None = None
        self.encoded = MediaMeter()
        self._watch_encoding(transceiver.sender)

    def set(self, active: bool, max_bitrate: int | None) -> None:
        self.active = active
        self.max_bitrate = max_bitrate
        self.apply()

    def apply(self) -> None:
        sending = self.transceiver.currentDirection in SENDING
        self.transceiver.sender._enabled = sending and self.active

    def _watch_encoding(self, sender: RTCRtpSender) -> None:
        next_encoded_frame = sender._next_encoded_frame

        async def encoding(codec: Any) -> Any:
            source = sender.track  # what aiortc reads the frame from, as it starts
            frame = await next_encoded_frame(codec)
            # None: dropped (sender disabled) or no payload; else the gate's last frame was encoded.
            if frame is not None and isinstance(source, EnabledGate) and source.kind == "video":
                self.encoded.count(source.last_frame)
            encoder: Any = getattr(sender, "_RTCRtpSender__encoder", None)
            cap = self.max_bitrate
            if cap is not None and hasattr(encoder, "target_bitrate") and encoder.target_bitrate > cap:
                encoder.target_bitrate = cap
            return frame

        sender._next_encoded_frame = encoding  # type: ignore[method-assign]


def set_codec_preferences(transceiver: RTCRtpTransceiver, codecs: list[dict[str, Any]]) -> None:
    """The page's choice (already checked against the same capabilities) to aiortc's objects."""
    capabilities = get_capabilities(transceiver.kind).codecs
    preferred = []
    for codec in codecs:
        match = next((capability for capability in capabilities if _same_codec(capability, codec)), None)
        if match is None:
            raise InvalidModificationError(f"{codec['mimeType']} is not a {transceiver.kind} codec aiortc has")
        preferred.append(match)
    transceiver.setCodecPreferences(preferred)


def _same_codec(capability: RTCRtpCodecCapability, codec: dict[str, Any]) -> bool:
    fmtp = ";".join(f"{key}={value}" for key, value in capability.parameters.items())
    return (capability.mimeType.lower() == codec["mimeType"].lower() and capability.clockRate == codec["clockRate"]
            and capability.channels == codec.get("channels") and fmtp == (codec.get("sdpFmtpLine") or ""))
