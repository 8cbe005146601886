"""Soak: pages that vanish mid-flight, over and over, leave the server as it was.

Each cycle opens a page and drops its TCP connection without a close frame while the
server is busy for it, in one of three ways by turns: calls still in flight; a peer
connection gathering candidates; two peer connections connected to each other, with a
data channel open, messages being sent and video flowing. After all cycles, the
server's descriptors, UDP sockets, tasks, threads and registry are back to what they
were after the warm-up, and its memory did not grow with the cycles.

RTCSHIM_SOAK_CYCLES sets the count (the CI default is small; docs/security.md gives the
full run's command and figures).
"""

from __future__ import annotations

import os
import socket
import time

from rtcshim.serving import ServerThread

from .fake_page import DATA_CHANNEL_INIT, FakePage, connect_bridge, negotiate, new_handle
from .process_resources import (
    memory_in_use_kib,
    open_descriptors,
    running_tasks,
    server_connections,
    tasks_once_settled,
    threads,
    udp_sockets,
)

CYCLES = int(os.environ.get("RTCSHIM_SOAK_CYCLES", "12"))
# Memory in use a cycle may leave behind on average, measured after the warm-up: far below
# what one forgotten session holds (its peer connections, transports and media: megabytes).
MEMORY_PER_CYCLE_KIB = 64
# The allocator's own slack, which a few cycles can't amortise.
MEMORY_SLACK_KIB = 32 << 10


def calls_in_flight(page: FakePage) -> None:
    guid = page.create_peer_connection()
    page.send_call(guid, "createDataChannel", {"dataChannel": new_handle("DataChannel"), "label": "soak",
                                               "init": DATA_CHANNEL_INIT})
    page.send_call(guid, "createOffer", {"options": {}})
    page.send_call(guid, "setLocalDescription", {"description": None})
    page.send_call("Session", "getUserMedia", {"audio": True, "video": True})
    page.send_call(guid, "getStats", {"transceiver": None, "side": None})


def gathering(page: FakePage) -> None:
    guid = page.create_peer_connection()
    page.call(guid, "createDataChannel", {"dataChannel": new_handle("DataChannel"), "label": "soak",
                                          "init": DATA_CHANNEL_INIT})
    offer = page.call(guid, "createOffer", {"options": {}})["result"]["description"]
    page.send_call(guid, "setLocalDescription", {"description": offer})


def connected(page: FakePage) -> None:
    """Two peer connections of the page, connected to each other: video one way, a data
    channel open with messages going."""
    offerer, answerer = page.create_peer_connection(), page.create_peer_connection()
    track = page.call("Session", "getUserMedia", {"audio": False, "video": True})["result"]["tracks"][0]
    page.call(offerer, "addTransceiver", {
        "transceiver": new_handle("Transceiver"), "receiverTrack": new_handle("MediaStreamTrack"),
        "receiverTrackId": "soak-receiver", "kind": "video", "track": track,
        "init": {"direction": "sendonly", "streams": []}})
    channel = new_handle("DataChannel")
    page.call(offerer, "createDataChannel", {"dataChannel": channel, "label": "soak", "init": DATA_CHANNEL_INIT})
    negotiate(page, offerer, answerer)
    page.wait_event(channel, "open")
    for _ in range(20):
        page.send_call(channel, "send", {"data": "x" * 1000})


SCENES = (calls_in_flight, gathering, connected)


def run_cycle(server: ServerThread, index: int) -> None:
    with connect_bridge(server.url) as websocket:
        SCENES[index % len(SCENES)](FakePage(websocket))
        websocket.socket.shutdown(socket.SHUT_RDWR)


def wait_until_no_session(server: ServerThread) -> None:
    """Until the server has closed every session of the pages gone (it notices each on its own)."""
    deadline = time.monotonic() + 120
    while server.registry.sessions:
        assert time.monotonic() < deadline, f"{len(server.registry.sessions)} sessions never closed"
        time.sleep(0.05)


def measure(server: ServerThread, baseline_tasks: int | None = None) -> dict[str, int]:
    tasks = server.run(tasks_once_settled(baseline_tasks) if baseline_tasks is not None else running_tasks())
    return {"descriptors": open_descriptors(), "udp sockets": udp_sockets(), "tasks": tasks,
            "threads": threads(), "sessions": len(server.registry.sessions),
            "objects": len(server.registry.objects()), "connections": server_connections(server.port)}


def test_abrupt_disconnects_mid_flight_leave_the_server_as_it_was(fresh_server: ServerThread) -> None:
    server = fresh_server
    # The warm-up: one cycle of each scene starts what lives as long as the process
    # (executor threads, codec tables, the synthetic devices' first frames).
    for index in range(len(SCENES)):
        run_cycle(server, index)
    wait_until_no_session(server)
    baseline = measure(server)
    memory_before = memory_in_use_kib()

    for index in range(CYCLES):
        run_cycle(server, index)
    wait_until_no_session(server)

    after = measure(server, baseline["tasks"])
    memory_after = memory_in_use_kib()
    print(f"soak: {CYCLES} cycles; before {baseline}, {memory_before} KiB; after {after}, {memory_after} KiB")
    assert after["sessions"] == after["objects"] == after["connections"] == 0
    for resource_name in ("descriptors", "udp sockets", "tasks", "threads"):
        assert after[resource_name] <= baseline[resource_name], resource_name
    assert memory_after - memory_before <= MEMORY_SLACK_KIB + MEMORY_PER_CYCLE_KIB * CYCLES
