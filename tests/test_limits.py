"""Limits: each bound a page hits gets its error (or its close), and the session goes on."""

from __future__ import annotations

import asyncio
import fractions
import gc
import json
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import av
import numpy
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from rtcshim import sdp_fixes
from rtcshim.cli import parse_arguments
from rtcshim.dispatchers import peer_connection as peer_connection_module
from rtcshim.dispatchers.session import SessionDispatcher
from rtcshim.json_shape import JsonShape, measure
from rtcshim.limits import Limits
from rtcshim.media.upload import UploadedSource, jpeg_size
from rtcshim.registry import Registry
from rtcshim.serving import ServerThread
from rtcshim.session import Session

from .conftest import wait_until_empty
from .event_loop import run
from .fake_page import CONFIGURATION, DATA_CHANNEL_INIT, FakePage, local_description, new_handle

REPO = Path(__file__).resolve().parent.parent
LIMITS_DOC = REPO / "docs" / "security" / "limits.md"
SMALL = Limits(
    message_bytes=256 << 10, sdp_bytes=64 << 10, sdp_candidates=10, json_depth=64, json_values=1000,
    peer_connections=3,
    data_channels_per_peer_connection=2, data_channels=3, tracks=4, sessions_per_origin=2, calls_in_flight=2,
    outgoing_messages=1000, outgoing_bytes=1 << 20, upload_width=640, upload_height=480, upload_frame_bytes=100_000,
)
Open = Callable[..., AbstractContextManager[ClientConnection]]


@pytest.fixture(scope="module")
def small_server() -> Iterator[ServerThread]:
    with ServerThread(limits=SMALL) as running:
        yield running


@pytest.fixture
def server(small_server: ServerThread) -> Iterator[ServerThread]:
    wait_until_empty(small_server)
    yield small_server
    small_server.close_sessions()


@pytest.fixture
def open_socket(server: ServerThread) -> Open:
    """A bridge socket from the server's own origin (or `origin`)."""
    def open_one(origin: str | None = None, **options: Any) -> AbstractContextManager[ClientConnection]:
        return connect(server.url.replace("http", "ws") + "/bridge",
                       additional_headers={"Origin": origin or server.url}, **options)
    return open_one


@pytest.fixture
def page(open_socket: Open) -> Iterator[FakePage]:
    with open_socket() as websocket:
        yield FakePage(websocket)


def error_of(reply: dict[str, Any]) -> tuple[str, str]:
    return reply["error"]["name"], reply["error"]["message"]


def still_works(page: FakePage) -> None:
    reply = page.call("Session", "enumerateDevices", {})
    assert "result" in reply, reply


def jpeg(width: int, height: int) -> bytes:
    image = av.VideoFrame.from_ndarray(numpy.zeros((height, width, 3), numpy.uint8), format="rgb24")
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuvj420p"
    encoder.time_base = fractions.Fraction(1, 30)
    packets = encoder.encode(image.reformat(format="yuvj420p")) + encoder.encode(None)
    return b"".join(bytes(packet) for packet in packets)


