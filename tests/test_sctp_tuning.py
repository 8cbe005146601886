"""sctp_tuning.py: bundled chunks and delayed SACKs, between real aiortc associations.

Two kinds of pair: aiortc peer connections over loopback (real ICE, DTLS and sockets), and
bare SCTP associations over an in-memory wire on a virtual clock, for exact SACK timing.
Packets are counted where SCTP hands them to DTLS (`_send_data`, one call per packet).
"""

from __future__ import annotations

import asyncio
import collections
import gc
import itertools
import logging
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCDataChannel, RTCDataChannelParameters, RTCPeerConnection, RTCSctpTransport
from aiortc.rtcsctptransport import (
    SCTP_MAX_PACKET_LENGTH,
    Chunk,
    DataChunk,
    ForwardTsnChunk,
    InboundStream,
    SackChunk,
    parse_packet,
    serialize_packet,
)
from OpenSSL import SSL

from rtcshim import sctp_tuning
from rtcshim.aiortc_seams import flush_dtls_only_when_written, set_sent_chunks_aside
from rtcshim.sctp_tuning import ChunkBundle, packets_of, tune_sctp
from rtcshim.socket_buffers import enlarge_socket_buffers

from .event_loop import run, run_in_virtual_time
from .sctp_recovery import Recovery, watch_recovery

# --- packets ---------------------------------------------------------------------------


def data_chunk(tsn: int, size: int) -> DataChunk:
    chunk = DataChunk(flags=3)
    chunk.tsn, chunk.stream_id, chunk.stream_seq, chunk.protocol = tsn, 1, tsn, 53
    chunk.user_data = bytes([tsn % 256]) * size
    return chunk


def sack(cumulative_tsn: int) -> SackChunk:
    chunk = SackChunk()
    chunk.cumulative_tsn, chunk.advertised_rwnd = cumulative_tsn, 65536
    return chunk


def forward_tsn(cumulative_tsn: int) -> ForwardTsnChunk:
    chunk = ForwardTsnChunk()
    chunk.cumulative_tsn = cumulative_tsn
    return chunk


def kinds(serialized: list[bytes]) -> list[str]:
    return [type(parse_packet(serialize_packet(5000, 5000, 1, ChunkBundle([one])))[3][0]).__name__
            for one in serialized]


def test_a_bundle_is_one_packet_that_aiortc_parses_back_chunk_for_chunk() -> None:
    """One common header, each chunk padded to 4 bytes, a CRC32c over all of it: aiortc's
    parser (which checks the CRC) finds every chunk with its fields."""
    chunks: list[Chunk] = [sack(7), data_chunk(1, 101), data_chunk(2, 3), data_chunk(3, 0)]
    packet = serialize_packet(5000, 5001, 0xDEADBEEF, ChunkBundle([bytes(chunk) for chunk in chunks]))
    source, destination, tag, parsed = parse_packet(packet)
    assert (source, destination, tag) == (5000, 5001, 0xDEADBEEF)
    assert [type(chunk) for chunk in parsed] == [SackChunk, DataChunk, DataChunk, DataChunk]
    assert [(c.tsn, c.user_data) for c in parsed if isinstance(c, DataChunk)] == [
        (1, b"\x01" * 101), (2, b"\x02" * 3), (3, b"")]
    corrupted = packet[:20] + bytes([packet[20] ^ 1]) + packet[21:]
    try:
        parse_packet(corrupted)
    except ValueError as error:
        assert "checksum" in str(error)
    else:
        raise AssertionError("a corrupted bundle passed aiortc's CRC check")


def test_packets_hold_the_last_sack_first_then_data_in_order_within_the_size_limit() -> None:
    chunks: list[Chunk] = [data_chunk(tsn, 300) for tsn in range(1, 8)]
    chunks.insert(3, sack(10))
    chunks.append(sack(11))
    packets = packets_of(chunks)
    assert all(12 + sum(map(len, packet)) <= SCTP_MAX_PACKET_LENGTH for packet in packets)
    assert [kinds(packet) for packet in packets] == [
        ["SackChunk", "DataChunk", "DataChunk", "DataChunk"], ["DataChunk"] * 3, ["DataChunk"]]
    sent = [parse_packet(serialize_packet(1, 2, 3, ChunkBundle(packet)))[3] for packet in packets]
    assert [c.tsn for c in itertools.chain(*sent) if isinstance(c, DataChunk)] == list(range(1, 8))
    assert [c.cumulative_tsn for c in itertools.chain(*sent) if isinstance(c, SackChunk)] == [11]


def test_a_control_chunk_after_data_starts_a_packet_of_its_own() -> None:
    """RFC 4960 section 6.10: control chunks come first in a packet."""
    packets = packets_of([data_chunk(1, 10), forward_tsn(1), data_chunk(2, 10)])
    assert [kinds(packet) for packet in packets] == [["DataChunk"], ["ForwardTsnChunk", "DataChunk"]]


