"""The server's half of the operations chain and of negotiation-needed: the state checks
an operation makes in its turn, descriptions set while the page added transceivers, and
"check if negotiation is needed" (a `negotiationNeeded {needed}` event in the stable state)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rtcshim.serving import ServerThread

from .fake_page import FakePage, connect_bridge, new_handle


@pytest.fixture
def page(server: ServerThread) -> Iterator[FakePage]:
    with connect_bridge(server.url) as websocket:
        yield FakePage(websocket)


def add_transceiver(page: FakePage, guid: str, streams: list[str] | None = None, *, by_add_track: bool = False) -> str:
    transceiver = new_handle("Transceiver")
    reply = page.call(guid, "addTransceiver", {
        "transceiver": transceiver, "receiverTrack": new_handle("MediaStreamTrack"), "receiverTrackId": "remote",
        "kind": "audio", "track": None, "init": {"direction": "sendrecv", "streams": streams or []},
        "byAddTrack": by_add_track,
    })
    assert "result" in reply, reply
    return transceiver


def offer_answered(page: FakePage, offerer: str) -> None:
    """`offerer`'s offer set on both sides, and a fresh connection's answer to it."""
    answerer = page.create_peer_connection()
    offer = page.call(offerer, "createOffer", {"options": {}})["result"]["description"]
    assert "result" in page.call(offerer, "setLocalDescription", {"description": offer})
    assert "result" in page.call(answerer, "setRemoteDescription", {"description": offer})
    answer = page.call(answerer, "createAnswer", {})["result"]["description"]
    assert "result" in page.call(offerer, "setRemoteDescription", {"description": answer})


def negotiation_needed_after(page: FakePage, guid: str, method: str, params: dict[str, Any], target: str) -> bool:
    """The answer to "check if negotiation is needed" that `method` on `target` brings."""
    page.received.clear()
    assert "result" in page.call(target, method, params)
    needed: bool = page.wait_event(guid, "negotiationNeeded")["params"]["needed"]
    return needed


def test_create_offer_in_have_remote_offer_is_invalid_state(page: FakePage) -> None:
    offerer, answerer = page.create_peer_connection(), page.create_peer_connection()
    offer = page.call(offerer, "createOffer", {"options": {}})["result"]["description"]
    page.call(answerer, "setRemoteDescription", {"description": offer})
    reply = page.call(answerer, "createOffer", {"options": {}})
    assert reply["error"]["name"] == "InvalidStateError"


def test_set_local_description_answer_keeps_a_transceiver_the_offer_left_out(page: FakePage) -> None:
    """aiortc fails ("None is not in list") answering while a transceiver of the page's is in
    no section of the offer; the transceiver waits, unnegotiated, for the next offer."""
    offerer, answerer = page.create_peer_connection(), page.create_peer_connection()
    transceiver = add_transceiver(page, answerer)
    offer = page.call(offerer, "createOffer", {"options": {}})["result"]["description"]
    page.call(answerer, "setRemoteDescription", {"description": offer})
    answer = page.call(answerer, "createAnswer", {})["result"]["description"]
    page.received.clear()
    reply = page.call(answerer, "setLocalDescription", {"description": answer})
    assert "result" in reply, reply
    change = page.wait_event(answerer, "signalingStateChange")["params"]
    assert change["signalingState"] == "stable"
    [state] = [state for state in change["transceivers"] if state["transceiver"] == transceiver]
    assert (state["mid"], state["currentDirection"]) == (None, None)
    assert page.wait_event(answerer, "negotiationNeeded")["params"] == {"needed": True}


@pytest.mark.parametrize(("before", "after", "needed"), [
    ([], ["s1"], True),
    (["s1"], ["s2"], True),
    (["s1"], ["s1", "s2"], True),
    (["s1", "s2"], ["s2"], True),
    (["s1", "s2"], [], True),
    (["s1"], ["s1"], False),
    (["s1"], ["s1", "s1"], False),
    (["s1", "s2"], ["s2", "s1"], False),
])
def test_set_streams_needs_negotiation_when_the_set_of_streams_changed(
        page: FakePage, before: list[str], after: list[str], needed: bool) -> None:
    """aiortc writes one msid, of the first stream: the set of streams the last local
    description was made with is what a new one is compared with."""
    guid = page.create_peer_connection()
    transceiver = add_transceiver(page, guid, before)
    offer_answered(page, guid)
    assert negotiation_needed_after(page, guid, "setStreams", {"streams": after}, transceiver) is needed


@pytest.mark.parametrize(("by_add_track", "takes_the_section"), [(True, True), (False, False)])
def test_remote_offer_section_goes_to_a_transceiver_of_add_track_only(
        page: FakePage, by_add_track: bool, takes_the_section: bool) -> None:
    """JSEP 5.10: addTransceiver's transceiver waits for its own offer; the offer's audio
    section gets a new transceiver, and the page's still needs a negotiation once answered."""
    offerer, answerer = page.create_peer_connection(), page.create_peer_connection()
    add_transceiver(page, offerer)
    transceiver = add_transceiver(page, answerer, by_add_track=by_add_track)
    offer = page.call(offerer, "createOffer", {"options": {}})["result"]["description"]
    page.received.clear()
    page.call(answerer, "setRemoteDescription", {"description": offer})
    change = page.wait_event(answerer, "signalingStateChange")["params"]
    mids = {state["transceiver"]: state["mid"] for state in change["transceivers"]}
    assert (mids[transceiver] == "0") is takes_the_section
    assert len(mids) == (1 if takes_the_section else 2)
    answer = page.call(answerer, "createAnswer", {})["result"]["description"]
    assert negotiation_needed_after(
        page, answerer, "setLocalDescription", {"description": answer}, answerer) is not takes_the_section


def test_set_remote_description_with_one_msid_in_two_sections_is_operation_error(page: FakePage) -> None:
    """RFC 8830: a section's msid names its own track; two sections naming one track reject
    (Chromium: OperationError) and leave the connection as it was."""
    offerer, answerer = page.create_peer_connection(), page.create_peer_connection()
    add_transceiver(page, offerer)
    offer = page.call(offerer, "createOffer", {"options": {}})["result"]["description"]
    session, section = offer["sdp"].split("\r\nm=", 1)
    assert "\r\na=msid:" in section
    twice = f"{session}\r\nm={section}m={section.replace('a=mid:', 'a=mid:again', 1)}"
    reply = page.call(answerer, "setRemoteDescription", {"description": {"type": "offer", "sdp": twice}})
    assert reply["error"]["name"] == "OperationError", reply
    assert "result" in page.call(answerer, "setRemoteDescription", {"description": offer})
