"""A client that skips the shim and floods a data channel: the server's bound holds.

The shim never has more than 16 MiB in flight on a channel (send() throws first); a raw
client that sends without waiting for the replies is refused past that bound, with an
error event, and loses the channel instead of growing the server's memory.
"""

from __future__ import annotations

from typing import Any

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
    # Every send before the refused one was taken, in order; none after it.
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
