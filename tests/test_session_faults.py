"""A session under a hostile or broken page, in-process: every call still answered, in
strict JSON and without Python's internals; whatever fails inside, closing releases all."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Coroutine
from typing import Any

import pytest
from aiortc import RTCPeerConnection

from rtcshim import Registry
from rtcshim.dispatchers.dtls_transport import DtlsTransportDispatcher
from rtcshim.dispatchers.peer_connection import PeerConnectionDispatcher
from rtcshim.dispatchers.session import SessionDispatcher
from rtcshim.protocol import PROTOCOL, encode
from rtcshim.session import Session

from .event_loop import run
from .fake_page import DATA_CHANNEL_INIT, InProcessPage, new_handle
from .process_resources import udp_sockets

PYTHON_ISMS = ("NoneType", "object has no attribute", "is not in list", "KeyError", "Traceback",
               "list index out of range", "unhashable", "not subscriptable", "takes ", "positional argument")


def strict_json(frame_text: str) -> Any:
    """JSON as JavaScript's JSON.parse reads it: no NaN, no Infinity."""
    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")
    return json.loads(frame_text, parse_constant=refuse)


def in_session(scenario: Coroutine[Any, Any, None]) -> None:
    run(scenario)


def in_session_without_warnings(scenario: Coroutine[Any, Any, None], caplog: pytest.LogCaptureFixture) -> None:
    """`in_session`, and no warning logged meanwhile: a call that failed inside the server
    (session.py logs it with its traceback) is a bug even when the page read a fair error."""
    with caplog.at_level(logging.WARNING):
        in_session(scenario)
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []


async def offer_with(page: InProcessPage, *kinds: str) -> dict[str, str]:
    """An offer of a peer connection of the page's own, with these media and a data channel."""
    offerer = await page.create_peer_connection()
    for kind in kinds:
        await add_transceiver(page, offerer, kind)
    await page.call(offerer, "createDataChannel",
                    {"dataChannel": new_handle("DataChannel"), "label": "x", "init": DATA_CHANNEL_INIT})
    description: dict[str, str] = (await page.call(offerer, "createOffer", {"options": {}}))["result"]["description"]
    return description


async def add_transceiver(page: InProcessPage, guid: str, kind: str, handle: str | None = None) -> dict[str, Any]:
    return await page.call(guid, "addTransceiver", {
        "transceiver": handle or new_handle("Transceiver"), "receiverTrack": new_handle("MediaStreamTrack"),
        "receiverTrackId": "receiver", "kind": kind, "track": None, "init": {"direction": "sendrecv", "streams": []}})


def remote_offer(sdp: str) -> dict[str, Any]:
    return {"description": {"type": "offer", "sdp": sdp}}


def peer_connection_of(page: InProcessPage, guid: str) -> RTCPeerConnection:
    dispatcher = page.session.handles[guid]
    assert isinstance(dispatcher, PeerConnectionDispatcher)
    return dispatcher.peer_connection


# --- garbage SDP ----------------------------------------------------------------------


@pytest.mark.parametrize(("mutation", "message"), [
    (lambda sdp: sdp.replace("a=group:BUNDLE ", "a=group:BUNDLE 99 "),
     "A BUNDLE group contains a MID='99' matching no m= section."),
    (lambda sdp: sdp.replace("a=mid:0\r\n", "a=mid:\r\n"), "media section 0 has an empty a=mid"),
    (lambda sdp: sdp.replace("a=mid:1\r\n", "a=mid:0\r\n"), "Duplicate a=mid value '0'."),
], ids=["bundle-names-no-section", "empty-mid", "duplicate-mid"])
def test_set_remote_description_with_mids_aiortc_cannot_handle(mutation: Any, message: str) -> None:
    async def scenario() -> None:
        registry = Registry()
        page = InProcessPage(Session(registry))
        baseline = udp_sockets()
        offer = await offer_with(page, "audio", "video")
        answerer = await page.create_peer_connection()
        await page.call(answerer, "setLocalDescription", {})  # the offerer gathers: its sockets are open
        reply = await page.call(answerer, "setRemoteDescription",
                                {"description": {"type": "offer", "sdp": mutation(offer["sdp"])}})
        assert reply["error"] == {"name": "InvalidAccessError", "message": message}
        assert (await page.call(answerer, "createOffer", {"options": {}}))["result"]
        await page.drop()
        assert registry.sessions == {}
        assert udp_sockets() <= baseline
    in_session(scenario())