# --- two aiortc peer connections over loopback ----------------------------------------


@dataclass
class PacketCount:
    """The packets one association handed to DTLS, and the chunks in them."""

    packets: int = 0
    sacks: int = 0
    data_chunks: int = 0
    drop: Callable[[int], bool] = lambda number: False  # by the packet's number, from 1

    def watch(self, sctp: RTCSctpTransport) -> None:
        dtls = sctp.transport
        send_data = dtls._send_data

        async def count_and_send(data: bytes) -> None:
            self.packets += 1
            chunks = parse_packet(data)[3]
            self.sacks += sum(isinstance(chunk, SackChunk) for chunk in chunks)
            self.data_chunks += sum(isinstance(chunk, DataChunk) for chunk in chunks)
            if not self.drop(self.packets):
                await send_data(data)

        dtls._send_data = count_and_send  # type: ignore[method-assign]


@dataclass
class PeerPair:
    offerer: RTCPeerConnection
    answerer: RTCPeerConnection
    sent: PacketCount = field(default_factory=PacketCount)  # by the offerer
    acknowledged: PacketCount = field(default_factory=PacketCount)  # by the answerer

    async def channel(self, label: str, **options: Any) -> tuple[RTCDataChannel, RTCDataChannel]:
        """A negotiated channel (no DCEP round trip): the offerer's end and the answerer's."""
        stream_id = 2 * len(self.offerer.sctp._data_channels) if self.offerer.sctp else 0  # type: ignore[union-attr]
        ends = [pc.createDataChannel(label, negotiated=True, id=stream_id, **options)
                for pc in (self.offerer, self.answerer)]
        for end in ends:
            while end.readyState != "open":
                await asyncio.sleep(0.01)
        return ends[0], ends[1]


async def connected_pair(tuned: tuple[bool, bool]) -> PeerPair:
    """Two peer connections; `tuned` says which of offerer and answerer is rtcshim's."""
    pair = PeerPair(*(RTCPeerConnection(RTCConfiguration(iceServers=[])) for _ in range(2)))
    pair.offerer.createDataChannel("negotiation")
    await pair.offerer.setLocalDescription(await pair.offerer.createOffer())
    await pair.answerer.setRemoteDescription(pair.offerer.localDescription)
    await pair.answerer.setLocalDescription(await pair.answerer.createAnswer())
    await pair.offerer.setRemoteDescription(pair.answerer.localDescription)
    for pc, is_tuned in zip((pair.offerer, pair.answerer), tuned, strict=True):
        assert pc.sctp is not None
        if is_tuned:  # as rtcshim's peer connections are
            tune_sctp(pc.sctp)
            enlarge_socket_buffers(pc.sctp.transport.transport._connection)
    while pair.answerer.sctp is None or pair.answerer.sctp.state != "connected":
        await asyncio.sleep(0.01)
    assert pair.offerer.sctp is not None
    pair.sent.watch(pair.offerer.sctp)
    pair.acknowledged.watch(pair.answerer.sctp)
    return pair


def mixed_messages(count: int) -> list[bytes]:
    """Small ones mostly, and now and then one that takes several DATA chunks."""
    sizes = itertools.cycle([100, 1, 100, 37, 100, 3000, 100, 1160, 100, 5000])
    return [number.to_bytes(4, "big") + bytes([number % 251]) * next(sizes) for number in range(count)]


async def deliver(
    sender: RTCDataChannel, receiver: RTCDataChannel, messages: list[bytes], *, until: int | None = None
) -> list[bytes]:
    """Send all, wait until `until` (default: all) arrived, plus a moment for stragglers."""
    received: list[bytes] = []
    enough = asyncio.get_running_loop().create_future()

    def take(message: bytes) -> None:
        received.append(message)
        if len(received) >= (until or len(messages)) and not enough.done():
            enough.set_result(None)

    receiver.on("message", take)
    for message in messages:
        sender.send(message)
    await asyncio.wait_for(enough, 60)
    await asyncio.sleep(0.3)
    return received


async def one_way_between_tuned_peers(messages: list[bytes]) -> tuple[list[bytes], PeerPair]:
    """What arrived of `messages` sent from the offerer to the answerer, both tuned."""
    pair = await connected_pair((True, True))
    sender, receiver = await pair.channel("one way")
    received = await deliver(sender, receiver, messages)
    await pair.offerer.close()
    await pair.answerer.close()
    return received, pair


