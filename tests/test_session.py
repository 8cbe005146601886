"""The bridge in-process: one WebSocket's session, its calls, errors and cleanup."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from aiortc import RTCPeerConnection
from websockets.sync.client import ClientConnection

from rtcshim import Registry
from rtcshim.dispatchers.peer_connection import PeerConnectionDispatcher
from rtcshim.errors import InvalidStateError
from rtcshim.registry import Called, Emitted, Traffic
from rtcshim.serving import ServerThread
from rtcshim.session import Session

from .fake_page import DATA_CHANNEL_INIT, FakePage, connect_bridge, dumps, new_handle

Connect = Callable[[], AbstractContextManager[ClientConnection]]


@pytest.fixture
def registry(server: ServerThread) -> Registry:
    return server.registry


@pytest.fixture
def client(server: ServerThread) -> Connect:
    return lambda: connect_bridge(server.url)


@pytest.fixture
def fake_page(client: Connect) -> Iterator[FakePage]:
    with client() as websocket:
        yield FakePage(websocket)


def wait_until_sessions_closed(registry: Registry) -> None:
    """The server cleans up after the socket closes; wait for its word, not a clock."""
    closed = threading.Event()
    unsubscribe = registry.subscribe(lambda change, subject: (
        closed.set() if change == "disposed" and not registry.sessions else None))
    if registry.sessions:  # this test opens no session meanwhile, so empty means done
        assert closed.wait(30), "the server never closed the session"
    unsubscribe()


def test_hello_is_the_first_message(fake_page: FakePage, registry: Registry) -> None:
    assert fake_page.hello["event"] == "hello"
    assert fake_page.hello["params"]["version"] == 1
    assert fake_page.hello["params"]["session"] in registry.sessions


def test_call_with_malformed_json_gets_an_error_reply(fake_page: FakePage) -> None:
    reply = fake_page.send_raw("{not json")
    assert reply["id"] is None
    assert reply["error"]["name"] == "TypeError"
    assert "malformed message" in reply["error"]["message"]


def test_call_without_id_gets_an_error_reply(fake_page: FakePage) -> None:
    reply = fake_page.send_raw(dumps({"guid": "Session", "method": "createPeerConnection", "params": {}}))
    assert reply["error"] == {"name": "TypeError", "message": "a call needs an integer id"}


def test_call_to_unknown_handle_is_invalid_state(fake_page: FakePage) -> None:
    reply = fake_page.call(new_handle("PeerConnection"), "close", {})
    assert reply["error"]["name"] == "InvalidStateError"


def test_unknown_handles_in_params_get_the_unknown_target_error(fake_page: FakePage) -> None:
    guid = fake_page.create_peer_connection()
    track, certificate, target = new_handle("MediaStreamTrack"), new_handle("Certificate"), new_handle("Transceiver")
    add_transceiver = fake_page.call(guid, "addTransceiver", {
        "transceiver": new_handle("Transceiver"), "receiverTrack": new_handle("MediaStreamTrack"),
        "receiverTrackId": "receiver-track", "kind": "audio", "track": track,
        "init": {"direction": "sendrecv", "streams": []}})
    configuration = {**page_configuration(), "certificates": [certificate]}
    create = fake_page.call("Session", "createPeerConnection",
                            {"peerConnection": new_handle("PeerConnection"), "configuration": configuration})
    replace_track = fake_page.call(target, "replaceTrack", {"track": None})
    assert [reply["error"] for reply in (add_transceiver, create, replace_track)] == [
        {"name": "InvalidStateError", "message": f"{handle} does not exist (it was closed, or never made)"}
        for handle in (track, certificate, target)]


def test_resolve_refuses_a_handle_of_another_interface() -> None:
    session = Session(Registry())
    assert session.resolve("Session") is session.root
    assert session.resolve("Session", "Session") is session.root
    with pytest.raises(InvalidStateError, match=r"^Session does not exist"):
        session.resolve("Session", "PeerConnection")


def test_call_of_unknown_method_is_type_error(fake_page: FakePage) -> None:
    guid = fake_page.create_peer_connection()
    reply = fake_page.call(guid, "teleport", {})
    assert reply["error"] == {"name": "TypeError", "message": "PeerConnection has no command 'teleport'"}


def test_call_with_bad_params_names_the_field(fake_page: FakePage) -> None:
    guid = fake_page.create_peer_connection()
    reply = fake_page.call(guid, "createOffer", {"options": {"offerToReceiveAudio": "yes"}})
    assert reply["error"]["name"] == "TypeError"
    assert "options.offerToReceiveAudio: expected a bool" in reply["error"]["message"]


def test_create_peer_connection_with_a_handle_in_use(fake_page: FakePage) -> None:
    guid = fake_page.create_peer_connection()
    reply = fake_page.call("Session", "createPeerConnection",
                      {"peerConnection": guid, "configuration": page_configuration()})
    assert reply["error"]["name"] == "TypeError"
    assert "already in use" in reply["error"]["message"]


def test_create_peer_connection_with_turn_without_credentials(fake_page: FakePage) -> None:
    configuration = page_configuration()
    configuration["iceServers"] = [{"urls": ["turn:127.0.0.1:3478"]}]
    reply = fake_page.call("Session", "createPeerConnection",
                      {"peerConnection": new_handle("PeerConnection"), "configuration": configuration})
    assert reply["error"]["name"] == "InvalidAccessError"


def test_set_local_description_events_order(fake_page: FakePage) -> None:
    guid = fake_page.create_peer_connection()
    fake_page.call(guid, "createDataChannel", {"dataChannel": new_handle("DataChannel"), "label": "x",
                                         "init": DATA_CHANNEL_INIT})
    offer = fake_page.call(guid, "createOffer", {"options": {}})["result"]["description"]
    fake_page.received.clear()
    reply_id = fake_page.send_call(guid, "setLocalDescription", {"description": offer})
    fake_page.reply_to(reply_id)
    fake_page.wait_event(guid, "iceCandidate")
    while fake_page.received[-1]["params"].get("candidate", "") is not None:
        fake_page.receive()
    names = [m.get("event") or f"reply {m['id']}" for m in fake_page.received]
    # The transports the description brought, then the state (with descriptions) before the
    # reply; the gathering after it, the transport's state before the peer connection's.
    assert names[:4] == ["__create__", "__create__", "signalingStateChange", f"reply {reply_id}"]
    assert [m["params"]["type"] for m in fake_page.received[:2]] == ["DtlsTransport", "SctpTransport"]
    assert fake_page.received[0]["params"]["initializer"]["ice"]["gatheringState"] == "new"
    assert names[4:6] == ["statesChange", "iceGatheringStateChange"]
    assert names[-3:] == ["statesChange", "iceGatheringStateChange", "iceCandidate"]
    assert set(names[6:-3]) == {"iceCandidate"}
    gathering = [m["params"]["transports"][0]["ice"]["gatheringState"]
                 for m in fake_page.received if m.get("event") == "statesChange"]
    assert gathering == ["gathering", "complete"]
    # Each statesChange carries what changed of the ICE transport, not all of it again.
    *_, completed = (m for m in fake_page.received if m.get("event") == "statesChange")
    assert completed["params"]["transports"][0]["ice"] == {"gatheringState": "complete"}
    descriptions = fake_page.received[2]["params"]["descriptions"]
    assert descriptions["pendingLocalDescription"]["type"] == "offer"
    assert descriptions.keys() == {"pendingLocalDescription"}  # only what changed


def test_create_data_channel_fires_negotiation_needed_after_the_reply(fake_page: FakePage) -> None:
    guid = fake_page.create_peer_connection()
    fake_page.received.clear()
    call_id = fake_page.send_call(guid, "createDataChannel", {"dataChannel": new_handle("DataChannel"),
                                                         "label": "x", "init": DATA_CHANNEL_INIT})
    fake_page.reply_to(call_id)
    fake_page.wait_event(guid, "negotiationNeeded")
    assert [m.get("event", "reply") for m in fake_page.received] == ["reply", "negotiationNeeded"]


def test_set_remote_description_answer_gives_waiting_channels_ids_before_its_reply(fake_page: FakePage) -> None:
    """The remote answer's `active` makes this side the DTLS server: odd ids (RFC 8832)."""
    guid = fake_page.create_peer_connection()
    channels = [new_handle("DataChannel"), new_handle("DataChannel")]
    for channel in channels:
        fake_page.call(guid, "createDataChannel", {"dataChannel": channel, "label": "x", "init": DATA_CHANNEL_INIT})
    offer = fake_page.call(guid, "createOffer", {"options": {}})["result"]["description"]
    fake_page.call(guid, "setLocalDescription", {"description": offer})
    fake_page.received.clear()
    answer = {"type": "answer", "sdp": offer["sdp"].replace("actpass", "active")}
    fake_page.call(guid, "setRemoteDescription", {"description": answer})
    told = [(m["guid"], m["event"], m["params"]) for m in fake_page.received
            if m.get("event") in ("id", "sctpRole")]
    assert told == [(channels[0], "id", {"id": 1}), (channels[1], "id", {"id": 3}),
                    (guid, "sctpRole", {"role": "server"})]
    assert "id" in fake_page.received[-1]  # all of it before the reply


