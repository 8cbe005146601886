"""Calls without an id (protocol.toml, `reply = false`): the shim's data-channel sends.

They get no reply; what the page must hear of a failure comes as the channel's events;
they run in arrival order with the calls around them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rtcshim.dispatcher import Dispatcher, Params, Result
from rtcshim.protocol import decode, encode
from rtcshim.registry import Registry
from rtcshim.serving import ServerThread
from rtcshim.session import Session

from .event_loop import run
from .fake_page import FakePage, connect_bridge, new_handle
from .test_data_channel_backpressure import connect_pair


def notify(page: FakePage, guid: str, method: str, params: dict[str, Any], payload: bytes | None = None) -> None:
    page.websocket.send(encode({"guid": guid, "method": method, "params": params}, payload))


def far_channel_of(page: FakePage) -> str:
    (far_channel,) = [message["params"]["dataChannel"] for message in page.received
                      if message.get("event") == "dataChannel"]
    return far_channel


def test_sends_without_an_id_arrive_in_order_and_get_no_reply(server: ServerThread) -> None:
    with connect_bridge(server.url) as websocket:
        page = FakePage(websocket)
        channel = connect_pair(page)
        far_channel = far_channel_of(page)
        before = len(page.received)
        notify(page, channel, "send", {"data": "first"})
        notify(page, channel, "send", {}, b"second")
        notify(page, channel, "send", {"data": "third"})
        arrived: list[Any] = []
        taken = 0
        while len(arrived) < 3 or taken < 3:
            message = page.receive()
            if message.get("guid") == far_channel and message.get("event") == "message":
                arrived.append(message["params"]["data"])
            elif message.get("guid") == channel and message.get("event") == "bufferedAmountDecrease":
                taken += message["params"]["messages"]
        # A call after them is answered, and no reply came before it.
        reply = page.call("Session", "enumerateDevices", {})

    assert arrived == ["first", b"second", "third"]
    assert [message for message in page.received[before:] if "id" in message] == [reply]


def test_a_send_without_an_id_on_a_closing_channel_is_an_error_event(server: ServerThread) -> None:
    with connect_bridge(server.url) as websocket:
        page = FakePage(websocket)
        channel = connect_pair(page)
        # Not waiting for close's reply: the channel could be closed and gone by then (a
        # send to a channel gone is dropped). Calls start in order, so the send finds it closing.
        closing = page.send_call(channel, "close", {})
        notify(page, channel, "send", {"data": "too late"})
        error = page.wait_event(channel, "error")
        page.call("Session", "enumerateDevices", {})  # replies come in call order: close's is in

    assert error["params"]["name"] == "InvalidStateError"
    assert error["params"]["errorDetail"] == "data-channel-failure"
    assert [message for message in page.received if message.get("id") == closing] == [{"id": closing, "result": {}}]
    assert not [message for message in page.received if message.get("id", 0) is None]


def test_a_malformed_send_without_an_id_is_answered_with_a_null_id(server: ServerThread) -> None:
    with connect_bridge(server.url) as websocket:
        page = FakePage(websocket)
        channel = connect_pair(page)
        notify(page, channel, "send", {"data": 5})
        reply = page.reply_to(None)
    assert reply["error"]["name"] == "TypeError"


def test_a_command_that_replies_needs_its_id(server: ServerThread) -> None:
    with connect_bridge(server.url) as websocket:
        page = FakePage(websocket)
        channel = connect_pair(page)
        notify(page, channel, "close", {})
        reply = page.reply_to(None)
    assert reply["error"] == {"name": "TypeError", "message": "a call needs an integer id"}


def test_a_send_without_an_id_to_a_channel_gone_is_dropped(server: ServerThread) -> None:
    """Its close and __dispose__ are on their way to the page, which hears it from them."""
    with connect_bridge(server.url) as websocket:
        page = FakePage(websocket)
        notify(page, new_handle("DataChannel"), "send", {"data": "lost"})
        reply = page.call("Session", "enumerateDevices", {})
    assert [message for message in page.received if "id" in message] == [reply]


class RecordingChannel(Dispatcher):
    """A DataChannel that records the order its commands ran in."""

    interface = "DataChannel"

    def __init__(self, session: Session, ran: list[str]) -> None:
        super().__init__(session, "DataChannel@" + "d" * 24, session.root)

        async def close(params: Params) -> Result:
            ran.append("close")
            return {}

        self.commands = {"close": close}
        self.unanswered = {"send": lambda params: ran.append(f"send {params['data']}")}


async def run_order(frames: list[str | bytes], batched: bool = False) -> tuple[list[str], list[Any]]:
    """The order a session runs `frames`' calls in, the frames read without a pause between;
    and the replies it sent."""
    session = Session(Registry(), batched=batched)
    ran: list[str] = []
    replies: list[Any] = []
    channel = RecordingChannel(session, ran)
    incoming = iter(frames)

    async def receive() -> str | bytes | None:
        frame = next(incoming, None)
        if frame is None:
            await asyncio.sleep(0.05)  # the calls' tasks run before the socket closes
        return frame

    async def send(frame: str | bytes) -> None:
        message = decode(frame)
        replies.extend(item for item in (message if isinstance(message, list) else [message]) if "id" in item)

    await session.serve(receive, send)
    assert channel.disposed
    return ran, replies


def test_a_send_without_an_id_runs_after_the_calls_before_it() -> None:
    guid = "DataChannel@" + "d" * 24
    ran, _ = run(run_order([
        encode({"guid": guid, "method": "send", "params": {"data": "1"}}),
        encode({"id": 1, "guid": guid, "method": "close", "params": {}}),
        encode({"guid": guid, "method": "send", "params": {"data": "2"}}),
    ]))
    # The first ran at once; the second waited for close's task to start.
    assert ran == ["send 1", "close", "send 2"]


def batch_frame(*sends: str) -> str:
    guid = "DataChannel@" + "d" * 24
    messages = [str(encode({"guid": guid, "method": "send", "params": {"data": data}})) for data in sends]
    return "[" + ",".join(messages) + "]"


def test_a_page_that_reads_batches_may_send_them() -> None:
    ran, replies = run(run_order([batch_frame("1", "2"), batch_frame("3")], batched=True))
    assert (ran, replies) == (["send 1", "send 2", "send 3"], [])


def test_a_batch_from_a_page_that_did_not_offer_batches_is_malformed() -> None:
    ran, replies = run(run_order([batch_frame("1", "2")]))
    assert ran == []
    assert [reply["error"]["message"] for reply in replies] == ["a message must be a JSON object"]