def test_ten_thousand_small_messages_go_in_far_fewer_packets_with_fewer_sacks() -> None:
    messages = [number.to_bytes(4, "big") + bytes(96) for number in range(10_000)]

    received, pair = run(one_way_between_tuned_peers(messages))
    assert received == messages
    assert pair.sent.data_chunks >= len(messages)
    assert pair.sent.packets < len(messages) / 5  # 1,160 bytes of chunks hold 9 of these
    # The receiver acknowledged at least every second packet, never every one.
    assert pair.sent.packets / 2 - 10 <= pair.acknowledged.sacks < pair.sent.packets * 0.75


def test_ten_thousand_messages_of_mixed_sizes_arrive_whole_and_in_order() -> None:
    messages = mixed_messages(10_000)

    received, pair = run(one_way_between_tuned_peers(messages))
    assert received == messages
    assert pair.sent.packets < pair.sent.data_chunks


def test_plain_aiortc_and_a_tuned_association_understand_each_other_both_ways() -> None:
    """Plain aiortc sends one chunk a packet and SACKs each; the tuned end bundles, also
    the fragments of the large messages among the small ones, and SACKs every second."""
    messages = [message if number % 50 else message * 50 for number, message in enumerate(
        number.to_bytes(4, "big") + bytes(96) for number in range(2_000))]

    async def scenario(tuned: tuple[bool, bool]) -> tuple[list[bytes], list[bytes], PeerPair]:
        pair = await connected_pair(tuned)
        offerer_end, answerer_end = await pair.channel("both ways")
        forth = await deliver(offerer_end, answerer_end, messages)
        back = await deliver(answerer_end, offerer_end, messages)
        await pair.offerer.close()
        await pair.answerer.close()
        return forth, back, pair

    for tuned in ((True, False), (False, True)):
        forth, back, pair = run(scenario(tuned))
        assert (forth, back) == (messages, messages), tuned
        tuned_side, plain_side = (pair.sent, pair.acknowledged) if tuned[0] else (pair.acknowledged, pair.sent)
        assert plain_side.packets >= plain_side.data_chunks + plain_side.sacks, tuned  # a packet each
        assert tuned_side.packets < (tuned_side.data_chunks + tuned_side.sacks) / 2, tuned


def test_lost_packets_leave_reliable_channels_whole_and_partial_ones_in_order() -> None:
    """Every 9th of the offerer's first 400 packets is lost: the reliable channel's
    messages all arrive in order (retransmitted, bundled); the unordered one's all arrive;
    the ordered one with maxRetransmits=0 skips what was lost (FORWARD TSN) but keeps
    its order."""
    small = [number.to_bytes(4, "big") + bytes(96) for number in range(3000)]

    async def scenario() -> tuple[list[bytes], list[bytes], list[bytes], PeerPair]:
        pair = await connected_pair((True, True))
        channels = [await pair.channel(label, **options) for label, options in (
            ("reliable", {}), ("unordered", {"ordered": False}), ("lossy", {"maxRetransmits": 0}))]
        pair.sent.drop = lambda number: number <= 400 and number % 9 == 0
        arrivals: list[list[bytes]] = [[], [], []]
        for (_, receiver), arrived in zip(channels, arrivals, strict=True):
            receiver.on("message", arrived.append)
        for message in small:
            for sender, _ in channels:
                sender.send(message)
        while len(arrivals[0]) < len(small) or len(arrivals[1]) < len(small):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        await pair.offerer.close()
        await pair.answerer.close()
        return *arrivals, pair

    reliable, unordered, lossy, pair = run(scenario())
    assert reliable == small
    assert sorted(unordered) == small
    assert lossy == sorted(set(lossy)) and set(lossy) <= set(small)
    assert len(lossy) < len(small)  # the losses did reach it: the test tested something
    assert pair.sent.data_chunks > 3 * len(small)  # retransmits


def test_dtls_flushes_read_the_bio_only_when_openssl_wrote_and_every_packet_still_goes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """aiortc flushed OpenSSL's outgoing BIO after every record received too, and found it
    empty (pyOpenSSL raising WantReadError: one for every packet). With
    flush_dtls_only_when_written on both ends, 100 messages of 16 KiB arrive whole, every
    BIO read finds a record, and there is one read for each packet either end sent."""
    reads = collections.Counter[str]()
    bio_read = SSL.Connection.bio_read

    def counted(connection: SSL.Connection, size: int) -> bytes:
        try:
            record = bio_read(connection, size)
        except SSL.WantReadError:
            reads["empty"] += 1
            raise
        reads["record"] += 1
        return record

    messages = [number.to_bytes(2, "big") * 8192 for number in range(100)]

    async def scenario() -> tuple[list[bytes], int, int]:
        pair = await connected_pair((True, True))
        for peer in (pair.offerer, pair.answerer):
            assert peer.sctp is not None
            flush_dtls_only_when_written(peer.sctp.transport)
        sender, receiver = await pair.channel("flushes")
        pair.sent.packets = pair.acknowledged.packets = 0
        monkeypatch.setattr(SSL.Connection, "bio_read", counted)
        received = await deliver(sender, receiver, messages)
        monkeypatch.undo()
        packets = pair.sent.packets, pair.acknowledged.packets  # before closing sends more
        await pair.offerer.close()
        await pair.answerer.close()
        return received, *packets

    received, data_packets, sack_packets = run(scenario())
    assert received == messages
    assert data_packets >= 100 * 15
    assert reads == {"record": data_packets + sack_packets}


