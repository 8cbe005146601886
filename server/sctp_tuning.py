"""Fewer, fuller SCTP packets for rtcshim's data channels: bundling and delayed SACKs.

aiortc 1.16 sends each chunk as a packet of its own ("no bundling for now") and a SACK
after every packet that brought data. Every packet costs a DTLS record, a datagram and
pure-Python work on both sides, and a burst of small messages as single-chunk packets
overflows the receiver's UDP buffer (drops, then retransmits). `tune_sctp` changes, for
one association and through aiortc_seams only:

- Bundling (RFC 4960 section 6.10): the chunks that one unit of aiortc's work sends (a
  received packet, a transmission, a flush of the data channels' queue) go out together at
  its end, as few packets of at most aiortc's SCTP_MAX_PACKET_LENGTH as they fit in: the
  SACK first, then the other chunks in the order aiortc sent them, so DATA keeps its TSN
  order; a control chunk never follows DATA in a packet. Only DATA, SACK and FORWARD TSN
  wait; any other chunk (INIT, COOKIE, HEARTBEAT, RECONFIG, ABORT, SHUTDOWN) goes at once,
  alone, after what was waiting.
- Delayed SACK (RFC 4960 section 6.2): a SACK for at least every second packet with data,
  else within SACK_DELAY_SECONDS; at once while a gap or a duplicate shows and when a gap
  closes (section 6.7); and in any packet that carries DATA anyway.
- Scans for retransmissions only while one can be found: aiortc's every transmission (one
  for every message a flush of the data channels' queue sends) scans every chunk in flight
  for one marked to resend: quadratic in a burst of small messages (profiled, 2.1 of the
  server's 7 s for 10,000 to Chromium), and in a trickle too (messages from the bridge, a
  flush each, with 2,500 in flight to Chromium). aiortc marks chunks only as it handles a
  SACK that reports a gap, or as T3 expires; from then on transmissions scan, until one
  finds no chunk marked any more. The others skip the scan (`set_sent_chunks_aside`).
- One flush task for the messages sent before it runs: aiortc starts a task at every
  message sent to flush the data channels' queue, and its flush takes all that is queued;
  so the messages sent meanwhile (10,000 in a burst from Python, a frame's worth from the
  bridge) leave a task that finds nothing to do each. They share the one still waiting to
  run (`schedule_flushes_with`).
- Max.Burst (RFC 9260 section 6.1, rule D): at each chance to send (a unit of aiortc's
  work, outermost), the congestion window is at most what is in flight plus MAX_BURST
  times aiortc's largest DATA chunk, for that unit only. aiortc limits each transmission
  so, but runs one a message: a flush of the 1,000 messages one bridge frame brings sent
  100 packets at once, and Chromium lost some at its socket when busy (a fast recovery in
  5 of 8 runs of 10,000 messages, 20 to 733 chunks resent; in 1 of 14 with the limit). The
  rest goes as SACKs come back, each a new chance.
- Fast retransmit once (RFC 9260 section 7.2.4, step 5): aiortc marks a chunk to resend at
  every third SACK that still misses it, its resend still on the way: under load, a few
  dozen packets dropped at Chromium's socket had 17,139 chunks resent. A chunk aiortc
  fast-retransmits is not fast-retransmitted again; if it is lost again, T3 resends it
  (and counts its misses from zero, as FreeBSD's stack does). aiortc already enters fast
  recovery once until the cumulative TSN passes its exit point (or T3 expires).
- In-order fragments skip the reassembly scan: aiortc looks for messages to deliver in
  its stream's reassembly (from its first chunk) at every DATA chunk received, 15 times
  for each fragment of a 16 KiB message. The next TSN, with none received beyond it, that
  is not a message's last fragment completes no message: `take_next_fragment` takes it
  without the scan (3% of two aiortc peers' CPU sending 16 KiB messages).
- T3 resends what is outstanding (RFC 9260 section 6.3.3), as Linux and FreeBSD do: not the
  chunks a SACK acknowledged in a gap block, which aiortc resends too (with 5% of packets
  lost, 2,000 to 5,000 chunks resent per 10,000 messages, 400 to 650 without them).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence

from aiortc import RTCSctpTransport
from aiortc.rtcsctptransport import (
    SCTP_COMMON_HEADER_LENGTH,
    SCTP_DATA_LAST_FRAG,
    SCTP_MAX_PACKET_LENGTH,
    USERDATA_MAX_LENGTH,
    Chunk,
    CookieEchoChunk,
    DataChunk,
    ForwardTsnChunk,
    InitChunk,
    SackChunk,
    ShutdownAckChunk,
    ShutdownChunk,
)
from OpenSSL import SSL

from .aiortc_seams import (
    SctpUnit,
    any_marked_to_resend,
    bring_sent_chunks_back,
    flight_size,
    hold_sack,
    keep_acknowledged_unsent,
    limit_congestion_window,
    no_fast_retransmit,
    on_sack_received,
    on_t3_expiry,
    restore_congestion_window,
    route_data_chunks,
    route_sctp_sending,
    sack_reports_trouble,
    schedule_flushes_with,
    set_sent_chunks_aside,
    take_next_fragment,
    times_sent,
)

BUNDLED_CHUNK_TYPES = frozenset({DataChunk.type, SackChunk.type, ForwardTsnChunk.type})
# What a send raises once DTLS is closed (aiortc's ConnectionError), or closing: its stop()
# shuts OpenSSL down, which then refuses to send, before aiortc marks the transport closed.
DTLS_REFUSALS = (ConnectionError, SSL.Error)
# The chunks aiortc's T1 and T2 timers send again, each time in a task that nobody awaits.
TIMER_RESENT_CHUNK_TYPES = frozenset({InitChunk.type, CookieEchoChunk.type, ShutdownChunk.type, ShutdownAckChunk.type})
# RFC 4960 section 6.2: at least every second packet, and within 200 ms. In a burst the
# second packet comes within microseconds, so the delay only holds the SACK of a lone
# packet, and the peer's RTT sample includes it: aiortc's smoothed RTT, which rtcshim's
# getStats shows as the candidate pair's currentRoundTripTime, read 0.19 s on loopback
# with 200 ms. 10 ms keeps the halving in bursts and the SACK riding on a quick reply.
PACKETS_PER_SACK = 2
# RFC 9260's Max.Burst, in aiortc's largest DATA chunks (aiortc counts its congestion
# window in bytes of user data, so 4 of these are 5 packets of 100-byte messages).
MAX_BURST = 4
SACK_DELAY_SECONDS = 0.01
_CHUNKS_ROOM = SCTP_MAX_PACKET_LENGTH - SCTP_COMMON_HEADER_LENGTH


class ChunkBundle(Chunk):
    """Chunks already serialized, each padded to 4 bytes as aiortc's chunks are: aiortc's
    serializer puts them behind one common header and one CRC32c over the whole packet,
    as it does for one chunk."""

    def __init__(self, serialized: Sequence[bytes]) -> None:
        super().__init__()
        self.serialized = b"".join(serialized)
        self.count = len(serialized)

    def __bytes__(self) -> bytes:
        return self.serialized

    def __repr__(self) -> str:
        return f"ChunkBundle({self.count} chunks, {len(self.serialized)} bytes)"


def packets_of(chunks: Sequence[Chunk]) -> list[list[bytes]]:
    """The serialized chunks of each packet that carries `chunks` (in the order aiortc sent
    them): the last SACK first (it acknowledges all an earlier one did), the rest in order,
    a new packet when the next chunk does not fit or is a control chunk after DATA."""
    sacks = [chunk for chunk in chunks if isinstance(chunk, SackChunk)]
    ordered = sacks[-1:] + [chunk for chunk in chunks if not isinstance(chunk, SackChunk)]
    packets: list[list[bytes]] = []
    size = 0
    carries_data = False
    for chunk in ordered:
        serialized = bytes(chunk)
        is_data = isinstance(chunk, DataChunk)
        if not packets or size + len(serialized) > _CHUNKS_ROOM or (carries_data and not is_data):
            packets.append([])
            size = 0
            carries_data = False
        packets[-1].append(serialized)
        size += len(serialized)
        carries_data |= is_data
    return packets


class SctpTuning:
    """Bundling and delayed SACKs on one aiortc association (see the module's docstring)."""

    def __init__(self, sctp: RTCSctpTransport) -> None:
        self.sctp = sctp
        self.waiting: list[Chunk] = []  # the bundled chunks the units under way sent
        self.units_under_way = 0
        self.packets_unacknowledged = 0  # packets with data since the last SACK
        self.gap_reported = False  # the last SACK's decision saw a gap or duplicate
        self.sack_due: float | None = None  # when the SACK held for a packet is to go (loop time)
        self.sack_timer: asyncio.TimerHandle | None = None  # fires at or before sack_due
        self.delayed_sack: asyncio.Task[None] | None = None
        self.resends_possible = False  # a chunk in flight may be marked to resend
        self.flush_waiting: asyncio.Task[None] | None = None  # started for a message sent, not run yet
        self.burst_limit: int | None = None  # the congestion window's for the units under way
        # Marked to resend by T3, not resent yet: aiortc's other resends are fast retransmits.
        self.resends_of_t3: weakref.WeakSet[DataChunk] = weakref.WeakSet()
        self.aiortc = route_sctp_sending(sctp, send_chunk=self.send_chunk, send_sack=self.send_sack, work=self.work)
        on_sack_received(sctp, self.sack_received)
        schedule_flushes_with(sctp, self.scheduled_flush)
        on_t3_expiry(sctp, self.t3_expired)
        self.aiortc_receive_data_chunk = route_data_chunks(sctp, self.receive_data_chunk)

    async def work(self, unit: SctpUnit, step: Awaitable[None]) -> None:
        self.units_under_way += 1
        try:
            if unit == "transmission":
                await self.transmit(step)
            else:
                await step
        finally:
            self.units_under_way -= 1
            if not self.units_under_way:
                self.burst_limit = None  # the next unit is the next chance to send
        if not self.units_under_way and self.waiting:
            await self.send_waiting()

    def scheduled_flush(self, flush: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        if self.flush_waiting is None:
            self.flush_waiting = asyncio.ensure_future(self.run_flush(flush))
        return self.flush_waiting

    async def run_flush(self, flush: Callable[[], Awaitable[None]]) -> None:
        self.flush_waiting = None  # a message sent from now on may find its flush gone by
        await flush()

    async def transmit(self, step: Awaitable[None]) -> None:
        # try/finally, not two context managers: this runs at every SACK and message sent,
        # and contextlib's cost a transmission was 7% of two aiortc peers' CPU (100-byte messages).
        if self.burst_limit is None:
            self.burst_limit = flight_size(self.sctp) + MAX_BURST * USERDATA_MAX_LENGTH
        cwnd = limit_congestion_window(self.sctp, self.burst_limit)
        set_aside = None if self.resends_possible else set_sent_chunks_aside(self.sctp)
        try:
            await step
        finally:
            if set_aside is not None:
                bring_sent_chunks_back(self.sctp, set_aside)
            restore_congestion_window(self.sctp, cwnd)
        if set_aside is None:
            # Resent all it marked, or stopped at a full congestion window: then some wait still.
            self.resends_possible = any_marked_to_resend(self.sctp)

    async def receive_data_chunk(self, chunk: DataChunk) -> None:
        if chunk.flags & SCTP_DATA_LAST_FRAG or not take_next_fragment(self.sctp, chunk):
            await self.aiortc_receive_data_chunk(chunk)

    def sack_received(self, sack: SackChunk) -> None:
        if sack.gaps:  # aiortc may mark chunks for fast retransmit as it handles this SACK
            self.resends_possible = True

    async def send_chunk(self, chunk: Chunk) -> None:
        if isinstance(chunk, DataChunk) and times_sent(chunk) > 1:
            self.resending(chunk)
        if self.units_under_way and chunk.type in BUNDLED_CHUNK_TYPES:
            self.waiting.append(chunk)
            return
        try:
            await self.send_waiting()
            await self.aiortc.send_packet(chunk)
        except DTLS_REFUSALS:
            if chunk.type not in TIMER_RESENT_CHUNK_TYPES:
                raise
            # DTLS closed before the handshake or shutdown ended (the page went). Raised
            # here, it would end the timer's task as "Task exception was never retrieved";
            # the timer gives up after its retries and the association closes, as it would.

    def t3_expired(self, chunks: list[DataChunk]) -> None:
        self.resends_possible = True
        self.resends_of_t3.update(keep_acknowledged_unsent(chunks))

    def resending(self, chunk: DataChunk) -> None:
        if chunk in self.resends_of_t3:
            self.resends_of_t3.discard(chunk)  # aiortc counts its misses from zero again
        else:
            no_fast_retransmit(chunk)  # until T3 resends it

    async def send_waiting(self) -> None:
        if not self.waiting:
            return
        if self.sack_due is not None and any(isinstance(chunk, DataChunk) for chunk in self.waiting):
            # The SACK still owed rides along with the DATA: no packet of its own.
            self.units_under_way += 1
            try:
                await self.send_sack_now()
            finally:
                self.units_under_way -= 1
        chunks, self.waiting = self.waiting, []
        if len(chunks) == 1:  # half the units of a transfer (each lone SACK): aiortc serializes it
            await self.aiortc.send_packet(chunks[0])
            return
        for packet in packets_of(chunks):
            await self.aiortc.send_packet(ChunkBundle(packet))

    async def send_sack(self) -> None:
        """In place of aiortc's SACK after each received packet that brought data."""
        self.packets_unacknowledged += 1
        trouble = sack_reports_trouble(self.sctp)
        gap_closed, self.gap_reported = self.gap_reported and not trouble, trouble
        if trouble or gap_closed or self.packets_unacknowledged >= PACKETS_PER_SACK:
            await self.send_sack_now()
            return
        hold_sack(self.sctp)
        loop = asyncio.get_running_loop()
        if self.sack_due is None:
            self.sack_due = loop.time() + SACK_DELAY_SECONDS
        if self.sack_timer is None:
            self.sack_timer = loop.call_at(self.sack_due, self.sack_delay_over)

    async def send_sack_now(self) -> None:
        # The timer stays: in a stream of packets every other one is held, and a timer
        # started and cancelled for each was 2% of the CPU a transfer took (cancelled
        # timers crowd the loop's heap). When it fires, it sends what is due by then.
        self.sack_due = None
        self.packets_unacknowledged = 0
        await self.aiortc.send_sack()

    def sack_delay_over(self) -> None:
        self.sack_timer = None
        if self.sack_due is None or self.sctp.state != "connected":
            return
        loop = asyncio.get_running_loop()
        if loop.time() < self.sack_due:  # held after the SACK this timer was started for
            self.sack_timer = loop.call_at(self.sack_due, self.sack_delay_over)
            return
        self.delayed_sack = asyncio.ensure_future(self.send_delayed_sack())

    async def send_delayed_sack(self) -> None:
        try:
            await self.work("packet", self.send_sack_now())  # as the packet it acknowledges would have
        except DTLS_REFUSALS:  # DTLS closed meanwhile, or closing: nobody left to acknowledge
            pass


def tune_sctp(sctp: RTCSctpTransport) -> SctpTuning:
    """Bundle the association's chunks and delay its SACKs from now on (before it starts)."""
    return SctpTuning(sctp)
