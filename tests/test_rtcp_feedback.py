"""The RTCP feedback counted for getStats, on real aiortc senders and receivers (no
connection): what aiortc does with each packet, and what we note of it."""

from __future__ import annotations

from typing import Any

from aiortc import (
    RTCCertificate,
    RTCDtlsTransport,
    RTCIceGatherer,
    RTCIceTransport,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
)
from aiortc.codecs.g711 import PcmuEncoder
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    pack_remb_fci,
)

from rtcshim.rtcp_feedback import Feedback, Remb, combined_bitrate, watch_receiver_feedback
from rtcshim.rtp_parameters import SendParameters

from .event_loop import run

SSRC = 1234


def remb(bitrate: int, ssrcs: list[int]) -> RtcpPsfbPacket:
    return RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=SSRC, media_ssrc=0, fci=pack_remb_fci(bitrate, ssrcs))


def nack(media_ssrc: int) -> RtcpRtpfbPacket:
    packet = RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=SSRC, media_ssrc=media_ssrc)
    packet.lost = [7, 9]
    return packet


def video_transceiver() -> RTCRtpTransceiver:
    transport = RTCDtlsTransport(RTCIceTransport(RTCIceGatherer()), [RTCCertificate.generateCertificate()])
    return RTCRtpTransceiver("video", RTCRtpReceiver("video", transport), RTCRtpSender("video", transport))


def test_feedback_counts_each_kind_of_packet_and_keeps_the_last_remb() -> None:
    feedback = Feedback()
    for packet in (
        nack(5), nack(5), RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=SSRC, media_ssrc=5),
        RtcpPsfbPacket(fmt=RTCP_PSFB_FIR, ssrc=SSRC, media_ssrc=5), remb(300_000, [5]), remb(250_000, [5, 6]),
        RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=SSRC, media_ssrc=0, fci=b"not a REMB"),
        RtcpRrPacket(ssrc=SSRC, reports=[RtcpReceiverInfo(5, 0, 0, 0, 0, 0, 0)]),
    ):
        feedback.count(packet)
    assert feedback == Feedback(nacks=2, plis=1, firs=1, remb=Remb(250_000, (5, 6)))


def test_combined_bitrate_counts_a_shared_remb_once_and_adds_separate_ones() -> None:
    shared = Remb(800_000, (1, 2))
    assert combined_bitrate([shared, shared, None]) == 800_000  # one REMB for both streams
    assert combined_bitrate([Remb(300_000, (1,)), Remb(200_000, (2,))]) == 500_000  # one each
    assert combined_bitrate([None]) is None and combined_bitrate([]) is None


def test_a_remb_is_noted_and_max_bitrate_caps_the_encoder_aiortc_set_from_it() -> None:
    async def scenario() -> tuple[SendParameters, Any]:
        transceiver = video_transceiver()
        sender = transceiver.sender
        parameters = SendParameters(transceiver)
        parameters.set(active=True, max_bitrate=400_000)
        encoder = Vp8Encoder()
        sender._RTCRtpSender__encoder = encoder  # type: ignore[attr-defined]  # made by the first frame
        await sender._handle_rtcp_packet(remb(1_000_000, [sender._ssrc]))
        await sender._handle_rtcp_packet(nack(sender._ssrc))
        return parameters, encoder

    parameters, encoder = run(scenario())
    assert parameters.feedback.remb is not None and parameters.feedback.remb.bitrate == 1_000_000
    assert parameters.feedback.nacks == 1
    # aiortc set the encoder to the REMB's 1 Mbps; the cap took it back at once.
    assert encoder.target_bitrate == parameters.target_bitrate == 400_000


def test_target_bitrate_is_the_encoders_once_there_is_one() -> None:
    async def scenario() -> list[int | None]:
        transceiver = video_transceiver()
        parameters = SendParameters(transceiver)
        targets = [parameters.target_bitrate]
        for encoder in (Vp8Encoder(), OpusEncoder(), PcmuEncoder()):
            transceiver.sender._RTCRtpSender__encoder = encoder  # type: ignore[attr-defined]
            targets.append(parameters.target_bitrate)
        return targets

    # None before the first frame; VP8's starting 500 kbps; the 96 kbps aiortc gives libopus;
    # none for G.711, whose encoder has no target (its context claims its input's 128 kbps).
    assert run(scenario()) == [None, 500_000, 96_000, None]


def test_a_receiver_counts_the_feedback_it_sends() -> None:
    async def scenario() -> Feedback:
        receiver = video_transceiver().receiver
        feedback = watch_receiver_feedback(receiver)
        receiver._set_rtcp_ssrc(SSRC)
        # Not connected, the transport drops them; the receiver sent them all the same.
        await receiver._send_rtcp_nack(5, [7])
        await receiver._send_rtcp_pli(5)
        await receiver._send_rtcp(remb(640_000, [5]))
        return feedback

    assert run(scenario()) == Feedback(nacks=1, plis=1, remb=Remb(640_000, (5,)))
