"""Why an offer carries the fingerprints of the first certificate only (docs/conformance/
beyond-native.md): webrtc-pc asks for one a=fingerprint per certificate, but aiortc as the
remote fails DTLS unless every fingerprint it can check matches the one certificate used."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.rtcdtlstransport import RTCCertificate

from .event_loop import run


def with_other_certificate(sdp: str) -> str:
    """`sdp` with a second certificate's fingerprints after each section's own."""
    other = RTCCertificate.generateCertificate().getFingerprints()
    lines = "".join(f"a=fingerprint:{fingerprint.algorithm} {fingerprint.value}\r\n" for fingerprint in other)
    return sdp.replace("a=setup:", lines + "a=setup:")


async def dtls_state(munge: bool) -> str:
    """The answering aiortc peer's DTLS state once the handshake ended."""
    offerer, answerer = RTCPeerConnection(), RTCPeerConnection()
    offerer.createDataChannel("x")
    ended = asyncio.get_running_loop().create_future()

    @answerer.on("connectionstatechange")
    def changed() -> None:
        if answerer.connectionState in ("connected", "failed") and not ended.done():
            ended.set_result(answerer.connectionState)

    try:
        await offerer.setLocalDescription(await offerer.createOffer())
        offer = offerer.localDescription.sdp
        await answerer.setRemoteDescription(
            RTCSessionDescription(sdp=with_other_certificate(offer) if munge else offer, type="offer"))
        await answerer.setLocalDescription(await answerer.createAnswer())
        await offerer.setRemoteDescription(answerer.localDescription)
        return await asyncio.wait_for(ended, 30)
    finally:
        await offerer.close()
        await answerer.close()


@pytest.mark.parametrize(("munge", "state"), [(False, "connected"), (True, "failed")])
def test_aiortc_fails_dtls_on_fingerprints_of_a_certificate_not_used(munge: bool, state: str) -> None:
    assert run(dtls_state(munge)) == state
