"""Rollback and provisional answers (server/rollback.py), through the bridge, without a browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rtcshim.serving import ServerThread

from .fake_page import (
    FakePage,
    connect_bridge,
    descriptions_shown,
    local_description,
    negotiate,
    new_handle,
    wait_connected,
)

ROLLBACK = {"type": "rollback", "sdp": "!<not SDP at all>;"}


@pytest.fixture
def page(server: ServerThread) -> Iterator[FakePage]:
    with connect_bridge(server.url) as websocket:
        yield FakePage(websocket)


def add_transceiver(
    page: FakePage, peer_connection: str, kind: str = "audio", direction: str = "sendrecv", *, add_track: bool = False,
) -> str:
    guid = new_handle("Transceiver")
    reply = page.call(peer_connection, "addTransceiver", {
        "transceiver": guid, "receiverTrack": new_handle("MediaStreamTrack"), "receiverTrackId": guid[-8:],
        "kind": kind, "track": None, "init": {"direction": direction, "streams": []}, "byAddTrack": add_track,
    })
    assert "result" in reply, reply
    return guid


def offer(page: FakePage, peer_connection: str) -> dict[str, str]:
    description: dict[str, str] = page.call(peer_connection, "createOffer", {"options": {}})["result"]["description"]
    return description


def events_since(page: FakePage, mark: int, guid: str | None = None, event: str | None = None) -> list[dict[str, Any]]:
    return [m for m in page.received[mark:] if "event" in m and (guid is None or m["guid"] == guid)
            and (event is None or m["event"] == event)]


def signaling(page: FakePage, mark: int, guid: str) -> list[dict[str, Any]]:
    return [m["params"] for m in events_since(page, mark, guid, "signalingStateChange")]


def test_set_local_description_rollback_returns_to_stable_and_forgets_the_mids(page: FakePage) -> None:
    pc = page.create_peer_connection()
    transceiver = add_transceiver(page, pc)
    page.call(pc, "setLocalDescription", {"description": offer(page, pc)})
    mark = len(page.received)
    assert "result" in page.call(pc, "setLocalDescription", {"description": ROLLBACK})
    [change] = signaling(page, mark, pc)
    assert change["signalingState"] == "stable"
    assert set(change["descriptions"].values()) == {None}
    assert [(t["transceiver"], t["mid"], t["transport"]) for t in change["transceivers"]] == [
        (transceiver, None, None)]
    assert change["removedTransceivers"] == []
    # The transport the offer brought into use is released.
    assert [m["event"] for m in events_since(page, mark) if m["event"] == "__dispose__"] == ["__dispose__"]


@pytest.mark.parametrize(("side", "other"), [("Local", "Remote"), ("Remote", "Local")])
def test_rollback_without_an_offer_of_its_side_is_invalid_state(page: FakePage, side: str, other: str) -> None:
    pc = page.create_peer_connection()
    stable = page.call(pc, f"set{side}Description", {"description": ROLLBACK})
    assert stable["error"]["name"] == "InvalidStateError"
    peer = page.create_peer_connection()
    add_transceiver(page, peer)
    made = offer(page, peer)
    page.call(peer, "setLocalDescription", {"description": made})
    # The other side's offer: have-remote-offer for a local rollback, have-local-offer for a remote one.
    if other == "Remote":
        page.call(pc, "setRemoteDescription", {"description": local_description(page, peer)})
    else:
        page.call(pc, "setLocalDescription", {"description": offer(page, pc)})
    reply = page.call(pc, f"set{side}Description", {"description": ROLLBACK})
    assert reply["error"]["name"] == "InvalidStateError"


def test_remote_rollback_removes_the_transceivers_the_offer_made_and_ends_their_tracks(page: FakePage) -> None:
    offerer, answerer = page.create_peer_connection(), page.create_peer_connection()
    add_transceiver(page, offerer)
    page.call(answerer, "setRemoteDescription", {"description": offer(page, offerer)})
    [made] = [m["params"] for m in page.received if m.get("event") == "__create__"
              and m["guid"] == answerer and m["params"]["type"] == "Transceiver"]
    receiver_track = made["initializer"]["receiverTrack"]
    mark = len(page.received)
    assert "result" in page.call(answerer, "setRemoteDescription", {"description": ROLLBACK})
    events = [(m["guid"], m["event"]) for m in events_since(page, mark)]
    [change] = signaling(page, mark, answerer)
    assert (change["signalingState"], change["transceivers"]) == ("stable", [])
    assert change["removedTransceivers"] == [made["guid"]]
    # signalingstatechange, the remote track taken away, ended; then the handles go.
    assert events.index((answerer, "signalingStateChange")) < events.index((answerer, "removeTrack"))
    assert events.index((answerer, "removeTrack")) < events.index((receiver_track, "ended"))
    assert events.index((receiver_track, "ended")) < events.index((made["guid"], "__dispose__"))
    assert (receiver_track, "__dispose__") in events


def test_remote_rollback_keeps_a_transceiver_that_add_track_took(page: FakePage) -> None:
    offerer, answerer = page.create_peer_connection(), page.create_peer_connection()
    add_transceiver(page, offerer)
    page.call(answerer, "setRemoteDescription", {"description": offer(page, offerer)})
    [made] = [m["params"]["guid"] for m in page.received if m.get("event") == "__create__"
              and m["guid"] == answerer and m["params"]["type"] == "Transceiver"]
    page.call(made, "replaceTrack", {"track": None, "byAddTrack": True})
    mark = len(page.received)
    page.call(answerer, "setRemoteDescription", {"description": ROLLBACK})
    [change] = signaling(page, mark, answerer)
    assert change["removedTransceivers"] == []
    assert [(t["transceiver"], t["mid"], t["transport"]) for t in change["transceivers"]] == [(made, None, None)]


def test_a_local_offer_made_before_a_rolled_back_remote_offer_can_still_be_set(page: FakePage) -> None:
    pc1, pc2 = page.create_peer_connection(), page.create_peer_connection()
    add_transceiver(page, pc1, "video", "recvonly")
    first = offer(page, pc1)
    add_transceiver(page, pc2, "audio", "recvonly")
    add_transceiver(page, pc2, "video", "recvonly")
    page.call(pc1, "setRemoteDescription", {"description": offer(page, pc2)})
    page.call(pc1, "setRemoteDescription", {"description": ROLLBACK})
    assert "result" in page.call(pc1, "setLocalDescription", {"description": first})


def test_remote_offer_in_have_local_offer_rolls_back_first_and_the_glare_resolves(page: FakePage) -> None:
    polite, impolite = page.create_peer_connection(), page.create_peer_connection()
    add_transceiver(page, polite, "audio")
    add_transceiver(page, impolite, "video")
    page.call(polite, "setLocalDescription", {"description": offer(page, polite)})
    page.call(impolite, "setLocalDescription", {"description": offer(page, impolite)})
    mark = len(page.received)
    reply = page.call(polite, "setRemoteDescription", {"description": local_description(page, impolite)})
    assert "result" in reply, reply
    changes = signaling(page, mark, polite)
    assert [c["signalingState"] for c in changes] == ["stable", "have-remote-offer"]
    assert changes[0]["descriptions"]["pendingLocalDescription"] is None
    assert changes[1]["descriptions"]["pendingRemoteDescription"]["type"] == "offer"
    answer = page.call(polite, "createAnswer", {})["result"]["description"]
    page.call(polite, "setLocalDescription", {"description": answer})
    page.call(impolite, "setRemoteDescription", {"description": local_description(page, polite)})
    wait_connected(page, polite)
    wait_connected(page, impolite)
    # The polite peer's own transceiver was rolled back; its next offer carries it.
    negotiate(page, polite, impolite)


def test_an_invalid_remote_offer_in_have_local_offer_does_not_undo_the_rollback(page: FakePage) -> None:
    pc = page.create_peer_connection()
    add_transceiver(page, pc)
    page.call(pc, "setLocalDescription", {"description": offer(page, pc)})
    mark = len(page.received)
    reply = page.call(pc, "setRemoteDescription", {"description": {"type": "offer", "sdp": "Invalid SDP"}})
    assert reply["error"]["name"] == "OperationError"
    assert [c["signalingState"] for c in signaling(page, mark, pc)] == ["stable"]


def offered_and_answered(page: FakePage) -> tuple[str, str, dict[str, str]]:
    """An offerer in have-local-offer, an answerer in have-remote-offer, and the answer it created."""
    offerer, answerer = page.create_peer_connection(), page.create_peer_connection()
    add_transceiver(page, offerer)
    page.call(offerer, "setLocalDescription", {"description": offer(page, offerer)})
    page.call(answerer, "setRemoteDescription", {"description": local_description(page, offerer)})
    answer: dict[str, str] = page.call(answerer, "createAnswer", {})["result"]["description"]
    return offerer, answerer, answer


def test_provisional_answers_both_ways_then_the_final_answer_connects(page: FakePage) -> None:
    offerer, answerer, answer = offered_and_answered(page)
    pranswer = {"type": "pranswer", "sdp": answer["sdp"]}
    mark = len(page.received)
    for _ in range(2):  # repeatable
        assert "result" in page.call(answerer, "setLocalDescription", {"description": pranswer})
        assert "result" in page.call(offerer, "setRemoteDescription", {"description": pranswer})
    answerer_states = [c["signalingState"] for c in signaling(page, mark, answerer)]
    offerer_changes = signaling(page, mark, offerer)
    assert answerer_states == ["have-local-pranswer"] * 2
    assert [c["signalingState"] for c in offerer_changes] == ["have-remote-pranswer"] * 2
    shown = descriptions_shown(m["params"] for m in page.received if m.get("guid") == offerer)
    assert shown["pendingRemoteDescription"] == pranswer
    assert shown["pendingLocalDescription"]["type"] == "offer"
    page.call(answerer, "setLocalDescription", {"description": answer})
    page.call(offerer, "setRemoteDescription", {"description": local_description(page, answerer)})
    final = signaling(page, mark, offerer)[-1]
    assert final["signalingState"] == "stable"
    assert final["descriptions"]["pendingRemoteDescription"] is None
    assert final["descriptions"]["currentRemoteDescription"]["type"] == "answer"
    wait_connected(page, offerer)


@pytest.mark.parametrize("side", ["Local", "Remote"])
def test_a_provisional_answer_in_stable_is_invalid_state(page: FakePage, side: str) -> None:
    pc = page.create_peer_connection()
    reply = page.call(pc, f"set{side}Description", {"description": {"type": "pranswer", "sdp": offer(page, pc)["sdp"]}})
    assert reply["error"]["name"] == "InvalidStateError"


@pytest.mark.parametrize("add_track", [False, True])
def test_after_a_rollback_only_add_track_transceivers_take_a_remote_offers_section(
    page: FakePage, add_track: bool,
) -> None:
    pc1, pc2 = page.create_peer_connection(), page.create_peer_connection()
    own = add_transceiver(page, pc1, "video", "sendonly", add_track=add_track)
    add_transceiver(page, pc2, "video", "sendonly")
    page.call(pc1, "setLocalDescription", {"description": offer(page, pc1)})
    mark = len(page.received)
    page.call(pc1, "setRemoteDescription", {"description": offer(page, pc2)})
    states = {t["transceiver"]: t["mid"] for t in signaling(page, mark, pc1)[-1]["transceivers"]}
    if add_track:
        assert states == {own: "0"}
    else:
        assert states[own] is None and sorted(states.values(), key=str) == ["0", None]
        # Its answer leaves the transceiver out, and a later offer gives it a new mid.
        answer = page.call(pc1, "createAnswer", {})["result"]["description"]
        page.call(pc1, "setLocalDescription", {"description": answer})
        page.call(pc1, "setLocalDescription", {"description": offer(page, pc1)})
        states = {t["transceiver"]: t["mid"] for t in signaling(page, mark, pc1)[-1]["transceivers"]}
        assert states[own] not in (None, "0")


def moved_to_another_stream(page: FakePage) -> tuple[str, str]:
    """(offerer, answerer): the offerer's audio sender negotiated in stream "first", then
    moved to stream "second" (not negotiated yet)."""
    offerer, answerer = page.create_peer_connection(), page.create_peer_connection()
    sender = add_transceiver(page, offerer, "audio", "sendonly")
    page.call(sender, "setStreams", {"streams": ["first"]})
    negotiate(page, offerer, answerer)
    page.call(sender, "setStreams", {"streams": ["second"]})
    return offerer, answerer


def test_a_rolled_back_offer_that_moved_a_track_to_another_stream_moves_it_back(page: FakePage) -> None:
    offerer, answerer = moved_to_another_stream(page)
    mark = len(page.received)
    page.call(answerer, "setRemoteDescription", {"description": offer(page, offerer)})
    page.call(answerer, "setRemoteDescription", {"description": ROLLBACK})
    tracks = [m["params"]["streams"] for m in events_since(page, mark, answerer, "track")]
    assert tracks == [["second"], ["first"]]


def test_rollback_with_a_provisional_answer_pending_is_invalid_state(page: FakePage) -> None:
    offerer, answerer, answer = offered_and_answered(page)
    pranswer = {"type": "pranswer", "sdp": answer["sdp"]}
    page.call(answerer, "setLocalDescription", {"description": pranswer})
    page.call(offerer, "setRemoteDescription", {"description": pranswer})
    # webrtc-pc: no rollback in have-local-pranswer nor have-remote-pranswer.
    for pc, side in ((answerer, "Remote"), (offerer, "Local")):
        reply = page.call(pc, f"set{side}Description", {"description": ROLLBACK})
        assert reply["error"]["name"] == "InvalidStateError"


def test_a_rolled_back_offer_leaves_negotiation_needed_for_its_changed_streams(page: FakePage) -> None:
    offerer, _ = moved_to_another_stream(page)
    page.call(offerer, "setLocalDescription", {"description": offer(page, offerer)})
    mark = len(page.received)
    page.call(offerer, "setLocalDescription", {"description": ROLLBACK})
    # Back in stable, the local description's msid is still "first": negotiation is needed.
    checks = [m["params"] for m in events_since(page, mark, offerer, "negotiationNeeded")]
    assert checks == [{"needed": True}]