def claiming_size(image: bytes, width: int, height: int) -> bytes:
    """`image` with its frame header claiming another size (nothing is decoded to check it)."""
    header = image.index(b"\xff\xc0")
    return image[:header + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + image[header + 9:]


# --- the options and the documentation ------------------------------------------------


@pytest.mark.parametrize("name", [limit.name for limit in fields(Limits)])
def test_every_limit_has_an_option_and_a_documented_row(name: str) -> None:
    option = Limits.option(name)
    settings = parse_arguments(["serve", option, "7"])
    assert getattr(settings.limits, name) == 7
    assert getattr(parse_arguments(["serve"]).limits, name) == getattr(Limits(), name)
    table = [line for line in LIMITS_DOC.read_text("utf-8").splitlines() if line.startswith("|")]
    rows = [line for line in table if f"`{option}`" in line]
    assert len(rows) == 1, f"docs/security/limits.md needs one table row for {option}"
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert len(cells) == 4 and all(cells), rows[0]  # limit, default, option, what the page sees
    assert re.sub(r"[ ,_]", "", cells[1]).startswith(_documented(getattr(Limits(), name)))


def _documented(default: int) -> str:
    mebibytes, rest = divmod(default, 1 << 20)
    return f"{mebibytes}MiB" if mebibytes and not rest else str(default)


def test_a_limit_below_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_arguments(["serve", "--max-peer-connections", "0"])
    assert "0 is not a positive number" in capsys.readouterr().err


# --- message size and JSON depth -----------------------------------------------------


def test_a_frame_over_the_message_size_closes_with_1009(open_socket: Open) -> None:
    with open_socket() as websocket:
        FakePage(websocket)
        websocket.send("x" * (SMALL.message_bytes + 1))
        with pytest.raises(ConnectionClosed) as closed:
            websocket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    with open_socket() as websocket:
        still_works(FakePage(websocket))


@pytest.mark.parametrize("where", ["message", "params"])
def test_deep_json_is_a_type_error_with_its_id(page: FakePage, where: str) -> None:
    levels = 100_000 if where == "message" else 2_000
    deep = "[" * levels + "]" * levels
    if where == "message":
        text = '{"id": 41, "guid": "Session", "method": "enumerateDevices", "params": {}, "x": ' + deep + "}"
    else:
        text = '{"id": 41, "guid": "Session", "method": "getUserMedia", "params": {"audio": ' + deep + "}}"
    page.websocket.send(text)
    reply = page.reply_to(41)
    assert error_of(reply) == ("TypeError", "the message nests too deep: this server's limit is 64 (--max-json-depth)")
    still_works(page)


def test_deep_json_without_a_leading_id_gets_a_reply_without_one(page: FakePage) -> None:
    reply = page.send_raw('{"guid": "Session", "id": 3, "x": ' + "{}" * 3 + "[" * 500 + "]" * 500 + "}")
    assert reply["error"]["name"] == "TypeError"


def test_deep_json_in_a_binary_frame_header(page: FakePage) -> None:
    header = ('{"id": 9, "guid": "Session", "method": "x", "params": {"y": ' + "[" * 300 + "]" * 300 + "}}").encode()
    page.websocket.send(len(header).to_bytes(4, "big") + header + b"payload")
    assert page.reply_to(9)["error"]["name"] == "TypeError"


def test_a_message_of_too_many_values_is_a_type_error(page: FakePage) -> None:
    values = ",".join(["[]"] * SMALL.json_values)
    page.websocket.send('{"id": 5, "guid": "Session", "method": "getUserMedia", "params": {"audio": [' + values + "]}}")
    assert error_of(page.reply_to(5)) == (
        "TypeError", "the message holds 2005 values: this server's limit is 1000 (--max-json-values)")
    still_works(page)


def test_json_shape_counts_brackets_and_commas_outside_strings_only() -> None:
    assert measure(json.dumps({"text": "[" * 1000 + "," * 1000}), 64, 100) is None
    assert measure(json.dumps({"text": '\\"[' * 1000}), 64, 100) is None
    assert measure("[" * 64 + "]" * 64, 64, 100) is None
    assert measure("[" * 65 + "]" * 65, 64, 100) == JsonShape(65, 65)
    assert measure(json.dumps({"a": [{"b": "]]]"}] * 70}) + "[" * 70, 64, 1000) == JsonShape(70, 211)
    assert measure(json.dumps(list(range(101))), 64, 100) == JsonShape(1, 101)


# --- SDP -----------------------------------------------------------------------------


def offer_sdp(page: FakePage) -> str:
    source = page.create_peer_connection()
    page.call(source, "createDataChannel", {"dataChannel": new_handle("DataChannel"), "label": "x",
                                            "init": DATA_CHANNEL_INIT})
    sdp: str = page.call(source, "createOffer", {"options": {}})["result"]["description"]["sdp"]
    page.call(source, "close", {})
    return sdp


@pytest.mark.parametrize("method", ["setLocalDescription", "setRemoteDescription"])
def test_an_sdp_over_the_limit_is_an_operation_error(page: FakePage, method: str) -> None:
    target = page.create_peer_connection()
    if method == "setLocalDescription":
        sdp = page.call(target, "createOffer", {"options": {}})["result"]["description"]["sdp"]
    else:
        sdp = offer_sdp(page)
    padded = sdp + "a=x-padding:" + "p" * SMALL.sdp_bytes + "\r\n"
    reply = page.call(target, method, {"description": {"type": "offer", "sdp": padded}})
    assert error_of(reply) == ("OperationError", f"the SDP is {len(padded)} bytes: this server's limit is "
                                                 f"{SMALL.sdp_bytes} (--max-sdp-bytes)")
    assert "result" in page.call(target, method, {"description": {"type": "offer", "sdp": sdp}})


def test_a_remote_description_with_too_many_candidates(page: FakePage) -> None:
    sdp = offer_sdp(page) + "a=candidate:1 1 udp 2130706431 10.99.0.1 9 typ host\r\n" * 11
    target = page.create_peer_connection()
    reply = page.call(target, "setRemoteDescription", {"description": {"type": "offer", "sdp": sdp}})
    assert error_of(reply) == ("OperationError", "the description holds 11 ICE candidates: this server's limit is "
                                                 "10 (--max-sdp-candidates)")
    still_works(page)


def test_the_remote_sdp_is_read_in_a_worker_thread_while_other_sessions_go_on(
    page: FakePage, open_socket: Open, monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads = hold_sdp_reading(monkeypatch)
    sdp = offer_sdp(page)
    target = page.create_peer_connection()
    call = page.send_call(target, "setRemoteDescription", {"description": {"type": "offer", "sdp": sdp}})
    assert threads.reading.wait(10)
    with open_socket() as websocket:
        still_works(FakePage(websocket))  # while the first page's SDP is still being read
    threads.release.set()
    assert "result" in page.reply_to(call)
    assert threads.names and "rtcshim-server" not in threads.names  # not the server's event loop thread


@pytest.mark.parametrize("large", [False, True])
def test_a_local_sdp_is_read_on_the_event_loop_unless_large(
    page: FakePage, monkeypatch: pytest.MonkeyPatch, large: bool,
) -> None:
    """A browser's few KiB take about a millisecond: less than the trip to a worker thread."""
    threads = hold_sdp_reading(monkeypatch)
    threads.release.set()
    target = page.create_peer_connection()
    page.call(target, "createDataChannel", {"dataChannel": new_handle("DataChannel"), "label": "x",
                                            "init": DATA_CHANNEL_INIT})
    offer = page.call(target, "createOffer", {"options": {}})["result"]["description"]
    assert len(offer["sdp"]) <= peer_connection_module.SDP_READ_ON_LOOP_BYTES
    if large:
        monkeypatch.setattr(peer_connection_module, "SDP_READ_ON_LOOP_BYTES", len(offer["sdp"]) - 1)
    assert "result" in page.call(target, "setLocalDescription", {"description": offer})
    assert len(threads.names) == 1
    assert (threads.names[0] == "rtcshim-server") != large


@dataclass
class HeldSdpReading:
    """The threads that read SDP (sdp_fixes.check_syntax), each held until `release`."""

    reading: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    names: list[str] = field(default_factory=list)


def hold_sdp_reading(monkeypatch: pytest.MonkeyPatch) -> HeldSdpReading:
    held = HeldSdpReading()
    check_syntax = sdp_fixes.check_syntax

    def check_held(sdp: str) -> None:
        held.names.append(threading.current_thread().name)
        held.reading.set()
        held.release.wait(30)
        check_syntax(sdp)

    monkeypatch.setattr(sdp_fixes, "check_syntax", check_held)
    return held


# --- objects per session -------------------------------------------------------------


def create_peer_connection(page: FakePage) -> tuple[str, dict[str, Any]]:
    guid = new_handle("PeerConnection")
    return guid, page.call("Session", "createPeerConnection", {"peerConnection": guid, "configuration": CONFIGURATION})


def test_peer_connections_beyond_the_limit_are_chromiums_unknown_error(page: FakePage) -> None:
    made = [create_peer_connection(page)[0] for _ in range(SMALL.peer_connections)]
    _, refused = create_peer_connection(page)
    assert error_of(refused) == ("UnknownError", "Cannot create so many PeerConnections: this server's limit is 3 "
                                                 "(--max-peer-connections)")
    page.call(made[0], "close", {})
    assert "result" in create_peer_connection(page)[1]


def create_data_channel(page: FakePage, peer_connection: str) -> dict[str, Any]:
    return page.call(peer_connection, "createDataChannel", {"dataChannel": new_handle("DataChannel"), "label": "x",
                                                            "init": DATA_CHANNEL_INIT})


def test_data_channels_beyond_the_limits_are_operation_errors(page: FakePage) -> None:
    first, second = page.create_peer_connection(), page.create_peer_connection()
    assert ["result" in create_data_channel(page, first) for _ in range(2)] == [True, True]
    assert error_of(create_data_channel(page, first)) == (
        "OperationError",
        "RTCDataChannel creation failed: this server's limit is 2 (--max-data-channels-per-peer-connection)")
    assert "result" in create_data_channel(page, second)
    assert error_of(create_data_channel(page, second)) == (
        "OperationError", "RTCDataChannel creation failed: this server's limit is 3 (--max-data-channels)")
    page.call(first, "close", {})
    assert "result" in create_data_channel(page, second)


class LogWaiter(logging.Handler):
    """Sets `seen` when a record holding `text` is logged (from the server's thread)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


def test_a_remote_peers_data_channel_beyond_the_limit_is_closed(open_socket: Open) -> None:
    refused = LogWaiter("RTCDataChannel creation failed: this server's limit is 3 (--max-data-channels)")
    logger = logging.getLogger("rtcshim.dispatchers.peer_connection")
    logger.addHandler(refused)
    try:
        with open_socket() as offering_socket, open_socket() as answering_socket:
            offering, answering = FakePage(offering_socket), FakePage(answering_socket)
            offerer, answerer, other = (offering.create_peer_connection(), answering.create_peer_connection(),
                                        answering.create_peer_connection())
            for _ in range(2):
                assert "result" in create_data_channel(offering, offerer)
                assert "result" in create_data_channel(answering, other)  # the answering page: 2 of its 3
            offering.call(offerer, "setLocalDescription", {"description": None})
            answering.call(answerer, "setRemoteDescription", {"description": local_description(offering, offerer)})
            answering.call(answerer, "setLocalDescription", {"description": None})
            offering.call(offerer, "setRemoteDescription", {"description": local_description(answering, answerer)})
            answering.wait_event(answerer, "dataChannel")  # the first has room
            assert refused.seen.wait(30), "the remote peer's channel beyond the limit was not refused"
            still_works(answering)
            announced = [message for message in answering.received
                         if message.get("guid") == answerer and message.get("event") == "dataChannel"]
            assert len(announced) == 1
    finally:
        logger.removeHandler(refused)


def test_tracks_beyond_the_limit_are_operation_errors(page: FakePage) -> None:
    refused = ("OperationError", "Cannot create so many tracks: this server's limit is 4 (--max-tracks)")
    tracks = page.call("Session", "getUserMedia", {"audio": True, "video": True})["result"]["tracks"]
    guid = page.create_peer_connection()
    add_transceiver = {"transceiver": new_handle("Transceiver"), "receiverTrack": new_handle("MediaStreamTrack"),
                       "receiverTrackId": "r", "kind": "audio", "track": None,
                       "init": {"direction": "sendrecv", "streams": []}}
    assert "result" in page.call(guid, "addTransceiver", add_transceiver)  # its receiver's track is the third
    assert error_of(page.call("Session", "getUserMedia", {"audio": True, "video": True})) == refused
    assert "result" in page.call(tracks[0], "clone", {"track": new_handle("MediaStreamTrack"), "id": "c"})
    assert error_of(page.call(tracks[0], "clone", {"track": new_handle("MediaStreamTrack"), "id": "d"})) == refused
    upload = {"track": new_handle("MediaStreamTrack"), "kind": "video", "id": "u", "label": "l", "settings": {}}
    assert error_of(page.call("Session", "uploadTrack", upload)) == refused
    assert error_of(page.call(guid, "addTransceiver", {**add_transceiver, "transceiver": new_handle("Transceiver"),
                                                       "receiverTrack": new_handle("MediaStreamTrack")})) == refused
    still_works(page)


# --- sessions, calls, the outgoing queue ---------------------------------------------


def test_sessions_beyond_the_limit_per_origin_are_closed_with_1008(
    server: ServerThread, open_socket: Open, caplog: pytest.LogCaptureFixture,
) -> None:
    with open_socket() as first, open_socket() as second:
        FakePage(first), FakePage(second)
        with open_socket() as third:
            with pytest.raises(ConnectionClosed) as closed:
                third.recv(timeout=10)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
            1008, "too many sessions: this server's limit is 2 (--max-sessions-per-origin)")
        assert any("refused" in record.getMessage() for record in caplog.records)
        with open_socket("http://localhost:1") as other_origin:
            still_works(FakePage(other_origin))
    wait_until_empty(server)
    with open_socket() as again:
        still_works(FakePage(again))


def test_calls_beyond_the_limit_in_flight_are_refused_at_once(
    open_socket: Open, monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()

    async def held(self: SessionDispatcher, params: dict[str, Any]) -> dict[str, Any]:
        await asyncio.to_thread(release.wait, 30)
        return {"devices": []}

    monkeypatch.setattr(SessionDispatcher, "enumerate_devices", held)
    with open_socket() as websocket:  # a session made after the patch: its commands table has `held`
        page = FakePage(websocket)
        calls = [page.send_call("Session", "enumerateDevices", {}) for _ in range(SMALL.calls_in_flight)]
        refused = page.call("Session", "enumerateDevices", {})
        assert error_of(refused) == (
            "OperationError", "2 calls of this page are running: this server's limit is 2 (--max-calls-in-flight)")
        release.set()
        replies = [page.receive(), page.receive()]  # in either order: the two ran side by side
        assert sorted((reply["id"], sorted(reply)) for reply in replies) == [(call, ["id", "result"]) for call in calls]
        assert "result" in page.call("Session", "enumerateDevices", {})


def test_a_burst_of_quick_calls_is_not_refused(page: FakePage) -> None:
    """Calls that end at once no longer count, although their tasks' callbacks run later."""
    calls = [page.send_call("Session", "enumerateDevices", {}) for _ in range(500)]
    replies = [page.reply_to(call) for call in calls]
    assert [reply for reply in replies if "error" in reply] == []


def test_a_page_that_does_not_read_is_dropped(
    server: ServerThread, open_socket: Open, caplog: pytest.LogCaptureFixture,
) -> None:
    closed = threading.Event()
    server.registry.subscribe(lambda change, subject: closed.set() if isinstance(subject, Session)
                              and change == "disposed" else None)
    # A small receive buffer (no autotuning): the kernel holds little of what the page does not read.
    unread = socket.socket()
    unread.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    unread.connect((server.host, server.port))
    with open_socket(sock=unread, max_queue=1) as websocket:
        page = FakePage(websocket)
        # Each call's error reply echoes its 100 kB method name; the page reads none of them.
        for _ in range(100):
            page.send_call("Session", "m" * 100_000, {})
        assert closed.wait(30), "the session of a page that does not read was kept"
        assert server.registry.sessions == {}
    assert any("dropped" in record.getMessage() and "--max-outgoing-bytes" in record.getMessage()
               for record in caplog.records)


def test_a_dropped_page_is_closed_with_1008_and_its_reason() -> None:
    async def scenario() -> list[tuple[int, str]]:
        session = Session(Registry(), limits=Limits(outgoing_messages=3))
        closes: list[tuple[int, str]] = []
        frames: asyncio.Queue[str | None] = asyncio.Queue()

        async def never_sent(frame: str | bytes) -> None:
            await asyncio.Event().wait()

        async def close_socket(code: int, reason: str) -> None:
            closes.append((code, reason))
            frames.put_nowait(None)

        for call_id in range(1, 6):
            call = {"id": call_id, "guid": "Session", "method": "enumerateDevices", "params": {}}
            frames.put_nowait(json.dumps(call))
        await asyncio.wait_for(session.serve(frames.get, never_sent, close_socket), 10)
        assert session.closed and session.backlog() == 0
        return closes

    assert run(scenario()) == [(1008, "4 messages wait for the page, which does not read them: this server's limit "
                                      "is 3 (--max-outgoing-messages)")]


# --- uploads ------------------------------------------------------------------------


def uploaded_track(page: FakePage) -> str:
    track = new_handle("MediaStreamTrack")
    page.call("Session", "uploadTrack", {"track": track, "kind": "video", "id": "u", "label": "l", "settings": {}})
    return track


def test_jpeg_size_is_read_from_the_frame_header() -> None:
    assert jpeg_size(jpeg(48, 32)) == (48, 32)
    assert jpeg_size(claiming_size(jpeg(16, 16), 8000, 8000)) == (8000, 8000)
    assert jpeg_size(b"not a jpeg") is None
    assert jpeg_size(b"\xff\xd8\xff\xda\x00\x02") is None  # a scan before any frame header


@pytest.mark.parametrize(("image", "message"), [
    (claiming_size(jpeg(16, 16), 8000, 16), "the uploaded frame is 8000 pixels wide: this server's limit is 640 "
                                            "(--max-upload-width)"),
    (claiming_size(jpeg(16, 16), 16, 8000), "the uploaded frame is 8000 pixels tall: this server's limit is 480 "
                                            "(--max-upload-height)"),
    (jpeg(16, 16) + bytes(100_000), "the uploaded frame is 100"),
])
def test_uploaded_frames_beyond_the_limits_are_refused_before_decoding(
    page: FakePage, image: bytes, message: str,
) -> None:
    track = uploaded_track(page)
    reply = page.call(track, "pushVideo", {}, image)
    assert reply["error"]["name"] == "OperationError"
    assert reply["error"]["message"].startswith(message)
    assert "result" in page.call(track, "pushVideo", {}, jpeg(64, 48))


def test_an_uploads_decoded_frames_go_when_its_track_stops_without_the_cycle_collector(
    server: ServerThread, page: FakePage,
) -> None:
    def decoded(width: int) -> int:
        return sum(1 for held in gc.get_objects() if isinstance(held, av.VideoFrame) and held.width == width)

    def uploads() -> set[int]:
        # type(), not isinstance(): a dead weak proxy among the objects raises in an ABC check.
        return {id(held) for held in gc.get_objects() if type(held) is UploadedSource}

    # Another test's page may still be closing: its uploads are not this test's.
    others = uploads()
    track = uploaded_track(page)
    gc.collect()
    gc.disable()
    try:
        page.call(track, "pushVideo", {}, jpeg(624, 464))
        assert decoded(624) == 1
        page.call(track, "stop", {})
        assert decoded(624) == 0
        page.websocket.close()
        wait_until_empty(server)
        assert not uploads() - others
    finally:
        gc.enable()


def test_pushing_to_a_stopped_upload_is_invalid_state(page: FakePage) -> None:
    track = uploaded_track(page)
    page.call(track, "stop", {})
    assert page.call(track, "pushVideo", {}, jpeg(16, 16))["error"]["name"] == "InvalidStateError"



def test_a_closing_session_no_longer_counts_for_its_origin() -> None:
    async def scenario() -> list[int]:
        registry = Registry()
        sessions = [Session(registry, origin=origin) for origin in ("http://a.test", "http://a.test", None)]
        for session in sessions:
            registry.session_opened(session)
        counted = [registry.sessions_from("http://a.test"), registry.sessions_from(None)]
        sessions[0].closed = True  # as Session.close sets it first, before its peer connections close
        return [*counted, registry.sessions_from("http://a.test")]

    assert run(scenario()) == [2, 1, 1]