# --- SACK timing, on a virtual clock ----------------------------------------------------


class Wire:
    """Stands in for one end of a DTLS transport: carries SCTP packets to the other end,
    on the next turn of the loop; notes when each packet left and what was in it."""

    state = "connected"

    def __init__(self, role: str) -> None:
        self._role = role
        self.far_end: Wire | None = None
        self.receiver: Any = None
        self.sent: list[tuple[float, list[str]]] = []
        self.data_sent: list[tuple[float, int]] = []  # when each DATA chunk left, and its TSN
        self.lose_next = False
        self.duplicate_next = False  # the next packet arrives twice
        self.lose: Callable[[list[Chunk]], bool] = lambda chunks: False  # by the packet's chunks
        self.deliveries: set[asyncio.Task[None]] = set()
        # What DTLS raises on a send once closed (ConnectionError), or for a moment as its
        # stop() shuts OpenSSL down before aiortc marks it closed (SSL.Error).
        self.refusal: Exception | None = None

    def _register_data_receiver(self, receiver: Any) -> None:
        self.receiver = receiver

    def _unregister_data_receiver(self, receiver: Any) -> None:
        self.receiver = None

    async def _send_data(self, data: bytes) -> None:
        if self.refusal is not None:
            raise self.refusal
        loop = asyncio.get_running_loop()
        chunks = parse_packet(data)[3]
        self.sent.append((loop.time(), [type(chunk).__name__ for chunk in chunks]))
        self.data_sent += [(loop.time(), chunk.tsn) for chunk in chunks if isinstance(chunk, DataChunk)]
        if self.lose_next or self.lose(chunks):
            self.lose_next = False
            return
        copies, self.duplicate_next = 1 + self.duplicate_next, False
        for _ in range(copies):
            task = asyncio.ensure_future(self.arrive(data))
            self.deliveries.add(task)
            task.add_done_callback(self.deliveries.discard)

    async def arrive(self, data: bytes) -> None:
        assert self.far_end is not None and self.far_end.receiver is not None
        await self.far_end.receiver._handle_data(data)

    def sacks(self) -> list[float]:
        return [time for time, chunks in self.sent if "SackChunk" in chunks]


async def associated() -> tuple[RTCDataChannel, Wire, Wire]:
    """A tuned association pair over a Wire; the first end's negotiated channel and the
    wires of the first (client) end and of the second (server) end."""
    wires = Wire("client"), Wire("server")
    wires[0].far_end, wires[1].far_end = wires[1], wires[0]
    ends = [RTCSctpTransport(wire) for wire in wires]  # type: ignore[arg-type]
    for end in ends:
        tune_sctp(end)
    channels = [RTCDataChannel(end, RTCDataChannelParameters(label="timed", negotiated=True, id=1)) for end in ends]
    await asyncio.gather(*(end.start(end.getCapabilities(), 5000) for end in ends))
    while channels[0].readyState != "open" or channels[1].readyState != "open":
        await asyncio.sleep(0.001)
    await asyncio.sleep(1)  # the handshake's last SACKs are done
    wires[0].sent.clear()
    wires[1].sent.clear()
    return channels[0], wires[0], wires[1]


def test_one_packet_is_acknowledged_after_the_sack_delay_two_at_once() -> None:
    async def scenario() -> tuple[float, list[float], list[float]]:
        channel, _, acknowledging = await associated()
        start = asyncio.get_running_loop().time()
        channel.send(b"alone")
        await asyncio.sleep(1)
        one = acknowledging.sacks()
        acknowledging.sent.clear()
        start_two = asyncio.get_running_loop().time()
        channel.send(b"x" * 1100)  # two packets: this one fills the first
        channel.send(b"y" * 1100)
        await asyncio.sleep(1)
        return start, one, [time - start_two for time in acknowledging.sacks()]

    start, one, two = run_in_virtual_time(scenario())
    assert one == [start + sctp_tuning.SACK_DELAY_SECONDS]
    assert two == [0.0]


