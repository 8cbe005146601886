"""Nothing outlives a page: tasks, handles and UDP sockets go when its socket does."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import pytest
from aioice import Connection

from rtcshim.aiortc_seams import ICE_CHECK_LIST_DONE, ICE_CHECK_LIST_STATE, ice_connection
from rtcshim.dispatchers.peer_connection import PeerConnectionDispatcher
from rtcshim.ice_restart import ice_transports_by_mid
from rtcshim.registry import Registry
from rtcshim.serving import ServerThread
from rtcshim.session import Session

from .event_loop import run
from .fake_page import DATA_CHANNEL_INIT, FakePage, InProcessPage, connect_bridge, descriptions_shown, new_handle
from .process_resources import ice_consent_checks, running_tasks, server_connections, tasks_once_settled, udp_sockets

PAGES = 20


@pytest.fixture
def server(fresh_server: ServerThread) -> ServerThread:
    """These tests count the tasks and connections of a whole server: one of their own."""
    return fresh_server


def test_abrupt_disconnects_leave_nothing_behind(server: ServerThread) -> None:
    baseline_tasks = server.run(running_tasks())
    baseline_udp = udp_sockets()
    closed_sessions: list[Session] = []
    all_closed = threading.Event()

    def on_change(change: str, subject: object) -> None:
        if change == "disposed" and isinstance(subject, Session):
            closed_sessions.append(subject)
            if len(closed_sessions) == PAGES:
                all_closed.set()

    server.registry.subscribe(on_change)

    for index in range(PAGES):
        with connect_bridge(server.url) as websocket:
            page = FakePage(websocket)
            guid = page.create_peer_connection()
            page.call(guid, "createDataChannel", {"dataChannel": new_handle("DataChannel"), "label": "x",
                                                 "init": DATA_CHANNEL_INIT})
            offer = page.call(guid, "createOffer", {"options": {}})["result"]["description"]
            page.call(guid, "setLocalDescription", {"description": offer})  # binds UDP sockets
            if index % 2:  # every other page drops its TCP connection without a close frame
                websocket.socket.shutdown(socket.SHUT_RDWR)

    assert all_closed.wait(60)
    assert server.registry.objects() == []
    assert server.run(running_tasks()) <= baseline_tasks
    # aiortc closes its transports' sockets as the sessions close.
    assert udp_sockets() <= baseline_udp
    assert server_connections(server.port) == 0


def test_abrupt_disconnects_leave_no_media_behind(server: ServerThread) -> None:
    """Sources, relays, playback renderers and senders all go with the page."""
    baseline_tasks = server.run(running_tasks())
    baseline_udp = udp_sockets()
    closed_sessions: list[Session] = []
    all_closed = threading.Event()

    def on_change(change: str, subject: object) -> None:
        if change == "disposed" and isinstance(subject, Session):
            closed_sessions.append(subject)
            if len(closed_sessions) == PAGES // 2:
                all_closed.set()

    server.registry.subscribe(on_change)
    for index in range(PAGES // 2):
        with connect_bridge(server.url) as websocket:
            page = FakePage(websocket)
            tracks = page.call("Session", "getUserMedia", {"audio": True, "video": True})["result"]["tracks"]
            for track in tracks:
                assert page.call(track, "render", {"enabled": True}) == {"id": page.next_id - 1, "result": {}}
            guid = page.create_peer_connection()
            page.call(guid, "addTransceiver", {
                "transceiver": new_handle("Transceiver"), "receiverTrack": new_handle("MediaStreamTrack"),
                "receiverTrackId": "receiver-track", "kind": "video", "track": tracks[1],
                "init": {"direction": "sendrecv", "streams": []}})
            offer = page.call(guid, "createOffer", {"options": {}})["result"]["description"]
            page.call(guid, "setLocalDescription", {"description": offer})
            page.wait_event(tracks[1], "videoFrame")  # playback is running
            if index % 2:
                websocket.socket.shutdown(socket.SHUT_RDWR)

    assert all_closed.wait(60)
    assert server.registry.objects() == []
    assert server.run(tasks_once_settled(baseline_tasks)) <= baseline_tasks
    assert udp_sockets() <= baseline_udp
    assert server_connections(server.port) == 0


DROP_CYCLES = 100
# Loop turns between sending setLocalDescription and dropping the socket: the cycles step
# through every await of aiortc's gathering (its sockets are bound a few turns in).
DROP_STEPS = 25


def test_dropping_the_socket_while_gathering_leaks_no_udp_socket() -> None:
    """aioice keeps the sockets it binds in a local list until all are bound: a gather
    cancelled in between loses them, unless the session lets it end before closing."""

    async def drop_cycles() -> list[int]:
        leaky = []
        for cycle in range(DROP_CYCLES):
            before = udp_sockets()
            page = InProcessPage(Session(Registry()))
            guid = await page.create_peer_connection()
            await page.call(guid, "createDataChannel",
                            {"dataChannel": new_handle("DataChannel"), "label": "x", "init": DATA_CHANNEL_INIT})
            offer = (await page.call(guid, "createOffer", {"options": {}}))["result"]["description"]
            page.send_call(guid, "setLocalDescription", {"description": offer})
            for _ in range(cycle % DROP_STEPS):
                await asyncio.sleep(0)
            await page.drop()
            if udp_sockets() > before:
                leaky.append(cycle)
        return leaky

    assert run(drop_cycles()) == []


async def _offer_answer(page: InProcessPage, offerer: str, answerer: str) -> None:
    """fake_page.negotiate's exchange, in process: the descriptions carry their candidates."""
    offer = (await page.call(offerer, "createOffer", {"options": {}}))["result"]["description"]
    await page.call(offerer, "setLocalDescription", {"description": offer})
    await _answer(page, offerer, answerer)


