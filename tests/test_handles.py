"""The typed handles (server/handles/), driven through a FakePage: no browser.

A stub stands for Playwright (what rtcshim asks of a page and of a JSHandle: the session id,
an object's handle); the FakePage speaks the bridge as the page would. tests/browser/
test_handles.py does the same through Chromium and shim.js.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest

import rtcshim
from rtcshim import AsyncPeerConnection, PeerConnection, handles
from rtcshim.errors import InvalidStateError
from rtcshim.handles.watch import MESSAGES_KEPT, ReceivedMessages
from rtcshim.media import frame_pattern
from rtcshim.media.sources import MediaSources, synthetic_microphone_device
from rtcshim.serving import ServerThread

from .event_loop import run
from .fake_page import DATA_CHANNEL_INIT, FakePage, connect_bridge, negotiate, new_handle

# Short, for the waits that must fail: a long one would fail the same, later.
FAILING_WAIT = 0.3


class PageStub:
    """A Playwright page, as rtcshim asks it: `rtcshim.session()`."""

    def __init__(self, session_id: str | None) -> None:
        self.session_id = session_id

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        assert "rtcshim.session()" in expression
        return self.session_id


class JsHandleStub:
    """A Playwright JSHandle of one of the page's objects, as rtcshim asks it: its handle."""

    def __init__(self, guid: str | None) -> None:
        self.guid = guid

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        assert "rtcshim.handleOf(object)" in expression
        return self.guid


class AsyncPageStub(PageStub):
    """A page of Playwright's async API: `evaluate` is a coroutine."""

    async def evaluate(self, expression: str, arg: Any = None) -> Any:
        return super().evaluate(expression, arg)


class AsyncJsHandleStub(JsHandleStub):
    async def evaluate(self, expression: str, arg: Any = None) -> Any:
        return super().evaluate(expression, arg)


class Call:
    """Two peer connections of one FakePage, `a` offering with a data channel ("chat")."""

    def __init__(self, server: ServerThread, page: FakePage) -> None:
        self.page = page
        self.session = server.page_session(PageStub(page.hello["params"]["session"]))
        self.a, self.b = page.create_peer_connection(), page.create_peer_connection()
        self.channel = new_handle("DataChannel")
        page.call(self.a, "createDataChannel",
                  {"dataChannel": self.channel, "label": "chat", "init": DATA_CHANNEL_INIT})

    def peer_connection(self, guid: str | None) -> PeerConnection:
        return self.session.peer_connection(JsHandleStub(guid))

    def connect(self) -> None:
        negotiate(self.page, self.a, self.b)

    def far_channel(self) -> str:
        message = self.page.wait_event(self.b, "dataChannel")
        far_channel: str = message["params"]["dataChannel"]
        return far_channel


@pytest.fixture
def call(server: ServerThread) -> Iterator[Call]:
    with connect_bridge(server.url) as websocket:
        made = Call(server, FakePage(websocket))
        yield made
        # Read what the page was sent (a closing socket waits for a page that does not read).
        made.page.call("Session", "enumerateDevices", {})


def test_page_session_is_the_session_the_page_names(server: ServerThread, call: Call) -> None:
    assert call.session.id == call.page.hello["params"]["session"]
    assert call.session.id in server.registry.sessions
    assert not call.session.closed


def test_page_session_without_the_shim_raises_lookup_error(server: ServerThread) -> None:
    with pytest.raises(LookupError, match=r"window\.rtcshim is undefined"):
        server.page_session(PageStub(None))


def test_page_session_of_another_server_raises_lookup_error(server: ServerThread) -> None:
    with pytest.raises(LookupError, match="not one of this server's"):
        server.page_session(PageStub("not-a-session"))


def test_page_session_of_an_async_page_raises_type_error(server: ServerThread, call: Call) -> None:
    with pytest.raises(TypeError, match=r"sync API; with its async API, use ServerThread\.async_page_session"):
        server.page_session(AsyncPageStub(call.session.id))


def test_peer_connection_is_the_server_object_of_the_handle(call: Call) -> None:
    handle = call.peer_connection(call.a)
    assert handle.guid == call.a
    assert handle == call.session.peer_connections()[0]
    assert [pc.guid for pc in call.session.peer_connections()] == [call.a, call.b]
    assert handle.connection_state == "new" and handle.signaling_state == "stable"


def test_peer_connection_of_a_data_channel_raises_lookup_error(call: Call) -> None:
    with pytest.raises(LookupError, match=r"is a DataChannel \(DataChannel@.*\), not a PeerConnection"):
        call.peer_connection(call.channel)


def test_peer_connection_of_no_handle_raises_lookup_error(call: Call) -> None:
    with pytest.raises(LookupError, match=r"rtcshim\.handleOf gave null"):
        call.peer_connection(None)


def test_wait_for_connected_returns_once_connected(call: Call) -> None:
    a = call.peer_connection(call.a)
    call.connect()
    a.wait_for(connection_state="connected", ice_connection_state="connected")
    assert a.connection_state == "connected"
    assert a.ice_gathering_state == "complete"


