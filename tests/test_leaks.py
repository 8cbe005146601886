"""Nothing outlives a page: tasks, handles and UDP sockets go when its socket does."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from rtcshim.registry import Registry
from rtcshim.serving import ServerThread
from rtcshim.session import Session

from .event_loop import run
from .fake_page import DATA_CHANNEL_INIT, FakePage, InProcessPage, connect_bridge, new_handle
from .process_resources import running_tasks, server_connections, tasks_once_settled, udp_sockets

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