async def _answer(page: InProcessPage, offerer: str, answerer: str) -> None:
    """The answerer takes the offer the offerer set (with its candidates) and answers it."""
    await page.call(answerer, "setRemoteDescription", {"description": await _local_description(page, offerer)})
    answer = (await page.call(answerer, "createAnswer", {}))["result"]["description"]
    await page.call(answerer, "setLocalDescription", {"description": answer})
    await page.call(offerer, "setRemoteDescription", {"description": await _local_description(page, answerer)})


async def _local_description(page: InProcessPage, guid: str) -> dict[str, str]:
    """Once gathered, its candidates without their end, as a browser's that trickles them:
    aioice's connect() then goes on pacing its checks after they succeeded (20 ms a turn),
    rather than resuming at once. (setLocalDescription's own description lists no candidate
    yet; the events after it do.)"""
    def of_guid() -> list[dict[str, Any]]:
        return [message["params"] for message in page.received if message.get("guid") == guid]

    while not any(params.get("iceGatheringState") == "complete" for params in of_guid()):
        await asyncio.sleep(0.005)
    descriptions = descriptions_shown(of_guid())
    description: dict[str, str] = descriptions["pendingLocalDescription"] or descriptions["currentLocalDescription"]
    return {**description, "sdp": description["sdp"].replace("a=end-of-candidates\r\n", "")}


def _ice_connections(session: Session) -> list[Connection]:
    """The aioice connections under the session's peer connections now."""
    return [ice_connection(ice) for handle in session.handles.values() if isinstance(handle, PeerConnectionDispatcher)
            for ice in ice_transports_by_mid(handle.peer_connection).values()]


async def _checks_succeeded(session: Session) -> None:
    """Until one of the session's ICE connections has its check list completed: aioice's
    connect() has not resumed yet, it starts consent checks when it does."""
    while not any(ICE_CHECK_LIST_DONE.get(connection) for connection in _ice_connections(session)):
        await asyncio.sleep(0)


async def _connect_resumed(connections: list[Connection]) -> None:
    """Until aioice's connect() of each took its check list's outcome (and returned)."""
    while any(not ICE_CHECK_LIST_STATE.get(connection).empty() for connection in connections):
        await asyncio.sleep(0.005)
    await asyncio.sleep(0)


async def _glare(page: InProcessPage, first: str, second: str) -> None:
    """Both offer; the second takes the first's offer (its own rolled back) and answers."""
    for guid in (first, second):
        offer = (await page.call(guid, "createOffer", {"options": {}}))["result"]["description"]
        await page.call(guid, "setLocalDescription", {"description": offer})
    await _answer(page, first, second)


@pytest.mark.parametrize("negotiation", ["offer-answer", "glare"])
def test_a_call_closed_as_its_ice_checks_succeed_leaves_no_consent_checks(negotiation: str) -> None:
    """Two peer connections of one page call each other; the page goes the moment an ICE
    check list completed, before aioice's connect() resumed: once the session closed, no
    consent check of its ICE connections runs (aioice would start them on the closed
    connection, for good)."""

    async def call_and_drop() -> tuple[int, int]:
        baseline = await ice_consent_checks()
        session = Session(Registry())
        page = InProcessPage(session)
        first, second = await page.create_peer_connection(), await page.create_peer_connection()
        for guid in (first, second):
            await page.call(guid, "createDataChannel",
                            {"dataChannel": new_handle("DataChannel"), "label": "x", "init": DATA_CHANNEL_INIT})
        await (_glare if negotiation == "glare" else _offer_answer)(page, first, second)
        await _checks_succeeded(session)
        # The other connection's checks may complete as the page goes: its connect() too
        # must have resumed (and stopped the consent task it started) before the count.
        connections = _ice_connections(session)
        await page.drop()
        await _connect_resumed(connections)
        return baseline, await ice_consent_checks()

    baseline, left = run(asyncio.wait_for(call_and_drop(), 30))
    assert left == baseline
