"""RTCRtpSender.setParameters and RTCRtpTransceiver.setCodecPreferences, on aiortc.

aiortc's sender has an enabled switch (off, it drops frames unencoded) that its
transceiver sets from each negotiated direction; an inactive encoding turns it off too, so
`SendParameters.apply` runs again after every negotiation. aiortc's video encoder takes its
bitrate from the receiver's REMB feedback (`rtcp_feedback.py`); a maxBitrate caps it after
each frame, the one point where the encoder (made lazily, anew when the codec changes)
surely exists, and again after each REMB, which would otherwise lift it for the next frame.
aiortc's video encoders keep their own floor (250 kbps for VP8, 500 kbps for H.264), and
its audio encoders take no bitrate (Opus runs at a fixed 96 kbps), so maxBitrate caps video
only. The same point counts the video frames really encoded (getStats' outbound-rtp), for
the sender's whole life, whatever track it sends.
"""

from __future__ import annotations

from typing import Any

from aiortc import RTCRtpCodecCapability, RTCRtpSender, RTCRtpTransceiver
from aiortc.codecs import get_capabilities
from aiortc.codecs.opus import OpusEncoder
from aiortc.mediastreams import MediaStreamTrack

from .aiortc_seams import on_encoded_frame, sender_encoder, set_sender_enabled
from .errors import InvalidModificationError
from .media.fan_out import EnabledGate
from .media.meter import MediaMeter
from .rtcp_feedback import watch_sender_feedback

SENDING = ("sendrecv", "sendonly")


class SendParameters:
    """The one encoding of an aiortc sender: whether it sends, its bitrate cap, the video
    frames it encoded and the RTCP feedback it received."""

    def __init__(self, transceiver: RTCRtpTransceiver) -> None:
        self.transceiver = transceiver
        self.active = True
        self.max_bitrate: int | None = None
        self.encoded = MediaMeter()
        self._watch_encoding(transceiver.sender)
        self.feedback = watch_sender_feedback(transceiver.sender, after=self._cap_bitrate)

    def set(self, active: bool, max_bitrate: int | None) -> None:
        self.active = active
        self.max_bitrate = max_bitrate
        self.apply()

    def apply(self) -> None:
        sending = self.transceiver.currentDirection in SENDING
        set_sender_enabled(self.transceiver.sender, sending and self.active)

    @property
    def target_bitrate(self) -> int | None:
        """The bitrate the encoder aims at (bps), once there is one: the video encoder's,
        which follows REMB under our cap, or the one aiortc set libopus to. (The G.711 and
        G.722 encoders' contexts carry their PCM input's rate, not a target.)"""
        encoder = self._encoder()
        if hasattr(encoder, "target_bitrate"):
            return int(encoder.target_bitrate)
        if isinstance(encoder, OpusEncoder):
            return encoder.codec.bit_rate
        return None

    def _encoder(self) -> Any:
        return sender_encoder(self.transceiver.sender)

    def _cap_bitrate(self) -> None:
        encoder = self._encoder()
        cap = self.max_bitrate
        if cap is not None and hasattr(encoder, "target_bitrate") and encoder.target_bitrate > cap:
            encoder.target_bitrate = cap

    def _watch_encoding(self, sender: RTCRtpSender) -> None:
        def encoded(source: MediaStreamTrack | None, frame: Any) -> None:
            # None: dropped (sender disabled) or no payload; else the gate's last frame was encoded.
            if frame is not None and isinstance(source, EnabledGate) and source.kind == "video":
                self.encoded.count(source.last_frame)
            self._cap_bitrate()

        on_encoded_frame(sender, encoded)


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
