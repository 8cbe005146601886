"""The RTCP feedback between an RTP sender and its receiver, which aiortc acts on but does
not count, for getStats.

A receiver asks for retransmissions (NACK) and key frames (PLI, FIR), and its video
receivers estimate the bitrate they can take in and tell the sender (REMB, aiortc's
`RemoteBitrateEstimator`); the sender retransmits, encodes a key frame, or sets its
encoder's bitrate to the REMB's. So the REMBs our senders last received are the bandwidth
we may send (availableOutgoingBitrate), and those our receivers last sent the bandwidth
they estimate we can receive (availableIncomingBitrate). aiortc's estimator gives its first
estimate about 3 s after video starts, and no REMB goes either way before that.

Each side is counted on that one aiortc object, before any packet passes: what the sender
received (aiortc's transport routes it only the feedback naming its SSRC) and what the
receiver sent (`aiortc_seams.on_rtcp_received`, `on_rtcp_sent`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
    unpack_remb_fci,
)

from .aiortc_seams import on_rtcp_received, on_rtcp_sent


@dataclass(frozen=True)
class Remb:
    """One REMB: the bitrate (bps) its receiver can take for these SSRCs together."""

    bitrate: int
    ssrcs: tuple[int, ...]


@dataclass
class Feedback:
    """The feedback packets one stream received (a sender) or sent (a receiver)."""

    nacks: int = 0
    plis: int = 0
    firs: int = 0
    remb: Remb | None = None  # the last one

    def count(self, packet: Any) -> None:
        if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            self.nacks += 1
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_PLI:
            self.plis += 1
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_FIR:
            self.firs += 1
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                return  # an application-layer message that is not a REMB
            self.remb = Remb(bitrate, tuple(ssrcs))


def watch_sender_feedback(sender: RTCRtpSender, after: Callable[[], None]) -> Feedback:
    """Count the feedback an aiortc RTCRtpSender receives; `after` runs once aiortc acted on
    each RTCP packet (a REMB has set the encoder's bitrate by then)."""
    feedback = Feedback()

    def count_then_after(packet: Any) -> None:
        feedback.count(packet)
        after()

    on_rtcp_received(sender, count_then_after)
    return feedback


def watch_receiver_feedback(receiver: RTCRtpReceiver) -> Feedback:
    """Count the feedback an aiortc RTCRtpReceiver sends."""
    feedback = Feedback()
    on_rtcp_sent(receiver, feedback.count)
    return feedback


def combined_bitrate(rembs: Iterable[Remb | None]) -> int | None:
    """The bitrate several streams' last REMBs allow together, if any came: one REMB may
    cover several of them (Chromium sends one for all its video), or each its own (aiortc's
    receivers each estimate their own stream)."""
    by_streams = {remb.ssrcs: remb.bitrate for remb in rembs if remb is not None}
    return sum(by_streams.values()) if by_streams else None
