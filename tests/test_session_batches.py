"""Batch frames: a page that offers "rtcshim-batch" gets a burst of messages in one frame."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.sync.client import connect

from rtcshim.protocol import BATCH_SUBPROTOCOL, decode
from rtcshim.registry import Registry
from rtcshim.serving import ServerThread
from rtcshim.session import Session

from .event_loop import run


async def frames_sent(session: Session, queue: Callable[[], Awaitable[None]]) -> list[str | bytes]:
    """What `session` sends (its hello first) while `queue()` runs; then its socket closes."""
    sent: list[str | bytes] = []
    read = False

    async def send(frame: str | bytes) -> None:
        sent.append(frame)

    async def receive() -> str | None:
        nonlocal read
        if not read:
            read = True
            await queue()
            await asyncio.sleep(0.05)  # the writer sends it all meanwhile (a lazy event too)
        return None

    await session.serve(receive, send)
    return sent


async def frames_of_a_burst(batched: bool) -> list[str | bytes]:
    """What a session sends for its hello (and spare certificate) and a burst of events
    queued in one go (as a call's events and reply are), a binary one among them."""
    session = Session(Registry(), batched=batched)

    async def queue() -> None:
        for number in range(2):
            session.send_event(session.root, "note", {"number": number})
        session.send_event(session.root, "note", {"number": 2}, payload=b"\x00binary")
        for number in range(3, 5):
            session.send_event(session.root, "note", {"number": number})

    return await frames_sent(session, queue)


def messages(frames: list[str | bytes]) -> list[Any]:
    """Each frame's messages in order, a batch's one by one."""
    decoded = [decode(frame) for frame in frames]
    return [message for item in decoded for message in (item if isinstance(item, list) else [item])]


def test_a_burst_goes_in_batch_frames_split_by_each_binary_frame() -> None:
    one_by_one, batched = run(frames_of_a_burst(False)), run(frames_of_a_burst(True))
    assert len(one_by_one) == 7
    # hello, the spare and notes 0-1 in one batch, the binary note alone, notes 3-4 in one batch.
    assert [type(frame) for frame in batched] == [str, bytes, str]
    assert [len(json.loads(frame)) for frame in batched if isinstance(frame, str)] == [4, 2]
    assert without_session_ids(messages(batched)) == without_session_ids(messages(one_by_one))


def without_session_ids(sent: list[Any]) -> list[Any]:
    """Without what is random in each session: its id, its spare certificate."""
    return [{**message, "params": {}} if message.get("event") in ("hello", "spareCertificate") else message
            for message in sent]


def test_the_server_batches_for_a_page_that_offers_the_subprotocol(server: ServerThread) -> None:
    url = server.url.replace("http", "ws", 1) + "/bridge"
    with connect(url, origin=server.url, subprotocols=["rtcshim", BATCH_SUBPROTOCOL]) as batching, \
            connect(url, origin=server.url) as plain:
        assert batching.subprotocol == "rtcshim"
        # The first frame: hello, alone or leading a batch (the spare certificate follows it).
        hellos = [messages([socket.recv(timeout=30)])[0] for socket in (batching, plain)]
        batched = [server.registry.sessions[hello["params"]["session"]].batched for hello in hellos]
    assert batched == [True, False]



def params_after_hello(frames: list[str | bytes]) -> list[list[Any]]:
    """Each frame's messages' params, a batch's in order, the hello's frame left out."""
    decoded = [decode(frame) for frame in frames[1:]]
    return [[message["params"] for message in (item if isinstance(item, list) else [item])] for item in decoded]


async def frames_with_a_lazy_event(other_event: bool) -> list[list[Any]]:
    """What a session sends after its hello for a lazy event, then maybe another event."""
    session = Session(Registry(), batched=True)

    async def queue() -> None:
        await asyncio.sleep(0.05)  # the hello goes on its own
        session.send_event(session.root, "note", {"lazy": True}, lazy=True)
        await asyncio.sleep(0)  # a writer the lazy event woke would send it now, alone
        if other_event:
            session.send_event(session.root, "note", {"lazy": False})

    return params_after_hello(await frames_sent(session, queue))


def test_a_lazy_event_goes_in_its_place_with_the_next_frame() -> None:
    assert run(frames_with_a_lazy_event(True)) == [[{"lazy": True}, {"lazy": False}]]


def test_a_lazy_event_goes_on_its_own_when_no_other_frame_comes() -> None:
    assert run(frames_with_a_lazy_event(False)) == [[{"lazy": True}]]


async def batch_sizes_when_one_more_event_comes_a_turn_later(at_once: int) -> list[int]:
    """How many messages each frame after the hello holds, when `at_once` events are queued
    in one go and one more in the loop's next turn (as a packet's messages, then the next's)."""
    session = Session(Registry(), batched=True)

    async def queue() -> None:
        await asyncio.sleep(0.05)  # the hello goes on its own
        for number in range(at_once):
            session.send_event(session.root, "note", {"number": number})
        asyncio.get_running_loop().call_soon(session.send_event, session.root, "note", {"number": at_once})

    return [len(params) for params in params_after_hello(await frames_sent(session, queue))]


def test_a_burst_waits_a_loop_turn_for_more_but_a_lone_event_does_not() -> None:
    assert run(batch_sizes_when_one_more_event_comes_a_turn_later(3)) == [4]
    assert run(batch_sizes_when_one_more_event_comes_a_turn_later(1)) == [1, 1]