def test_wait_for_timeout_says_the_states_seen(call: Call) -> None:
    a = call.peer_connection(call.a)
    with pytest.raises(TimeoutError) as raised:
        a.wait_for(connection_state="connected", timeout=FAILING_WAIT)
    assert str(raised.value) == (
        f"after {FAILING_WAIT:g} s: {call.a} never had connection_state 'connected'; it has connection_state 'new', "
        "ice_connection_state 'new', ice_gathering_state 'new', signaling_state 'stable'")


def test_wait_for_raises_invalid_state_error_when_the_connection_closes(call: Call) -> None:
    a = call.peer_connection(call.a)
    call.page.call(call.a, "close", {})
    with pytest.raises(InvalidStateError, match="closed while waiting for connection_state 'connected'"):
        a.wait_for(connection_state="connected")
    assert a.connection_state == "closed" and a.signaling_state == "closed"


def test_wait_for_on_the_server_loop_raises_runtime_error(server: ServerThread, call: Call) -> None:
    a = call.peer_connection(call.a)

    async def blocking_on_the_server_loop() -> None:
        a.wait_for(connection_state="connected")

    with pytest.raises(RuntimeError, match=r"PeerConnection.wait_for blocks .* which would wait for itself"):
        server.run(blocking_on_the_server_loop())


def test_async_wait_for_works_on_the_server_loop_and_on_another(server: ServerThread, call: Call) -> None:
    a = AsyncPeerConnection(*_internals(call.peer_connection(call.a)))
    call.connect()
    server.run(a.wait_for(connection_state="connected"))  # in place, on the server's loop
    run(a.wait_for(connection_state="connected"))  # from a loop of its own, in another thread


def test_async_page_session_finds_the_objects_of_an_async_page(server: ServerThread, call: Call) -> None:
    async def connected_state() -> str:
        session = await server.async_page_session(AsyncPageStub(call.session.id))
        a = await session.peer_connection(AsyncJsHandleStub(call.a))
        await a.wait_for(connection_state="connected")
        channel = await a.wait_for_data_channel("chat")
        await channel.wait_for("open")
        await channel.send("async")
        state: str = a.connection_state
        return state

    call.connect()
    assert run(connected_state()) == "connected"
    assert _events(call, call.far_channel(), 1, "message")[0]["params"]["data"] == "async"


def test_descriptions_are_the_pages_after_negotiation(call: Call) -> None:
    a, b = call.peer_connection(call.a), call.peer_connection(call.b)
    assert a.local_description is None
    call.connect()
    a.wait_for(signaling_state="stable")
    assert a.local_description is not None and a.local_description.type == "offer"
    assert b.remote_description is not None and b.remote_description.type == "offer"
    assert a.remote_description is not None and a.remote_description.type == "answer"
    assert "a=fingerprint:sha-256" in a.local_description.sdp
    assert "m=application" in a.remote_description.sdp


def test_get_stats_reports_by_id_with_the_connection_and_its_channel(call: Call) -> None:
    a = call.peer_connection(call.a)
    call.connect()
    a.wait_for(connection_state="connected")
    report = a.get_stats()
    assert report["P"]["type"] == "peer-connection"
    assert {entry["type"] for entry in report.values()} >= {"peer-connection", "data-channel", "transport"}
    assert all(key == entry["id"] for key, entry in report.items())


def test_data_channel_send_reaches_the_far_peer(call: Call) -> None:
    call.connect()
    channel = call.peer_connection(call.a).wait_for_data_channel("chat")
    channel.wait_for("open")
    channel.send("from python")
    channel.send(b"\x00\x01")
    far = call.far_channel()
    messages = [m for m in _events(call, far, 2, "message")]
    assert messages[0]["params"]["data"] == "from python"
    assert messages[1]["params"]["data"] == b"\x00\x01"


def test_data_channel_receive_reads_the_far_peers_messages_in_order(call: Call) -> None:
    call.connect()
    far = call.far_channel()
    call.page.wait_event(far, "open")
    call.page.call(far, "send", {"data": "first"})
    call.page.call(far, "send", {}, b"second")
    channel = call.session.data_channel(JsHandleStub(call.channel))
    assert channel.receive() == "first"
    assert channel.receive() == b"second"
    assert channel.messages == ["first", b"second"]
    with pytest.raises(TimeoutError, match="received no message beyond the 2 already read"):
        channel.receive(timeout=FAILING_WAIT)


def test_data_channel_receive_after_close_reads_what_is_left_then_raises(call: Call) -> None:
    call.connect()
    far = call.far_channel()
    call.page.wait_event(far, "open")
    call.page.call(far, "send", {"data": "last words"})
    channel = call.session.data_channel(JsHandleStub(call.channel))
    channel.wait_for("open")
    call.page.call(call.channel, "close", {})
    channel.wait_for("closed")
    assert channel.receive() == "last words"
    with pytest.raises(InvalidStateError, match="closed, and no message it received is left"):
        channel.receive()


