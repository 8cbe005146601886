"""mdns_candidates.py: a remote `<uuid>.local` candidate does not hold up addIceCandidate.

aioice's mDNS resolver is replaced, for the test, by one that answers only when the test
says: the page's call is answered while the name is still unresolved; once it resolves,
the candidate is paired (also when end-of-candidates came meanwhile).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import aioice.ice
import pytest

from rtcshim.aiortc_seams import candidate_pairs, ice_connection
from rtcshim.dispatchers.peer_connection import PeerConnectionDispatcher
from rtcshim.serving import ServerThread

from .fake_page import DATA_CHANNEL_INIT, FakePage, connect_bridge, local_description, new_handle

NAMES = ["0f1e2d3c-aaaa-4bbb-8ccc-123456789abc.local", "9a8b7c6d-dddd-4eee-8fff-cba987654321.local"]


class HeldResolver:
    """Stands in for aioice's mDNS protocol: each name resolves, to the namespace's
    10.77.0.2, once the test releases them."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.released = threading.Event()

    async def resolve(self, hostname: str, timeout: float | None = 1.0) -> str | None:
        self.asked.append(hostname)
        while not self.released.is_set():
            await asyncio.sleep(0.01)
        return "10.77.0.2"


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldResolver]:
    held = HeldResolver()

    async def get_resolver(subscriber: object) -> Any:
        return held

    monkeypatch.setattr(aioice.ice, "get_or_create_mdns_protocol", get_resolver)
    yield held
    held.released.set()


def candidate(name: str, port: int) -> dict[str, Any]:
    return {"candidate": f"candidate:1 1 udp 2122260223 {name} {port} typ host", "sdpMid": "0",
            "sdpMLineIndex": 0, "usernameFragment": None}


def test_add_ice_candidate_answers_before_the_name_resolves(server: ServerThread, resolver: HeldResolver) -> None:
    with connect_bridge(server.url) as websocket:
        page = FakePage(websocket)
        offerer, answerer = page.create_peer_connection(), page.create_peer_connection()
        page.call(offerer, "createDataChannel", {"dataChannel": new_handle("DataChannel"), "label": "names",
                                                 "init": DATA_CHANNEL_INIT})
        offer = page.call(offerer, "createOffer", {"options": {}})["result"]["description"]
        page.call(offerer, "setLocalDescription", {"description": offer})
        trickling = local_description(page, offerer)  # as if its candidates were still coming
        trickling["sdp"] = trickling["sdp"].replace("a=end-of-candidates\r\n", "")
        page.call(answerer, "setRemoteDescription", {"description": trickling})
        answer = page.call(answerer, "createAnswer", {})["result"]["description"]
        page.call(answerer, "setLocalDescription", {"description": answer})

        first = page.call(answerer, "addIceCandidate", {"candidate": candidate(NAMES[0], 40001)})
        second = page.call(answerer, "addIceCandidate", {"candidate": candidate(NAMES[1], 40002)})
        end = page.call(answerer, "addIceCandidate", {"candidate": None})
        # Answered, all three, while neither name had resolved.
        assert [reply.get("result") for reply in (first, second, end)] == [{}, {}, {}]
        assert not resolver.released.is_set() and sorted(resolver.asked) == sorted(NAMES)

        dispatcher = next(o for o in server.registry.objects() if o.guid == answerer)
        assert isinstance(dispatcher, PeerConnectionDispatcher)
        (dtls,) = dispatcher.transports
        connection = ice_connection(dtls.transport)

        def named_ports_paired() -> set[int]:
            return {pair.remote_addr[1] for pair in candidate_pairs(connection)} & {40001, 40002}

        assert named_ports_paired() == set()
        resolver.released.set()
        for _ in range(500):
            if named_ports_paired() == {40001, 40002}:
                break
            threading.Event().wait(0.01)
        # Both paired, the second although end-of-candidates came before it resolved.
        assert named_ports_paired() == {40001, 40002}