def test_add_ice_candidate_without_remote_description(fake_page: FakePage) -> None:
    guid = fake_page.create_peer_connection()
    candidate = {"candidate": "candidate:1 1 udp 1 10.77.0.1 9 typ host", "sdpMid": "0",
                 "sdpMLineIndex": 0, "usernameFragment": None}
    reply = fake_page.call(guid, "addIceCandidate", {"candidate": candidate})
    assert reply["error"]["name"] == "InvalidStateError"


def test_set_remote_description_garbage_is_operation_error(fake_page: FakePage) -> None:
    guid = fake_page.create_peer_connection()
    reply = fake_page.call(guid, "setRemoteDescription", {"description": {"type": "offer", "sdp": "garbage"}})
    assert reply["error"]["name"] == "OperationError"


def test_create_answer_in_stable_is_invalid_state(fake_page: FakePage) -> None:
    guid = fake_page.create_peer_connection()
    reply = fake_page.call(guid, "createAnswer", {})
    assert reply["error"]["name"] == "InvalidStateError"


def test_send_on_a_connecting_channel_is_invalid_state(fake_page: FakePage) -> None:
    guid = fake_page.create_peer_connection()
    channel = new_handle("DataChannel")
    fake_page.call(guid, "createDataChannel", {"dataChannel": channel, "label": "x", "init": DATA_CHANNEL_INIT})
    reply = fake_page.call(channel, "send", {}, payload=b"\x01\x02")
    assert reply["error"]["name"] == "InvalidStateError"