def test_a_gap_is_acknowledged_at_once_and_so_are_its_filling_and_a_duplicate() -> None:
    async def scenario() -> tuple[list[float], list[float]]:
        channel, sending, acknowledging = await associated()
        start = asyncio.get_running_loop().time()
        sending.lose_next = True
        channel.send(b"a" * 1100)  # lost
        sending.duplicate_next = True
        channel.send(b"b" * 1100)  # arrives after a gap, then again
        await asyncio.sleep(5)  # aiortc's T3 (1 s at least) resends the lost one: the gap filled
        data_sent = [time - start for time, chunks in sending.sent if "DataChunk" in chunks]
        return data_sent, [time - start for time in acknowledging.sacks()]

    data_sent, sacks = run_in_virtual_time(scenario())
    assert data_sent[:2] == [0.0, 0.0] and len(data_sent) == 3 and data_sent[2] >= 1
    assert sacks == [0.0, 0.0, data_sent[2]]  # none waited for the delay


def test_a_sack_owed_rides_along_with_data_sent_back() -> None:
    async def scenario() -> list[list[str]]:
        channel, _, acknowledging = await associated()
        channel.send(b"ping")
        await asyncio.sleep(sctp_tuning.SACK_DELAY_SECONDS / 2)  # the reply comes before the delay is over
        answering = next(iter(acknowledging.receiver._data_channels.values()))
        answering.send(b"pong")
        await asyncio.sleep(1)
        return [chunks for _, chunks in acknowledging.sent]

    assert run_in_virtual_time(scenario()) == [["SackChunk", "DataChunk"]]


def test_a_sack_held_as_dtls_shuts_down_is_dropped_without_an_error_logged(caplog: pytest.LogCaptureFixture) -> None:
    """DTLS's stop() shuts OpenSSL down before aiortc marks the transport closed. A held
    SACK due in between meets OpenSSL's error, not aiortc's ConnectionError: nobody is left
    to acknowledge, so the SACK's task ends quietly (not "Task exception was never retrieved")."""

    async def scenario() -> None:
        channel, _, acknowledging = await associated()
        channel.send(b"alone")  # its SACK is held for the delay
        await asyncio.sleep(sctp_tuning.SACK_DELAY_SECONDS / 2)
        acknowledging.refusal = SSL.Error([("SSL routines", "", "protocol is shutdown")])
        await asyncio.sleep(1)

    run_in_virtual_time(scenario())
    assert errors_logged(caplog) == []


@pytest.mark.parametrize("refusal", [ConnectionError("Cannot send encrypted data, not connected"),
                                     SSL.Error([("SSL routines", "", "protocol is shutdown")])],
                         ids=["closed", "closing"])