def test_close_goes_on_past_a_dispose_that_fails(caplog: pytest.LogCaptureFixture,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_dispose(self: DtlsTransportDispatcher) -> None:
        raise AttributeError("'NoneType' object has no attribute 'remove_listener'")

    async def scenario() -> None:
        registry = Registry()
        page = InProcessPage(Session(registry))
        baseline = udp_sockets()
        guid = await page.create_peer_connection()
        await page.call(guid, "createDataChannel",
                        {"dataChannel": new_handle("DataChannel"), "label": "x", "init": DATA_CHANNEL_INIT})
        await page.call(guid, "setLocalDescription", {"description": None})
        peer_connection = peer_connection_of(page, guid)
        assert udp_sockets() > baseline
        monkeypatch.setattr(DtlsTransportDispatcher, "dispose", broken_dispose)
        await page.drop()
        assert registry.sessions == {}
        assert page.session.handles == {}
        assert peer_connection.signalingState == "closed"
        assert udp_sockets() <= baseline

    with caplog.at_level(logging.WARNING, "rtcshim"):
        in_session(scenario())
    assert "remove_listener" in caplog.text


def test_close_goes_on_past_a_shutdown_that_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken_shutdown(self: SessionDispatcher) -> None:
        raise RuntimeError("broken")

    async def scenario() -> None:
        registry = Registry()
        page = InProcessPage(Session(registry))
        await page.create_peer_connection()
        monkeypatch.setattr(SessionDispatcher, "shutdown", broken_shutdown)
        await page.drop()
        assert registry.sessions == {}
        assert page.session.handles == {}
    in_session(scenario())


def test_a_shutdown_that_fails_leaves_its_siblings_closing(monkeypatch: pytest.MonkeyPatch) -> None:
    shutdown = PeerConnectionDispatcher.shutdown
    broken: list[str] = []

    async def first_one_broken(self: PeerConnectionDispatcher) -> None:
        if self.guid in broken:
            raise RuntimeError("broken")
        await shutdown(self)

    async def scenario() -> None:
        registry = Registry()
        page = InProcessPage(Session(registry))
        broken.append(await page.create_peer_connection())
        sibling = peer_connection_of(page, await page.create_peer_connection())
        monkeypatch.setattr(PeerConnectionDispatcher, "shutdown", first_one_broken)
        await page.drop()
        assert sibling.signalingState == "closed"
        assert (registry.sessions, page.session.handles) == ({}, {})
    in_session(scenario())


# --- frames that cannot be encoded --------------------------------------------------


def test_lone_surrogate_echoed_back_keeps_the_session_answering() -> None:
    async def scenario() -> None:
        page = InProcessPage(Session(Registry()))
        # The page's JSON may name any string, lone surrogates too (JavaScript's strings can hold them).
        page.send_raw('{"id": 1, "guid": "PeerConnection@\\ud800aaaaaaaaaaaaaaaa", "method": "close", "params": {}}')
        reply = await page.reply_to(1)
        assert reply["error"]["name"] == "InvalidStateError"
        assert reply["error"]["message"].startswith("PeerConnection@\ud800aaaa")
        page.next_id = 2
        guid = await page.create_peer_connection()
        reply = await page.call(guid, "setRemoteDescription", remote_offer("v=0\r\n\ud800"))
        assert reply["error"] == {"name": "OperationError", "message": "invalid SDP at line 2: '\\ud800'",
                                  "errorDetail": "sdp-syntax-error", "sdpLineNumber": 2}
        assert "result" in await page.call("Session", "enumerateDevices", {})
        await page.drop()
    in_session(scenario())


def test_result_that_is_not_json_gets_an_error_reply(caplog: pytest.LogCaptureFixture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    async def not_json(self: SessionDispatcher, params: dict[str, Any]) -> dict[str, Any]:
        return {"devices": [{"capabilities": math.nan}]}

    monkeypatch.setattr(SessionDispatcher, "enumerate_devices", not_json)

    async def scenario() -> None:
        page = InProcessPage(Session(Registry()))
        reply = await page.call("Session", "enumerateDevices", {})
        assert reply["error"]["name"] == "OperationError"
        assert "result" in await page.call(await page.create_peer_connection(), "getStats", {})
        await page.drop()

    with caplog.at_level(logging.WARNING, "rtcshim"):
        in_session(scenario())
    assert "the reply to call 1 is not JSON" in caplog.text


def test_writer_goes_on_past_a_frame_it_cannot_send(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        page = InProcessPage(Session(Registry()))
        deliver = page._deliver
        failed: list[str | bytes] = []

        async def send_all_but_the_first(frame: str | bytes) -> None:
            if not failed:
                failed.append(frame)
                raise OSError("the socket refused this frame")
            await deliver(frame)

        page._deliver = send_all_but_the_first  # type: ignore[method-assign]
        page.send_call("Session", "enumerateDevices", {})
        assert "result" in await page.call("Session", "enumerateDevices", {})
        assert failed
        await page.drop()

    with caplog.at_level(logging.WARNING, "rtcshim"):
        in_session(scenario())
    assert "the socket refused this frame" in caplog.text


# --- what the page sees ---------------------------------------------------------------


def test_constraints_never_bring_nan_or_infinity_into_a_frame() -> None:
    async def scenario() -> None:
        page = InProcessPage(Session(Registry(), strict=True))
        # Python's json reads these; JavaScript's JSON has no such numbers.
        for constant in ("NaN", "Infinity", "-Infinity", "1e400"):
            page.send_raw('{"id": 1, "guid": "Session", "method": "getUserMedia", "params": '
                          f'{{"audio": false, "video": {{"bogus": {constant}, "width": {{"ideal": 640}}}}}}}}')
            reply = await page.reply_to(1)
            assert reply["error"]["name"] == "TypeError", reply
        for video in ({"width": {"max": 0}}, {"height": {"exact": 0}}, {"aspectRatio": 0},
                      {"width": 0, "height": 0}, {"width": {"min": 1, "max": 1}, "height": {"ideal": 100000}}):
            await page.call("Session", "getUserMedia", {"audio": False, "video": video})
        await page.drop()
        assert len(page.frames) > 6
        for frame in page.frames:
            strict_json(frame if isinstance(frame, str) else "{}")
    in_session(scenario())


def test_encode_refuses_nan_so_no_frame_carries_it() -> None:
    with pytest.raises(ValueError):
        encode({"id": 1, "result": {"x": math.inf}})


def test_encode_escapes_lone_surrogates_only() -> None:
    assert encode({"text": "é\ud800"}) == '{"text":"\\u00e9\\ud800"}'
    assert encode({"text": "é"}) == '{"text":"é"}'


def test_new_handle_in_use_is_refused_before_aiortc_makes_anything() -> None:
    async def scenario() -> None:
        page = InProcessPage(Session(Registry()))
        guid = await page.create_peer_connection()
        channel, transceiver = new_handle("DataChannel"), new_handle("Transceiver")
        negotiated = {**DATA_CHANNEL_INIT, "negotiated": True}
        assert "result" in await page.call(
            guid, "createDataChannel", {"dataChannel": channel, "label": "a", "init": {**negotiated, "id": 5}})
        reused = await page.call(
            guid, "createDataChannel", {"dataChannel": channel, "label": "b", "init": {**negotiated, "id": 6}})
        assert reused["error"] == {"name": "TypeError", "message": f"handle {channel} is already in use"}
        # The refused call took no id: a new channel may have it.
        assert "result" in await page.call(guid, "createDataChannel", {
            "dataChannel": new_handle("DataChannel"), "label": "c", "init": {**negotiated, "id": 6}})
        assert "result" in await add_transceiver(page, guid, "audio", transceiver)
        assert "error" in await add_transceiver(page, guid, "video", transceiver)
        offer = (await page.call(guid, "createOffer", {"options": {}}))["result"]["description"]["sdp"]
        assert "m=video" not in offer
        assert len(peer_connection_of(page, guid).getTransceivers()) == 1
        await page.drop()
    in_session(scenario())


@pytest.mark.parametrize(("interface", "method"), [
    (interface.name, method) for interface in PROTOCOL.interfaces.values() for method in interface.commands])
def test_every_command_with_only_its_required_params_raises_no_key_error(interface: str, method: str) -> None:
    """What a dispatcher reads of its params is there, optional or not (null when left out)."""
    command = PROTOCOL.interfaces[interface].commands[method]
    params = {name: minimal_value(type_text) for name, type_text in command.params.items()
              if not type_text.strip().endswith("?")}
    resolved = PROTOCOL.resolve_call(interface, method, params, lambda handle, interface: handle)
    assert set(resolved) == set(command.params)
    for name, type_text in command.params.items():
        struct_fields = PROTOCOL.structs.get(type_text.strip())
        if struct_fields is not None:
            assert set(resolved[name]) == set(struct_fields), name


def minimal_value(type_text: str) -> Any:
    """The simplest value of a protocol type, with only the required fields of a struct."""
    text = type_text.strip()
    if text in PROTOCOL.structs:
        return {name: minimal_value(field) for name, field in PROTOCOL.structs[text].items()
                if not field.strip().endswith("?")}
    if "|" in text and not text.startswith("enum("):
        return minimal_value(text.split("|")[0])
    if text.startswith("["):
        return []
    if text.startswith("enum("):
        return text[len("enum("):].split("|")[0].rstrip(")")
    if text.startswith("int("):
        return int(text[len("int("):].split("..")[0])
    if text.startswith(("new(", "guid(")):
        return new_handle(text.split("(")[1].rstrip(")"))
    return {"string": "x", "int": 0, "number": 0, "bool": False, "bytes": b"", "any": {}}[text]


def test_left_out_optional_params_are_taken_as_null() -> None:
    async def scenario() -> None:
        page = InProcessPage(Session(Registry(), strict=True))
        guid = await page.create_peer_connection()
        init = {"ordered": True, "protocol": "", "negotiated": False}
        replies = [
            await page.call(guid, "createDataChannel",
                            {"dataChannel": new_handle("DataChannel"), "label": "x", "init": init}),
            await page.call(guid, "setLocalDescription", {}),
            await page.call(guid, "getStats", {}),
            await page.call(guid, "addIceCandidate", {}),
        ]
        assert ["result" in reply for reply in replies[:3]] == [True] * 3, replies
        assert replies[3]["error"]["message"] == "addIceCandidate needs a remote description first"
        await page.drop()
    in_session(scenario())


def test_python_internals_never_reach_the_page() -> None:
    async def scenario() -> None:
        page = InProcessPage(Session(Registry()))
        guid = await page.create_peer_connection()
        offer = await offer_with(page, "audio")
        candidate = {"candidate": "candidate:1 1 udp 1 10.77.0.1 9 typ host", "sdpMid": None,
                     "sdpMLineIndex": 0, "usernameFragment": None}
        sdp = offer["sdp"]
        calls: list[tuple[str, str, dict[str, Any]]] = [
            (guid, "setLocalDescription", {}),
            (guid, "getStats", {}),
            (guid, "setRemoteDescription", {"description": {"type": "answer", "sdp": sdp}}),
            (guid, "setRemoteDescription", remote_offer(sdp.replace("a=mid:0", "a=mid:"))),
            (guid, "setRemoteDescription", remote_offer(sdp.replace("a=fingerprint", "a=x"))),
            (guid, "setRemoteDescription", remote_offer(sdp.replace("a=ice-ufrag", "a=x"))),
            (guid, "setRemoteDescription", remote_offer("v=0\r\nm=audio\r\n")),
            (guid, "setRemoteDescription", remote_offer("v=0\r\nm=audio 9 X 0\r\n")),
            (guid, "setRemoteDescription", remote_offer("v=0\r\no=x\r\n")),
            (guid, "setLocalDescription", {"description": {"type": "answer", "sdp": sdp}}),
            (guid, "setLocalDescription", {"description": {"type": "offer", "sdp": "v=0\r\nm=video 1 X 1\r\n"}}),
            (guid, "addIceCandidate", {"candidate": candidate}),
            (guid, "createDataChannel", {"dataChannel": new_handle("DataChannel"), "label": "x",
                                         "init": {**DATA_CHANNEL_INIT, "negotiated": True, "id": 65534}}),
            ("Session", "generateCertificate", {"algorithm": {"name": "RSASSA-PKCS1-v1_5", "modulusLength": 1}}),
            ("Session", "generateCertificate", {"algorithm": {"name": "ECDSA", "namedCurve": "P-1"}}),
            ("Session", "getUserMedia", {"audio": {"advanced": [1]}, "video": {"mandatory": 5}}),
            ("Session", "uploadTrack", {"track": new_handle("MediaStreamTrack"), "kind": "video", "id": "t",
                                        "label": "x", "settings": [1]}),
        ]
        replies = [await page.call(*call) for call in calls]
        await page.drop()
        leaked = [(call[1], reply["error"]["message"]) for call, reply in zip(calls, replies, strict=True)
                  if "error" in reply and any(word in reply["error"]["message"] for word in PYTHON_ISMS)]
        assert leaked == []
    in_session(scenario())


@pytest.mark.parametrize(("call", "name"), [
    (("Session", "uploadTrack", {"track": "NEW", "kind": "video", "id": "t", "label": "x", "settings": True}),
     "TypeError"),
    (("Session", "getUserMedia", {"audio": False, "video": {"width": 10**400}}), "TypeError"),
    (("NEW", "pushAudio", {"sampleRate": 48000, "channels": 2, "data": b"odd"}), "TypeError"),
])
def test_calls_the_fuzzer_found_failing_inside_the_server_get_their_error(
    call: tuple[str, str, dict[str, Any]], name: str, caplog: pytest.LogCaptureFixture,
) -> None:
    """Found by tests/test_protocol_fuzz.py: each failed with Python's own error inside
    the server (logged as a failure there, a generic message to the page)."""
    async def scenario() -> None:
        page = InProcessPage(Session(Registry()))
        target, method, params = call
        if target == "NEW":  # an uploaded audio track to push into
            target = new_handle("MediaStreamTrack")
            await page.call("Session", "uploadTrack", {"track": target, "kind": "audio", "id": "a", "label": "a",
                                                       "settings": {}})
        params = {key: new_handle("MediaStreamTrack") if value == "NEW" else value for key, value in params.items()}
        payload = params.pop("data", None)  # bytes travel in a binary frame
        page.send_raw(encode({"id": 99, "guid": target, "method": method, "params": params}, payload))
        reply = await page.reply_to(99)
        await page.drop()
        assert reply["error"]["name"] == name, reply
    in_session_without_warnings(scenario(), caplog)



def _without_section(sdp: str, index: int) -> str:
    head, *sections = sdp.split("\r\nm=")
    del sections[index]
    return "\r\nm=".join([head, *sections])


@pytest.mark.parametrize("munge", [
    pytest.param(lambda sdp: _without_section(sdp, 1).replace("BUNDLE 0 1", "BUNDLE 0"), id="a section dropped"),
    pytest.param(lambda sdp: sdp.replace("a=mid:1", "a=mid:7").replace("BUNDLE 0 1", "BUNDLE 0 7"), id="a mid renamed"),
    pytest.param(lambda sdp: sdp + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:9\r\na=setup:actpass\r\n"
                             "a=rtpmap:96 VP8/90000\r\n",
                 id="a section added"),
    pytest.param(None, id="never created"),
])
def test_local_description_with_other_sections_is_refused_and_the_connection_goes_on(
    munge: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    """Found by tests/test_protocol_fuzz.py: aiortc failed inside setLocalDescription
    ("'NoneType' object has no attribute '_set_mid'") after changing its signaling state."""
    async def scenario() -> None:
        page = InProcessPage(Session(Registry()))
        guid = await page.create_peer_connection()
        await add_transceiver(page, guid, "audio")
        await add_transceiver(page, guid, "video")
        if munge is None:
            sdp = (await offer_with(page, "audio", "video"))["sdp"]  # another connection's
        else:
            sdp = munge((await page.call(guid, "createOffer", {"options": {}}))["result"]["description"]["sdp"])
        refused = await page.call(guid, "setLocalDescription", {"description": {"type": "offer", "sdp": sdp}})
        offer = (await page.call(guid, "createOffer", {"options": {}}))["result"]["description"]
        accepted = await page.call(guid, "setLocalDescription", {"description": offer})
        await page.drop()
        assert refused["error"]["name"] == "InvalidModificationError", refused
        assert accepted == {"id": accepted["id"], "result": {}}
    in_session_without_warnings(scenario(), caplog)


def test_apply_constraints_takes_an_object_only(caplog: pytest.LogCaptureFixture) -> None:
    """Found by tests/test_protocol_fuzz.py: an upload's track kept `true` as its constraints
    and its clone() failed inside the server."""
    async def scenario() -> None:
        page = InProcessPage(Session(Registry()))
        track = new_handle("MediaStreamTrack")
        await page.call("Session", "uploadTrack", {"track": track, "kind": "video", "id": "v", "label": "v",
                                                   "settings": {}})
        refused = await page.call(track, "applyConstraints", {"constraints": True})
        clone = await page.call(track, "clone", {"track": new_handle("MediaStreamTrack"), "id": "c"})
        await page.drop()
        assert refused["error"]["name"] == "TypeError", refused
        assert "result" in clone, clone
    in_session_without_warnings(scenario(), caplog)


def test_remote_description_without_a_dtls_role_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    """Found by tests/test_protocol_fuzz.py: aiortc failed inside setRemoteDescription on a
    section without a=setup ("'NoneType' object has no attribute 'role'")."""
    async def scenario() -> None:
        page = InProcessPage(Session(Registry()))
        guid = await page.create_peer_connection()
        sdp = (await offer_with(page, "audio", "video"))["sdp"]
        without_role = sdp.replace("a=setup:actpass\r\n", "", 2)  # the first two sections'
        refused = await page.call(guid, "setRemoteDescription", remote_offer(without_role))
        accepted = await page.call(guid, "setRemoteDescription", remote_offer(sdp))
        await page.drop()
        assert refused["error"]["name"] == "InvalidAccessError", refused
        assert accepted == {"id": accepted["id"], "result": {}}
    in_session_without_warnings(scenario(), caplog)