def test_close_then_calls_are_invalid_state(fake_page: FakePage) -> None:
    guid = fake_page.create_peer_connection()
    reply = fake_page.call(guid, "close", {})
    # What getStats still reports once closed.
    assert [entry["type"] for entry in reply["result"]["stats"]] == ["peer-connection"]
    fake_page.wait_event(guid, "__dispose__")
    assert fake_page.call(guid, "createOffer", {"options": {}})["error"]["name"] == "InvalidStateError"


def test_close_disposes_children_before_the_parent(fake_page: FakePage) -> None:
    guid = fake_page.create_peer_connection()
    channel = new_handle("DataChannel")
    fake_page.call(guid, "createDataChannel", {"dataChannel": channel, "label": "x", "init": DATA_CHANNEL_INIT})
    fake_page.call(guid, "close", {})
    fake_page.wait_event(guid, "__dispose__")
    disposed = [m["guid"] for m in fake_page.received if m.get("event") == "__dispose__"]
    assert disposed == [channel, guid]


def test_handles_are_scoped_to_their_session(client: Connect) -> None:
    with client() as first, client() as second:
        guid = FakePage(first).create_peer_connection()
        reply = FakePage(second).call(guid, "close", {})
        assert reply["error"]["name"] == "InvalidStateError"


def test_socket_close_closes_every_peer_connection(client: Connect, registry: Registry) -> None:
    with client() as websocket:
        page = FakePage(websocket)
        guid = page.create_peer_connection()
        channel = new_handle("DataChannel")
        page.call(guid, "createDataChannel", {"dataChannel": channel, "label": "x", "init": DATA_CHANNEL_INIT})
        offer = page.call(guid, "createOffer", {"options": {}})["result"]["description"]
        page.call(guid, "setLocalDescription", {"description": offer})
        dispatcher = next(o for o in registry.objects() if o.guid == guid)
        assert isinstance(dispatcher, PeerConnectionDispatcher)
        peer_connection: RTCPeerConnection = dispatcher.peer_connection
    wait_until_sessions_closed(registry)
    assert registry.sessions == {}
    assert registry.objects() == []
    assert peer_connection.signalingState == "closed"
    assert peer_connection.iceGatheringState in ("new", "complete")


def test_registry_reports_creation_and_disposal(client: Connect, registry: Registry) -> None:
    changes: list[tuple[str, str]] = []
    unsubscribe = registry.subscribe(lambda change, subject: changes.append(
        (change, getattr(subject, "guid", "session"))))
    with client() as websocket:
        guid = FakePage(websocket).create_peer_connection()
    wait_until_sessions_closed(registry)
    unsubscribe()
    assert ("created", guid) in changes
    assert ("disposed", guid) in changes
    assert changes[0] == ("created", "Session")
    assert changes[-1] == ("disposed", "session")


def test_traffic_watcher_sees_each_answered_call_and_each_event(client: Connect, registry: Registry) -> None:
    """In the order the server handled them: the call with its outcome (a failure with the
    page's error), the events the page was sent; a failing watcher breaks nothing."""
    traffic: list[Traffic] = []
    stop_watching = registry.watch_traffic(traffic.append)
    stop_failing = registry.watch_traffic(lambda record: 1 / 0)
    with client() as websocket:
        page = FakePage(websocket)
        guid = page.create_peer_connection()
        created = page.call(guid, "createOffer", {"options": {}})
        refused = page.call(guid, "setRemoteDescription", {"description": {"type": "answer", "sdp": "v=0"}})
    wait_until_sessions_closed(registry)
    stop_watching()
    stop_failing()
    calls = [(record.target.guid, record.method) for record in traffic if isinstance(record, Called)]
    assert calls == [("Session", "createPeerConnection"), (guid, "createOffer"), (guid, "setRemoteDescription")]
    offer, failure = [record for record in traffic if isinstance(record, Called)][1:]
    assert offer.params == {"options": {}} and offer.error is None
    assert offer.result == created["result"]
    assert failure.result is None and failure.error == refused["error"]
    assert failure.error is not None and failure.error["name"] == "InvalidStateError"
    events = [(record.target.guid, record.event) for record in traffic if isinstance(record, Emitted)]
    assert (guid, "__dispose__") not in events  # a closing session sends nothing more
    assert events, "no event was seen"


def page_configuration() -> dict[str, object]:
    from .fake_page import CONFIGURATION

    return dict(CONFIGURATION)
