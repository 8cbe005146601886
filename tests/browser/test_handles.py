"""The typed handles through Chromium: the page's objects, found from Python, act as the page's.

Each test makes a call inside the shim page (two of its peer connections, each a real aiortc
peer connection on the server), finds its objects from Python through `rtcshim.handleOf`,
and checks what the handle says against what the page sees.
"""

from __future__ import annotations

from typing import Any

import numpy
import pytest
from playwright.sync_api import Page

from rtcshim import PageSession, PeerConnection
from rtcshim.media import frame_pattern
from rtcshim.media.sources import MediaSources, synthetic_microphone_device
from rtcshim.serving import ServerThread

from .page_helpers import run

# Short, for the wait that must fail: a long one would fail the same, later.
FAILING_WAIT = 0.3
DEFAULT_TONE_HZ = 440  # the default synthetic microphone's
TONE_HZ = 880
# 25 frames of 20 ms: 2 Hz bins; a tone within 10 Hz is that tone, not the other.
TONE_TOLERANCE_HZ = 10


def media_call(page: Page, server: ServerThread) -> PageSession:
    """`call.a` sends the camera and the microphone to `call.b`, in the page."""
    run(page, "async () => { window.call = await makeMediaCall(); }")
    return server.page_session(page)


def test_peer_connection_of_the_pages_pc_is_its_server_object(shim_page: Page, server: ServerThread) -> None:
    shim_page.evaluate("window.pc = new RTCPeerConnection(); window.dc = pc.createDataChannel('chat')")
    session = server.page_session(shim_page)
    by_expression = session.peer_connection("pc")
    by_js_handle = session.peer_connection(shim_page.evaluate_handle("pc"))
    assert by_expression == by_js_handle
    assert by_expression.guid == shim_page.evaluate("rtcshim.handleOf(pc)")
    assert by_expression.guid.startswith("PeerConnection@")
    assert session.peer_connections() == [by_expression]
    assert session.id == shim_page.evaluate("rtcshim.session()")
    assert session.data_channel("dc").label == "chat"
    with pytest.raises(LookupError, match="is a DataChannel"):
        session.peer_connection("dc")
    with pytest.raises(LookupError, match=r"rtcshim\.handleOf gave null"):
        session.peer_connection("({})")
    # close() disposes the handle on the server, which tells the page before any later reply.
    run(shim_page, "async () => { pc.close(); await roundTrip(); }")
    with pytest.raises(LookupError, match=r"rtcshim\.handleOf gave null"):
        session.peer_connection("pc")


def test_wait_for_connected_then_the_descriptions_and_stats_are_the_pages(
    shim_page: Page, server: ServerThread,
) -> None:
    session = media_call(shim_page, server)
    a, b = session.peer_connection("call.a"), session.peer_connection("call.b")
    b.wait_for(connection_state="connected", ice_connection_state="connected")
    page_sees = shim_page.evaluate("""() => ({
        local: call.a.localDescription.toJSON(), remote: call.a.remoteDescription.toJSON(),
        states: [call.a.connectionState, call.a.signalingState] })""")
    assert page_sees["states"] == [a.connection_state, a.signaling_state] == ["connected", "stable"]
    assert a.local_description is not None and a.remote_description is not None
    assert {"type": a.local_description.type, "sdp": a.local_description.sdp} == page_sees["local"]
    assert {"type": a.remote_description.type, "sdp": a.remote_description.sdp} == page_sees["remote"]
    report = a.get_stats()
    page_types = set(run(shim_page, "async () => [...(await call.a.getStats()).values()].map((s) => s.type)"))
    assert {"outbound-rtp", "media-source", "candidate-pair", "peer-connection"} <= set(
        entry["type"] for entry in report.values())
    assert page_types == {entry["type"] for entry in report.values()}


