"""DTMF between a shimmed page and native Chromium: negotiation, and decoding Chromium's own events.

Chromium's RTCDTMFSender sends RFC 4733 events to the shimmed page, whose server decodes
them; the shimmed page sends its tones to Chromium, which negotiates telephone-event with
us and receives the stream without a gap in its sequence numbers.
"""

from __future__ import annotations

from playwright.sync_api import Page

from rtcshim.serving import ServerThread

from .dtmf_checks import received_tones, receiving_transceivers

IS_NATIVE = "RTCPeerConnection.toString().includes('[native code]')"
# A peer connection sending the page's microphone (Chromium's fake one, or the server's).
OPEN_AUDIO_CALL = """async () => {
    window.pc = new RTCPeerConnection();
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    window.sender = pc.addTrack(stream.getAudioTracks()[0], stream);
}"""


def call(offerer: Page, answerer: Page) -> None:
    """Both pages open an audio call; offer and answer carry every candidate (no trickle)."""
    for page in (offerer, answerer):
        page.evaluate(OPEN_AUDIO_CALL)
    offer = offerer.evaluate("() => gatheredOffer(pc)")
    answer = answerer.evaluate("(offer) => gatheredAnswer(pc, offer)", offer)
    offerer.evaluate("(answer) => pc.setRemoteDescription(answer)", answer)
    for page in (offerer, answerer):
        page.evaluate("() => connected(pc)")


def play(page: Page, tones: str) -> list[str]:
    return list(page.evaluate("""async (tones) => {
        logTones(sender.dtmf);
        sender.dtmf.insertDTMF(tones, 80, 50);
        return (await tonesDone(sender.dtmf)).map((entry) => entry.tone);
    }""", tones))


def test_native_chromium_dtmf_is_decoded_by_the_shim_server(
    shim_page: Page, native_page: Page, server: ServerThread
) -> None:
    native, shim = native_page, shim_page
    assert (native.evaluate(IS_NATIVE), shim.evaluate(IS_NATIVE)) == (True, False)
    call(native, shim)
    assert native.evaluate("sender.dtmf.canInsertDTMF") is True
    assert play(native, "159#") == ["1", "5", "9", "#", ""]
    [receiving] = receiving_transceivers(server)
    tones = received_tones(server, receiving, 4)
    assert [tone.tone for tone in tones] == ["1", "5", "9", "#"]
    # Both rates were negotiated; Chromium 156 sends telephone-event/8000 beside Opus.
    assert len({tone.clock_rate for tone in tones}) == 1
    assert {tone.clock_rate for tone in tones} <= {8000, 48000}


def test_shim_dtmf_reaches_native_chromium_in_an_unbroken_stream(shim_page: Page, native_page: Page) -> None:
    shim, native = shim_page, native_page
    assert (native.evaluate(IS_NATIVE), shim.evaluate(IS_NATIVE)) == (True, False)
    call(shim, native)
    assert "telephone-event/48000" in native.evaluate("pc.localDescription.sdp")
    assert shim.evaluate("sender.dtmf.canInsertDTMF") is True
    assert play(shim, "2468") == ["2", "4", "6", "8", ""]
    stats = native.evaluate("""async () => {
        const report = await pc.getStats();
        const inbound = [...report.values()].find((stats) => stats.type === 'inbound-rtp' && stats.kind === 'audio');
        return { packetsReceived: inbound.packetsReceived, packetsLost: inbound.packetsLost };
    }""")
    # Our events took sequence numbers in the audio's sequence: Chromium counts no loss.
    assert stats["packetsReceived"] > 0 and stats["packetsLost"] == 0, stats