def test_an_init_resent_after_dtls_closed_ends_its_timer_s_task_quietly(
    refusal: Exception, caplog: pytest.LogCaptureFixture,
) -> None:
    """aiortc's T1 timer resends an unanswered INIT in a task nobody awaits. DTLS closed or
    closing meanwhile (the page went during the handshake): the resend fails without an
    error logged, and the timer goes on to give up as it would."""

    async def scenario() -> tuple[list[float], str]:
        wire = Wire("client")
        wire.lose = lambda chunks: True  # no answer
        association = RTCSctpTransport(wire)  # type: ignore[arg-type]
        tune_sctp(association)
        await association.start(association.getCapabilities(), 5000)
        wire.refusal = refusal
        await asyncio.sleep(60)  # T1: 3 s, 8 resends
        return [time for time, chunks in wire.sent if "InitChunk" in chunks], association.state

    inits_sent, state = run_in_virtual_time(scenario())
    assert len(inits_sent) == 1  # the first: the resends met the closed DTLS
    assert state == "closed"
    assert errors_logged(caplog) == []


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What was logged at ERROR or above, once every dropped task is gone (asyncio logs a
    task's unretrieved exception as the task goes)."""
    gc.collect()
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def test_held_sacks_share_their_timers_and_each_still_goes_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every other packet's SACK is held until the next packet or the delay. A timer
    started and cancelled for each held SACK (as before) made 150 for 300 packets; one
    timer now stays until it fires and serves the SACKs held meanwhile. 300 packets 3 ms
    apart: each SACK still leaves with the second packet of its pair, and 75 timers start
    (a timer started for one pair fires after the next pair's hold, and is started again
    for it). 300 packets in one burst: one timer."""
    timers_started: list[float] = []

    async def scenario() -> tuple[list[bytes], list[float], list[float], int]:
        channel, sending, acknowledging = await associated()
        loop = asyncio.get_running_loop()
        call_at = loop.call_at

        def counted(when: float, callback: Callable[..., object], *args: Any, **options: Any) -> asyncio.TimerHandle:
            if getattr(callback, "__name__", "") == "sack_delay_over":
                timers_started.append(loop.time())
            return call_at(when, callback, *args, **options)

        monkeypatch.setattr(loop, "call_at", counted)
        received: list[bytes] = []
        next(iter(acknowledging.receiver._data_channels.values())).on("message", received.append)
        start = loop.time()
        for number in range(300):
            channel.send(number.to_bytes(2, "big") * 550)
            await asyncio.sleep(0.003)
        await asyncio.sleep(1)
        data_times = [time - start for time, _ in sending.data_sent]
        sacks = [time - start for time in acknowledging.sacks()]
        spaced = len(timers_started)
        for number in range(300):
            channel.send(number.to_bytes(2, "big") * 550)
        await asyncio.sleep(1)
        return received, data_times, sacks, spaced

    received, data_times, sacks, spaced = run_in_virtual_time(scenario())
    assert received == [number.to_bytes(2, "big") * 550 for number in range(300)] * 2
    assert len(data_times) == 300 and len(sacks) == 150
    held = data_times[0::2]  # the first of each pair waits for the second, 3 ms later
    assert [round(sack - packet, 6) for sack, packet in zip(sacks, held, strict=True)] == [0.003] * 150
    assert spaced == 75
    assert len(timers_started) - spaced == 1


def test_in_order_fragments_skip_the_reassembly_scan_and_messages_stay_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """20 messages of 16 KiB, 15 DATA chunks each: aiortc scanned its reassembly for
    messages to deliver at each chunk (300 scans); now only at each message's last
    fragment (20). Then 20 more with a packet lost, so fragments arrive after a gap and
    the lost one comes last: those go through aiortc's own handling, and every message
    arrives whole and in order."""
    scans = []
    pop_messages = InboundStream.pop_messages

    def counted(stream: InboundStream) -> Iterator[tuple[int, int, bytes]]:
        scans.append(stream)
        return pop_messages(stream)

    monkeypatch.setattr(InboundStream, "pop_messages", counted)
    messages = [number.to_bytes(2, "big") * 8192 for number in range(40)]

    async def scenario() -> tuple[list[bytes], int, int]:
        channel, sending, acknowledging = await associated()
        received: list[bytes] = []
        next(iter(acknowledging.receiver._data_channels.values())).on("message", received.append)
        channel.send(b"first")  # the stream's reassembly begins with aiortc's handling
        await asyncio.sleep(1)
        scans.clear()
        sending.data_sent.clear()
        for message in messages[:20]:
            channel.send(message)
        await asyncio.sleep(1)
        in_order_scans, chunks = len(scans), len(sending.data_sent)
        sending.lose_next = True
        for message in messages[20:]:
            channel.send(message)
        await asyncio.sleep(10)
        return received, in_order_scans, chunks

    received, in_order_scans, chunks = run_in_virtual_time(scenario())
    assert chunks == 20 * 15
    assert in_order_scans == 20
    assert received == [b"first", *messages]


def test_aiortc_awaits_the_tuning_s_own_coroutines_with_no_wrapper_around_them() -> None:
    """A received packet, a transmission and a SACK received: what aiortc awaits is the
    tuning's coroutine (`work`) or aiortc's (`_receive_sack_chunk`) itself, no coroutine
    of the seam around it (one more frame each time: 2% of a transfer's CPU)."""

    async def scenario() -> list[str]:
        channel, _, _ = await associated()
        sctp = channel.transport
        awaited = [sctp._handle_data(b""), sctp._transmit(), sctp._receive_sack_chunk(sack(0))]
        names = [coroutine.cr_code.co_name for coroutine in awaited]
        for coroutine in awaited:
            await coroutine
        return names

    assert run_in_virtual_time(scenario()) == ["work", "work", "_receive_sack_chunk"]


def test_a_lone_chunk_goes_as_aiortc_serializes_it_without_bundling(monkeypatch: pytest.MonkeyPatch) -> None:
    """A message of one DATA chunk, and the SACK for it after the delay: each unit sent one
    chunk, which goes as it is (no bundle built); two DATA chunks in one unit are bundled."""
    bundled: list[int] = []
    bundle = sctp_tuning.packets_of

    def counted(chunks: list[Chunk]) -> list[list[bytes]]:
        bundled.append(len(chunks))
        return bundle(chunks)

    monkeypatch.setattr(sctp_tuning, "packets_of", counted)

    async def scenario() -> tuple[list[list[str]], list[list[str]], list[int]]:
        channel, sending, acknowledging = await associated()
        channel.send(b"alone")
        await asyncio.sleep(1)
        lone = bundled[:]
        channel.send(b"one")
        channel.send(b"two")
        await asyncio.sleep(1)
        return [chunks for _, chunks in sending.sent], [chunks for _, chunks in acknowledging.sent], lone

    sent, acknowledged, lone = run_in_virtual_time(scenario())
    assert lone == []
    assert bundled == [2]
    assert sent == [["DataChunk"], ["DataChunk", "DataChunk"]]
    assert acknowledged == [["SackChunk"], ["SackChunk"]]


def scans_skipped(monkeypatch: pytest.MonkeyPatch) -> list[RTCSctpTransport]:
    """From now on, an entry for each transmission that skips its scan for retransmissions."""
    set_aside = []

    def counted(sctp: RTCSctpTransport) -> collections.deque[Any]:
        set_aside.append(sctp)
        return set_sent_chunks_aside(sctp)

    monkeypatch.setattr(sctp_tuning, "set_sent_chunks_aside", counted)
    return set_aside


def test_a_burst_skips_the_scan_for_retransmissions_and_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """300 messages sent at once: one flush, one transmission a message; most skip the scan
    of the chunks in flight. A packet lost on the way is still retransmitted."""
    set_aside = scans_skipped(monkeypatch)

    async def scenario() -> list[bytes]:
        channel, sending, acknowledging = await associated()
        received: list[bytes] = []
        answering = next(iter(acknowledging.receiver._data_channels.values()))
        answering.on("message", received.append)
        sending.lose_next = True
        for number in range(300):
            channel.send(number.to_bytes(2, "big") * 50)
        await asyncio.sleep(10)
        return received

    received = run_in_virtual_time(scenario())
    assert received == [number.to_bytes(2, "big") * 50 for number in range(300)]
    assert len(set_aside) >= 250


def test_messages_one_a_loop_turn_skip_the_scan_until_a_sack_reports_a_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    """300 messages, one a turn of the loop as the bridge hands them over (each its own
    flush), none lost: no transmission scans the chunks in flight. Then 300 more with a
    packet lost: the SACK reporting the gap starts the scans that find the chunk marked for
    fast retransmit, and T3 never has to resend it."""
    set_aside = scans_skipped(monkeypatch)
    messages = [number.to_bytes(2, "big") * 50 for number in range(600)]

    async def scenario() -> tuple[list[bytes], int, Recovery]:
        channel, sending, acknowledging = await associated()
        recovery = watch_recovery(channel.transport)
        received: list[bytes] = []
        next(iter(acknowledging.receiver._data_channels.values())).on("message", received.append)
        transmissions = counted_transmissions(channel.transport)
        for message in messages[:300]:
            channel.send(message)
            await asyncio.sleep(0)
        await asyncio.sleep(1)
        assert len(set_aside) == transmissions[0] >= 300  # all skipped the scan
        sending.lose_next = True
        for message in messages[300:]:
            channel.send(message)
            await asyncio.sleep(0)
        await asyncio.sleep(10)
        return received, transmissions[0] - len(set_aside), recovery

    received, scans, recovery = run_in_virtual_time(scenario())
    assert received == messages
    assert 0 < scans < 100
    assert recovery == Recovery(fast_recovery_entries=1, t3_expired_at=[])


def test_messages_sent_in_one_turn_of_the_loop_share_one_flush_task() -> None:
    """aiortc starts a task to flush the channels' queue at every message sent: 300 sent at
    once leave one task, 300 sent one a turn one each; all arrive, in order."""
    messages = [number.to_bytes(2, "big") * 50 for number in range(600)]

    async def scenario() -> tuple[list[bytes], list[int]]:
        channel, _, acknowledging = await associated()
        received: list[bytes] = []
        next(iter(acknowledging.receiver._data_channels.values())).on("message", received.append)
        tasks_started = []
        before = len(asyncio.all_tasks())
        for message in messages[:300]:
            channel.send(message)
        tasks_started.append(len(asyncio.all_tasks()) - before)
        await asyncio.sleep(0)  # the flush task runs
        for message in messages[300:]:
            before = len(asyncio.all_tasks())
            channel.send(message)
            tasks_started.append(len(asyncio.all_tasks()) - before)
            await asyncio.sleep(0)
        await asyncio.sleep(1)
        return received, tasks_started

    received, tasks_started = run_in_virtual_time(scenario())
    assert received == messages
    assert tasks_started == [1] * 301


def test_messages_sent_at_once_go_max_burst_chunks_a_chance_to_send() -> None:
    """RFC 9260 section 6.1, rule D: with room in the congestion window for all, 300
    messages sent at once go out as MAX_BURST of aiortc's largest chunks of user data (46
    of these, 5 packets) before anything comes back; the rest as the SACKs come back."""
    messages = [number.to_bytes(2, "big") * 50 for number in range(300)]

    async def scenario() -> tuple[list[bytes], int, list[str]]:
        channel, sending, acknowledging = await associated()
        for _ in range(3000):  # the congestion window grows
            channel.send(bytes(100))
        await asyncio.sleep(1)
        received: list[bytes] = []
        next(iter(acknowledging.receiver._data_channels.values())).on("message", received.append)
        packets: list[str] = []  # in the order sent, from either end
        for wire, kind in ((sending, "data"), (acknowledging, "sack")):
            wire._send_data = noting(wire._send_data, packets, kind)  # type: ignore[method-assign]
        for message in messages:
            channel.send(message)
        await asyncio.sleep(1)
        return received, channel.transport._cwnd, packets

    received, cwnd, packets = run_in_virtual_time(scenario())
    assert received == messages
    assert cwnd > 300 * 100  # room for all at once
    assert packets.index("sack") == 5
    assert packets.count("data") >= 30


def noting(send_data: Callable[[bytes], Any], packets: list[str], kind: str) -> Callable[[bytes], Any]:
    async def note_and_send(data: bytes) -> None:
        packets.append(kind)
        await send_data(data)

    return note_and_send


def counted_transmissions(sctp: RTCSctpTransport) -> list[int]:
    """A count, from now on, of the association's transmissions (as aiortc calls them)."""
    count = [0]
    transmit = sctp._transmit

    async def count_and_transmit() -> None:
        count[0] += 1
        await transmit()

    sctp._transmit = count_and_transmit  # type: ignore[method-assign]
    return count


# --- losses: fast retransmit once a chunk, then T3 (RFC 9260 section 7.2.4) -------------


class Losses:
    """For `Wire.lose`: loses the packets with DATA of the numbers in `data_packets` (from 1)
    and, of the packets that resend DATA, those of the numbers in `resends`."""

    def __init__(self, data_packets: Collection[int], resends: Collection[int] = ()) -> None:
        self.data_packets, self.resends = data_packets, resends
        self.data_numbers, self.resend_numbers = itertools.count(1), itertools.count(1)
        self.tsns_sent: set[int] = set()
        self.lost: collections.Counter[int] = collections.Counter()  # how often each TSN was lost

    def __call__(self, chunks: list[Chunk]) -> bool:
        tsns = {chunk.tsn for chunk in chunks if isinstance(chunk, DataChunk)}
        if not tsns:
            return False
        resent = bool(tsns & self.tsns_sent)
        self.tsns_sent |= tsns
        data_number = next(self.data_numbers)
        if data_number in self.data_packets or (resent and next(self.resend_numbers) in self.resends):
            self.lost.update(tsns)
            return True
        return False


LOSS_MESSAGES = [number.to_bytes(2, "big") * 50 for number in range(2000)]


async def send_with_losses(losses: Losses) -> tuple[list[bytes], dict[int, list[float]], Recovery]:
    """LOSS_MESSAGES over a tuned pair whose sender's wire has `losses`: what arrived, when
    each TSN was sent, and how the sender recovered."""
    channel, sending, acknowledging = await associated()
    recovery = watch_recovery(channel.transport)
    received: list[bytes] = []
    next(iter(acknowledging.receiver._data_channels.values())).on("message", received.append)
    sending.lose = losses
    for message in LOSS_MESSAGES:
        channel.send(message)
    await asyncio.sleep(20)
    sent_at: dict[int, list[float]] = {}
    for time, tsn in sending.data_sent:
        sent_at.setdefault(tsn, []).append(time)
    return received, sent_at, recovery


def test_a_lost_chunk_is_fast_retransmitted_once_in_one_fast_recovery() -> None:
    """Two packets of one window lost: their chunks are resent once each, in one fast
    recovery. aiortc alone resends each again at every third SACK still missing it (its
    resend on the way): 4 or 5 times here."""
    losses = Losses({30, 33})

    received, sent_at, recovery = run_in_virtual_time(send_with_losses(losses))
    assert received == LOSS_MESSAGES
    assert {tsn for tsn, times in sent_at.items() if len(times) > 1} == set(losses.lost)
    assert max(len(times) for times in sent_at.values()) == 2
    assert recovery == Recovery(fast_recovery_entries=1, t3_expired_at=[])


def test_a_chunk_whose_fast_retransmission_is_lost_is_resent_when_t3_expires() -> None:
    """T3 resends only what is lost: not the chunks that SACKs acknowledged in gap blocks
    (aiortc alone resends every chunk after the cumulative TSN)."""
    losses = Losses({30}, resends={1})

    received, sent_at, recovery = run_in_virtual_time(send_with_losses(losses))
    assert received == LOSS_MESSAGES
    assert len(recovery.t3_expired_at) == 1
    lost_twice = {tsn for tsn, count in losses.lost.items() if count == 2}
    assert lost_twice
    for tsn in lost_twice:
        assert len(sent_at[tsn]) == 3 and sent_at[tsn][2] == recovery.t3_expired_at[0], tsn
    assert max(len(times) for tsn, times in sent_at.items() if tsn not in lost_twice) <= 2
