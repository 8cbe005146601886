"""rtcshim's tuned SCTP (sctp_tuning.py) and native Chromium's (dcsctp) understand each other.

A shimmed page and a native Chromium page call each other (as in test_interop_native.py)
and send 10,000 small messages and a few large ones each way on one ordered channel: all
arrive, in order. The packets the server's association hands to DTLS are counted, to show
the messages to Chromium went bundled and that it SACKs every second packet at most, and
the chunks it sent again: one lost at Chromium's socket is fast-retransmitted once at most,
and only a T3 expiry sends it a third time.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aiortc import RTCSctpTransport
from aiortc.rtcsctptransport import DataChunk, SackChunk, parse_packet
from playwright.sync_api import Page

from rtcshim.dispatchers.peer_connection import PeerConnectionDispatcher
from rtcshim.serving import ServerThread

from ..sctp_recovery import watch_recovery
from .page_peer_calls import PeerPage
from .relay_calls import CallPages, join_call, new_room, shim_and_native
from .test_interop_native import wait_until_ready

SMALL_MESSAGES = 10_000
# Every 1,000th message is 60,000 characters: 52 DATA chunks.
LARGE_EVERY = 1_000
LARGE_SIZE = 60_000

# `holder`: the page's `window.call` (join_call) or `window.peer` (openPagePeer).
SEND_ALL = """([holder, count, every, size]) => {
  const messages = [];
  for (let number = 0; number < count; number++) {
    messages.push(number % every === every - 1 ? String(number).padEnd(size, '.') : 'm' + number);
  }
  messages.forEach((message) => window[holder].channel.send(message));
  return messages.length;
}"""
FIRST_OUT_OF_ORDER = """([holder, count, every, size]) => window[holder].received.findIndex((message, number) =>
  message !== (number % every === every - 1 ? String(number).padEnd(size, '.') : 'm' + number))"""
# Bounds the wait for 10,000 bridged sends on a loaded machine; a failure, not a measure.
WAIT_SECONDS = 180


@dataclass
class SctpCount:
    """The packets the server's association received, and those it handed to DTLS with their chunks."""

    received: int = 0
    received_with_data: int = 0  # the packets a SACK is owed for (not the peer's bare SACKs)
    sent: int = 0
    data_chunks: int = 0
    sacks: int = 0
    resent: int = 0  # DATA chunks sent again
    resent_again: int = 0  # of those, the third sending of a chunk or later


@pytest.fixture
def call_pages(shim_page: Page, native_page: Page) -> Iterator[CallPages]:
    yield from shim_and_native(shim_page, native_page)


def server_sctp(server: ServerThread) -> RTCSctpTransport:
    """The one connected association of the server."""
    with_sctp = [o for o in server.registry.objects()
                 if isinstance(o, PeerConnectionDispatcher) and o.peer_connection.sctp is not None
                 and o.peer_connection.sctp.state == "connected"]
    assert len(with_sctp) == 1
    sctp = with_sctp[0].peer_connection.sctp
    assert sctp is not None
    return sctp


def count_server_packets(server: ServerThread) -> SctpCount:
    """Counts from now on, on the one connected association of the server."""
    sctp = server_sctp(server)
    count = SctpCount()
    sendings: collections.Counter[int] = collections.Counter()  # by TSN
    send_data, handle_data = sctp.transport._send_data, sctp._handle_data

    async def count_and_send(data: bytes) -> None:
        chunks = parse_packet(data)[3]
        count.sent += 1
        count.data_chunks += sum(isinstance(chunk, DataChunk) for chunk in chunks)
        count.sacks += sum(isinstance(chunk, SackChunk) for chunk in chunks)
        sendings.update(chunk.tsn for chunk in chunks if isinstance(chunk, DataChunk))
        count.resent += sum(sendings[chunk.tsn] > 1 for chunk in chunks if isinstance(chunk, DataChunk))
        count.resent_again += sum(sendings[chunk.tsn] > 2 for chunk in chunks if isinstance(chunk, DataChunk))
        await send_data(data)

    async def count_and_handle(data: bytes) -> None:
        count.received += 1
        count.received_with_data += any(isinstance(chunk, DataChunk) for chunk in parse_packet(data)[3])
        await handle_data(data)

    sctp.transport._send_data = count_and_send  # type: ignore[method-assign]
    sctp._handle_data = count_and_handle  # type: ignore[method-assign]
    return count


def send_and_receive_in_order(sender: PeerPage, receiver: PeerPage, holder: str = "call") -> float:
    """Seconds from the first send to the last arrival, for the printout (not a measure)."""
    start = time.perf_counter()
    shape = [holder, SMALL_MESSAGES, LARGE_EVERY, LARGE_SIZE]
    sender.evaluate(SEND_ALL, shape)
    while receiver.evaluate(f"() => window.{holder}.received.length") < SMALL_MESSAGES:
        assert time.perf_counter() - start < WAIT_SECONDS, "the messages never all arrived"
        time.sleep(0.1)
    took = time.perf_counter() - start
    assert receiver.evaluate(f"() => window.{holder}.received.length") == SMALL_MESSAGES
    assert receiver.evaluate(FIRST_OUT_OF_ORDER, shape) == -1
    return took


def assert_bundled_both_ways(to_peer: SctpCount, from_peer: SctpCount) -> None:
    large = SMALL_MESSAGES // LARGE_EVERY
    assert to_peer.data_chunks >= SMALL_MESSAGES - large + large * (LARGE_SIZE // 1160)
    assert to_peer.sent < to_peer.data_chunks / 2, to_peer  # bundled
    # From the browser the server acknowledged: a SACK for every second packet of DATA at least,
    # one at most. (Under load it may still retransmit the first transfer's tail meanwhile, and
    # the browser's bare SACKs of those are owed none: so no count of its own DATA is asserted.)
    assert from_peer.received_with_data / 2 - 10 <= from_peer.sacks <= from_peer.received, from_peer


def difference(now: SctpCount, then: SctpCount) -> SctpCount:
    return SctpCount(*(a - b for a, b in zip(vars(now).values(), vars(then).values(), strict=True)))


def test_ten_thousand_messages_each_way_arrive_in_order(call_pages: CallPages, server: ServerThread) -> None:
    room = new_room("sctp")
    join_call(call_pages.shim, room, offerer=True, media=None, channel="many")
    join_call(call_pages.native, room, offerer=False, media=None, channel="many")
    wait_until_ready(call_pages.shim)
    wait_until_ready(call_pages.native)
    count = count_server_packets(server)
    recovery = watch_recovery(server_sctp(server))

    to_native_seconds = send_and_receive_in_order(call_pages.shim, call_pages.native)
    to_native = SctpCount(**vars(count))
    from_native_seconds = send_and_receive_in_order(call_pages.native, call_pages.shim)
    from_native = difference(count, to_native)

    assert_bundled_both_ways(to_native, from_native)
    print(f"to native: {to_native}, {to_native_seconds:.1f} s; from native: {from_native}, {from_native_seconds:.1f} s; "
          f"{recovery}")
    # A chunk is fast-retransmitted once at most (sctp_tuning.py): sent a third time only by T3.
    assert count.resent_again == 0 or recovery.t3_expired_at, (count, recovery)