def test_remote_video_frames_carry_the_advancing_counter_and_audio_its_samples(
    shim_page: Page, server: ServerThread,
) -> None:
    session = media_call(shim_page, server)
    b = session.peer_connection("call.b")
    video = session.track("call.b.getReceivers().find((receiver) => receiver.track.kind === 'video').track")
    assert video == b.wait_for_remote_track("video")
    video.wait_for(muted=False)
    counters = [stamp_of(video.next_frame()) for _ in range(3)]
    assert counters == sorted(set(counters)), counters
    audio = b.wait_for_remote_track("audio")
    assert audio.id == shim_page.evaluate("call.b.getReceivers().find((r) => r.track.kind === 'audio').track.id")
    assert abs(tone_of(audio) - DEFAULT_TONE_HZ) < TONE_TOLERANCE_HZ


def test_data_channel_send_reaches_the_page_and_receive_reads_the_pages(
    shim_page: Page, server: ServerThread,
) -> None:
    run(shim_page, """async () => {
        window.pair = await makePair();
        window.heard = [];
        pair.remoteChannel.onmessage = (event) => heard.push(event.data);
    }""")
    session = server.page_session(shim_page)
    channel = session.data_channel("pair.channel")
    assert channel == session.peer_connection("pair.a").wait_for_data_channel("test")
    channel.wait_for("open")
    channel.send("from python")
    assert run(shim_page, "() => until(() => heard.length && heard)") == ["from python"]
    shim_page.evaluate("pair.remoteChannel.send('from the page')")
    assert channel.receive() == "from the page"
    assert shim_page.evaluate("pair.channel.bufferedAmount") == 0


def test_dtmf_the_page_sends_is_received_as_digits(shim_page: Page, server: ServerThread) -> None:
    run(shim_page, "() => dtmfCall().then(() => undefined)")
    session = server.page_session(shim_page)
    heard = session.peer_connection("dtmfPair.b").wait_for_remote_track("audio")
    shim_page.evaluate("dtmfPair.sender.dtmf.insertDTMF('12#', 40, 30)")
    assert heard.wait_for_dtmf(3) == "12#"


def test_media_sources_given_to_the_session_are_the_next_get_user_medias(
    shim_page: Page, server: ServerThread,
) -> None:
    session = server.page_session(shim_page)
    session.use_media_sources(MediaSources((synthetic_microphone_device(TONE_HZ, label="test tone"),)))
    outcome = run(shim_page, """async () => {
        window.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
        const video = await navigator.mediaDevices.getUserMedia({ video: true }).catch((error) => error.name);
        return { label: stream.getAudioTracks()[0].label, video };
    }""")
    assert outcome == {"label": "test tone", "video": "NotFoundError"}
    microphone = session.track("stream.getAudioTracks()[0]")
    assert microphone.label == "test tone"
    assert abs(tone_of(microphone) - TONE_HZ) < TONE_TOLERANCE_HZ


def test_wait_for_timeout_says_what_it_saw(shim_page: Page, server: ServerThread) -> None:
    shim_page.evaluate("window.pc = new RTCPeerConnection()")
    pc = server.page_session(shim_page).peer_connection("pc")
    with pytest.raises(TimeoutError, match="never had connection_state 'connected'; it has connection_state 'new'"):
        pc.wait_for(connection_state="connected", timeout=FAILING_WAIT)


def test_sync_methods_on_the_server_loop_raise_runtime_error(shim_page: Page, server: ServerThread) -> None:
    shim_page.evaluate("window.pc = new RTCPeerConnection()")
    pc: PeerConnection = server.page_session(shim_page).peer_connection("pc")

    async def on_the_server_loop() -> None:
        pc.get_stats()

    with pytest.raises(RuntimeError, match=r"PeerConnection\.get_stats blocks .* would wait for itself"):
        server.run(on_the_server_loop())


def stamp_of(frame: Any) -> int:
    stamp = frame_pattern.read(frame.to_ndarray(format="rgb24"))
    assert stamp is not None, "the synthetic camera's frame carries no stamp"
    counter: int = stamp.counter
    return counter


def tone_of(track: Any, frames: int = 25) -> float:
    """The loudest frequency of the next `frames` audio frames of `track`, in Hz."""
    received = [track.next_frame() for _ in range(frames)]
    samples = numpy.concatenate([frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0]
                                 for frame in received]).astype(float)
    spectrum = numpy.abs(numpy.fft.rfft(samples))
    return float(numpy.fft.rfftfreq(len(samples), 1 / received[0].sample_rate)[spectrum.argmax()])
