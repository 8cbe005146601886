"""A client that skips the shim and floods a data channel: the server's bound holds.

The shim never has more than 16 MiB or 65,536 messages in flight on a channel (send()
throws first); a raw client that sends on without waiting for bufferedAmountDecrease
events is refused past either bound, with an error event, and loses the channel instead
of growing the server's memory.
"""

from __future__ import annotations

from typing import Any

import pytest

from rtcshim.dispatchers import data_channel
from rtcshim.dispatchers.data_channel import MAX_BUFFERED_AMOUNT, DataChannelDispatcher
from rtcshim.serving import ServerThread

from .fake_page import DATA_CHANNEL_INIT, FakePage, connect_bridge, negotiate, new_handle, wait_connected

CHUNK = bytes(64 << 10)


def connect_pair(page: FakePage) -> str:
    """Two peer connections of the page, connected; returns the offerer's open channel."""
    offerer, answerer = page.create_peer_connection(), page.create_peer_connection()
    channel = new_handle("DataChannel")
    page.call(offerer, "createDataChannel", {"dataChannel": channel, "label": "flood", "init": DATA_CHANNEL_INIT})
    negotiate(page, offerer, answerer)
    wait_connected(page, offerer)
    page.wait_event(channel, "open")
    return channel


def test_send_past_the_bound_is_refused_and_closes_the_channel(server: ServerThread) -> None:
    with connect_bridge(server.url, max_size=None) as websocket:
        page = FakePage(websocket)
        channel = connect_pair(page)
        dispatcher = next(o for o in server.registry.objects() if o.guid == channel)
        assert isinstance(dispatcher, DataChannelDispatcher)
        # Twice the bound, without reading a reply: SCTP cannot take it as fast.
        calls = [page.send_call(channel, "send", {}, CHUNK) for _ in range(2 * MAX_BUFFERED_AMOUNT // len(CHUNK))]
        replies: dict[int, dict[str, Any]] = {}
        while len(replies) < len(calls):
            message = page.receive()
            if message.get("id") in calls:
                replies[message["id"]] = message
        errors = [reply["error"] for reply in replies.values() if "error" in reply]
        page.wait_event(channel, "close")

    assert errors, "every send was taken: the flood never reached the bound"
    assert errors[0]["name"] == "OperationError"
    assert "send queue is full" in errors[0]["message"]
    error_events = [m for m in page.received if m.get("guid") == channel and m.get("event") == "error"]
    assert [event["params"]["errorDetail"] for event in error_events] == ["data-channel-failure"]
    # Every send before the refused one was queued, in order; none after it.
    first_refused = calls.index(next(call for call in calls if "error" in replies[call]))
    assert all("error" not in replies[call] for call in calls[:first_refused])
    assert all("error" in replies[call] for call in calls[first_refused:])
    assert dispatcher.peak_buffered_amount <= MAX_BUFFERED_AMOUNT


def test_text_with_a_lone_surrogate_arrives_with_the_replacement_character(server: ServerThread) -> None:
    """send(USVString): as in a browser, WebIDL's conversion makes a lone surrogate U+FFFD."""
    with connect_bridge(server.url) as websocket:
        page = FakePage(websocket)
        channel = connect_pair(page)
        reply = page.call(channel, "send", {"data": "a\ud800b"})
        # The far side's channel: announced before the offerer's channel opened (DCEP's ack).
        (far_channel,) = [message["params"]["dataChannel"] for message in page.received
                          if message.get("event") == "dataChannel"]
        received = page.wait_event(far_channel, "message")
    assert reply == {"id": reply["id"], "result": {}}
    assert received["params"]["data"] == "a\ufffdb"


def test_sends_are_answered_at_once_and_taken_messages_are_counted_down_together(server: ServerThread) -> None:
    """A send's reply does not wait for SCTP: a burst's replies all come, and the
    bufferedAmountDecrease events that follow add up to the burst, in fewer events than messages."""
    with connect_bridge(server.url) as websocket:
        page = FakePage(websocket)
        channel = connect_pair(page)
        calls = [page.send_call(channel, "send", {}, bytes(100)) for _ in range(2000)]
        replies: dict[int, dict[str, Any]] = {}
        decreases: list[dict[str, Any]] = []
        arrived = 0  # at the far channel (the session idle before its socket closes)
        while (len(replies) < len(calls) or arrived < len(calls)
               or sum(event["messages"] for event in decreases) < len(calls)):
            message = page.receive()
            if message.get("id") in calls:
                replies[message["id"]] = message
            elif message.get("event") == "message":
                arrived += 1
            elif message.get("guid") == channel and message.get("event") == "bufferedAmountDecrease":
                decreases.append(message["params"])
                # A message is answered when queued, before SCTP can take it.
                assert sum(event["messages"] for event in decreases) <= len(replies)

    assert all(reply["result"] == {} for reply in replies.values())
    assert sum(event["amount"] for event in decreases) == 2000 * 100
    assert sum(event["messages"] for event in decreases) == 2000
    assert len(decreases) < 2000, "one event per message: the decreases were not coalesced"


def test_send_past_the_message_bound_is_refused_and_closes_the_channel(
    server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tiny messages cost memory of their own: the count of messages held is bounded too
    (lowered here, so that SCTP cannot keep up with the flood)."""
    monkeypatch.setattr(data_channel, "MAX_QUEUED_MESSAGES", 100)
    with connect_bridge(server.url) as websocket:
        page = FakePage(websocket)
        channel = connect_pair(page)
        calls = [page.send_call(channel, "send", {}, bytes(1000)) for _ in range(2000)]
        replies: dict[int, dict[str, Any]] = {}
        while len(replies) < len(calls):
            message = page.receive()
            if message.get("id") in calls:
                replies[message["id"]] = message
        page.wait_event(channel, "close")

    errors = [reply["error"] for reply in replies.values() if "error" in reply]
    assert errors, "every send was taken: the flood never reached the bound"
    assert errors[0]["name"] == "OperationError"
    assert "100 messages may" in errors[0]["message"]
    error_events = [m for m in page.received if m.get("guid") == channel and m.get("event") == "error"]
    assert [event["params"]["errorDetail"] for event in error_events] == ["data-channel-failure"]