def test_data_channel_send_on_a_closed_channel_raises_invalid_state_error(call: Call) -> None:
    channel = call.session.data_channel(JsHandleStub(call.channel))
    assert channel.ready_state == "connecting"
    with pytest.raises(InvalidStateError, match="send\\(\\) needs an open channel"):
        channel.send("too early")


def test_media_arrives_with_the_counter_advancing_and_dtmf_digits(call: Call) -> None:
    page = call.page
    tracks = page.call("Session", "getUserMedia", {"audio": True, "video": True})["result"]["tracks"]
    audio_transceiver = new_handle("Transceiver")
    for kind, track, transceiver in (("audio", tracks[0], audio_transceiver),
                                     ("video", tracks[1], new_handle("Transceiver"))):
        page.call(call.a, "addTransceiver", {
            "transceiver": transceiver, "receiverTrack": new_handle("MediaStreamTrack"),
            "receiverTrackId": f"{kind}-receiver", "kind": kind, "track": track,
            "init": {"direction": "sendrecv", "streams": ["stream"]}})
    call.connect()
    b = call.peer_connection(call.b)
    b.wait_for(connection_state="connected")
    assert {track.kind for track in call.peer_connection(call.a).local_tracks()} == {"audio", "video"}
    video = b.wait_for_remote_track("video")
    video.wait_for(muted=False)
    counters = [_stamp(video.next_frame()) for _ in range(3)]
    assert counters == sorted(counters) and len(set(counters)) == 3, counters
    audio = b.wait_for_remote_track("audio")
    samples = audio.next_frame()
    assert samples.sample_rate == 48000 and samples.to_ndarray().any()
    sender = new_handle("DtmfSender")
    page.call(audio_transceiver, "createDtmfSender", {"dtmfSender": sender})
    page.call(sender, "insertDTMF", {"tones": "12#", "duration": 40, "interToneGap": 30, "generation": 1})
    assert audio.wait_for_dtmf(3) == "12#"
    assert audio.dtmf_received == "12#"


def test_record_writes_the_received_audio_to_a_file(call: Call, tmp_path: Path) -> None:
    page = call.page
    [microphone] = page.call("Session", "getUserMedia", {"audio": True, "video": False})["result"]["tracks"]
    page.call(call.a, "addTransceiver", {
        "transceiver": new_handle("Transceiver"), "receiverTrack": new_handle("MediaStreamTrack"),
        "receiverTrackId": "audio-receiver", "kind": "audio", "track": microphone,
        "init": {"direction": "sendonly", "streams": []}})
    call.connect()
    heard = call.peer_connection(call.b).wait_for_remote_track("audio")
    recording = heard.record(tmp_path / "heard.wav")
    for _ in range(10):
        heard.next_frame()
    recording.stop()
    with av.open(str(tmp_path / "heard.wav")) as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
    assert samples > 0


def test_use_media_sources_gives_the_next_get_user_media_those_devices(call: Call) -> None:
    call.session.use_media_sources(MediaSources((synthetic_microphone_device(880),)))
    devices = call.page.call("Session", "enumerateDevices", {})["result"]["devices"]
    assert [device["kind"] for device in devices] == ["audioinput"]
    refused = call.page.call("Session", "getUserMedia", {"audio": False, "video": True})
    assert refused["error"]["name"] == "NotFoundError"


def test_received_messages_keep_the_last_and_skip_what_was_dropped() -> None:
    messages = ReceivedMessages()
    for index in range(MESSAGES_KEPT + 2):
        messages.append(str(index))
    assert len(messages.kept) == MESSAGES_KEPT
    assert messages.take() == "2"  # 0 and 1 are no longer kept
    assert messages.count == MESSAGES_KEPT + 2


def _internals(handle: PeerConnection) -> tuple[Any, Any]:
    return handle._dispatcher, handle._reach


def _events(call: Call, guid: str, count: int, event: str) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]]:
        return [m for m in call.page.received if m.get("guid") == guid and m.get("event") == event]
    while len(found()) < count:
        call.page.receive()
    return found()


def _stamp(frame: Any) -> int:
    stamp = frame_pattern.read(frame.to_ndarray(format="rgb24"))
    assert stamp is not None, "the synthetic camera's frame carries no stamp"
    counter: int = stamp.counter
    return counter



def test_python_api_doc_names_every_public_handle_and_member() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "python-api.md").read_text("utf-8")
    undocumented = []
    for name in handles.__all__:
        if f"`{name}`" not in doc:
            undocumented.append(name)
        members = [member for member in dir(getattr(handles, name)) if not member.startswith("_")]
        undocumented += [f"{name}.{member}" for member in members
                         if f"`{member}`" not in doc and f"`{member}(" not in doc]
    assert set(handles.__all__) <= set(rtcshim.__all__)
    assert undocumented == []
