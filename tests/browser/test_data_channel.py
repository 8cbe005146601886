"""RTCDataChannel end to end: two shimmed peer connections in one page, through the bridge.

Every message crosses the WebSocket to aiortc, goes over SCTP on loopback to the other
aiortc peer connection and comes back to the page, so these tests check the whole path.
Expectations follow webrtc-pc and native Chromium.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from rtcshim.serving import ServerThread

from .page_helpers import run


def open_pair(page: Page, channel_init: dict[str, Any] | None = None) -> None:
    """Connects two peer connections in `page`; the result is `window.pair`."""
    run(
        page,
        "async (channelInit) => { window.pair = await makePair({}, channelInit); }",
        channel_init or {},
    )


def server_data_channels(server: ServerThread) -> list[Any]:
    return [o for o in server.registry.objects() if o.interface == "DataChannel"]


# --- messages ------------------------------------------------------------------------


def test_send_text_arrives_unchanged(shim_page: Page) -> None:
    open_pair(shim_page)
    messages = ["hello", "héllo wörld ✓ 日本語 🎉", "", "x" * 5000, "\u0000nul"]
    received = run(
        shim_page,
        """async (messages) => {
          const { channel, remoteChannel } = window.pair;
          const arriving = receive(remoteChannel, messages.length);
          for (const message of messages) channel.send(message);
          return Promise.all((await arriving).map(describeMessage));
        }""",
        messages,
    )
    assert received == [{"kind": "string", "value": message} for message in messages]


def test_send_flows_in_both_directions(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          const atRemote = receive(remoteChannel, 2);
          const atLocal = receive(channel, 2);
          channel.send('from a');
          remoteChannel.send('from b');
          channel.send(new Uint8Array([1, 2, 3]));
          remoteChannel.send(new Uint8Array([4, 5, 6]).buffer);
          return {
            remote: await Promise.all((await atRemote).map(describeMessage)),
            local: await Promise.all((await atLocal).map(describeMessage)),
          };
        }"""
    )
    assert result == {
        "remote": [{"kind": "string", "value": "from a"}, {"kind": "ArrayBuffer", "bytes": [1, 2, 3]}],
        "local": [{"kind": "string", "value": "from b"}, {"kind": "ArrayBuffer", "bytes": [4, 5, 6]}],
    }


def test_send_arraybuffer_arrives_byte_exact(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          const every = new Uint8Array(256).map((_, i) => i);
          const buffers = [every.buffer, new ArrayBuffer(0), new Uint8Array([0, 255, 0]).buffer];
          const arriving = receive(remoteChannel, buffers.length);
          for (const buffer of buffers) channel.send(buffer);
          return {
            sent: await Promise.all(buffers.map(describeMessage)),
            received: await Promise.all((await arriving).map(describeMessage)),
          };
        }"""
    )
    assert result["received"] == result["sent"]
    assert result["received"][0]["bytes"] == list(range(256))


def test_send_typed_array_view_sends_only_the_viewed_bytes(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          const backing = new Uint8Array(64).map((_, i) => 100 + i).buffer;
          const views = [
            new Uint8Array(backing, 3, 5),
            new Uint16Array(backing, 2, 3),
            new DataView(backing, 7, 9),
            new Float64Array(backing, 8, 1),
            new Int8Array(backing, 60),
          ];
          const arriving = receive(remoteChannel, views.length);
          for (const view of views) channel.send(view);
          const received = await arriving;
          return {
            offsets: views.map((view) => view.byteOffset),
            expected: await Promise.all(views.map(bytesOf)),
            received: await Promise.all(received.map(describeMessage)),
          };
        }"""
    )
    assert all(offset > 0 for offset in result["offsets"])
    # The receiver gets ArrayBuffers holding exactly each view's window of the buffer.
    assert result["received"] == [
        {"kind": "ArrayBuffer", "bytes": expected} for expected in result["expected"]
    ]
    assert result["expected"][0] == [103, 104, 105, 106, 107]


def test_send_blob_arrives_byte_exact(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          const blobs = [
            new Blob(['blob ✓ ', new Uint8Array([0, 1, 254, 255])]),
            new Blob([]),
            new Blob([new Uint8Array(40000).map((_, i) => i * 7)]),
          ];
          const arriving = receive(remoteChannel, blobs.length);
          for (const blob of blobs) channel.send(blob);
          return {
            sent: await Promise.all(blobs.map(bytesOf)),
            received: await Promise.all((await arriving).map(describeMessage)),
          };
        }"""
    )
    assert result["received"] == [{"kind": "ArrayBuffer", "bytes": sent} for sent in result["sent"]]


def test_binaryType_defaults_to_arraybuffer(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          const arriving = receive(remoteChannel, 1);
          channel.send(new Uint8Array([9, 8, 7]));
          const [data] = await arriving;
          return { local: channel.binaryType, remote: remoteChannel.binaryType,
            received: await describeMessage(data) };
        }"""
    )
    assert result == {
        "local": "arraybuffer",
        "remote": "arraybuffer",
        "received": {"kind": "ArrayBuffer", "bytes": [9, 8, 7]},
    }


def test_binaryType_blob_delivers_blobs(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          remoteChannel.binaryType = 'blob';
          const asBlobs = receive(remoteChannel, 3);
          channel.send(new Uint8Array([1, 2, 3]));
          channel.send(new Blob(['abc']));
          channel.send('still text');
          const blobs = await asBlobs;
          remoteChannel.binaryType = 'arraybuffer';
          const asBuffer = receive(remoteChannel, 1);
          channel.send(new Uint8Array([4]));
          const [buffer] = await asBuffer;
          return {
            binaryType: remoteChannel.binaryType,
            blobs: await Promise.all(blobs.map(describeMessage)),
            afterSwitchBack: await describeMessage(buffer),
          };
        }"""
    )
    assert result == {
        "binaryType": "arraybuffer",
        "blobs": [
            {"kind": "Blob", "bytes": [1, 2, 3]},
            {"kind": "Blob", "bytes": list(b"abc")},
            {"kind": "string", "value": "still text"},
        ],
        "afterSwitchBack": {"kind": "ArrayBuffer", "bytes": [4]},
    }


def test_send_mixed_burst_arrives_in_send_order(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          const messages = [];
          for (let i = 0; i < 30; i++) {
            const kind = i % 3;
            if (kind === 0) messages.push(`text ${i}`);
            if (kind === 1) messages.push(new Uint8Array([i, i + 1, i + 2]).buffer);
            // Blobs are read asynchronously; a large one must still not be overtaken.
            if (kind === 2) messages.push(new Blob([new Uint8Array(i === 2 ? 60000 : 4).fill(i)]));
          }
          const arriving = receive(remoteChannel, messages.length);
          for (const message of messages) channel.send(message);
          const expected = await Promise.all(messages.map(async (message) =>
            typeof message === 'string' ? describeMessage(message) : { kind: 'ArrayBuffer', bytes: await bytesOf(message) }));
          return { expected, received: await Promise.all((await arriving).map(describeMessage)) };
        }"""
    )
    assert len(result["received"]) == 30
    assert result["received"] == result["expected"]


def test_send_one_mebibyte_in_chunks_arrives_intact(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          const CHUNK = 16 * 1024;
          const total = new Uint8Array(1024 * 1024);
          let state = 0x12345678;
          for (let i = 0; i < total.length; i++) {
            state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
            total[i] = state & 0xff;
          }
          const count = total.length / CHUNK;
          const arriving = receive(remoteChannel, count);
          for (let offset = 0; offset < total.length; offset += CHUNK) {
            channel.send(total.subarray(offset, offset + CHUNK));
          }
          const bufferedAfterSending = channel.bufferedAmount;
          const chunks = await arriving;
          const joined = new Uint8Array(total.length);
          let offset = 0;
          for (const chunk of chunks) {
            joined.set(new Uint8Array(chunk), offset);
            offset += chunk.byteLength;
          }
          return {
            bufferedAfterSending,
            chunkSizes: [...new Set(chunks.map((chunk) => chunk.byteLength))],
            receivedLength: offset,
            sentHash: await sha256(total),
            receivedHash: await sha256(joined),
          };
        }"""
    )
    assert result["bufferedAfterSending"] == 1024 * 1024
    assert result["chunkSizes"] == [16 * 1024]
    assert result["receivedLength"] == 1024 * 1024
    assert result["receivedHash"] == result["sentHash"]


# --- bufferedAmount --------------------------------------------------------------------


def test_send_raises_bufferedAmount_synchronously_then_drains_to_zero(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          const amounts = [channel.bufferedAmount];
          window.lowEvents = [];
          channel.onbufferedamountlow = () => window.lowEvents.push(channel.bufferedAmount);
          const arriving = receive(remoteChannel, 5);
          channel.send('héllo ✓');          // 10 bytes of UTF-8 in 7 characters
          amounts.push(channel.bufferedAmount);
          channel.send('');
          amounts.push(channel.bufferedAmount);
          channel.send(new ArrayBuffer(100));
          amounts.push(channel.bufferedAmount);
          channel.send(new Uint16Array(8));  // 16 bytes
          amounts.push(channel.bufferedAmount);
          channel.send(new Blob(['1234567']));
          amounts.push(channel.bufferedAmount);
          await arriving;
          return { amounts, threshold: channel.bufferedAmountLowThreshold };
        }"""
    )
    assert result == {"amounts": [0, 10, 10, 110, 126, 133], "threshold": 0}
    shim_page.wait_for_function("() => window.pair.channel.bufferedAmount === 0")
    # Dropping to the threshold (0) from above it fires bufferedamountlow, once.
    assert run(shim_page, "() => window.lowEvents") == [0]


def test_bufferedAmount_is_zero_when_the_far_channel_of_the_page_gets_the_message(shim_page: Page) -> None:
    """The association took a message before the far peer got it: in one page, the count
    down comes first (the server sends it lazily, but in its place: Session.send_event)."""
    open_pair(shim_page)
    amounts = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          const amounts = [];
          for (const message of ['hello', new Uint8Array(5), 'world']) {
            const arriving = receive(remoteChannel, 1);
            channel.send(message);
            await arriving;
            amounts.push(channel.bufferedAmount);
          }
          return amounts;
        }"""
    )
    assert amounts == [0, 0, 0]


def test_bufferedamountlow_fires_once_when_dropping_to_threshold(shim_page: Page) -> None:
    open_pair(shim_page)
    first = run(
        shim_page,
        """async () => {
          const { channel } = window.pair;
          channel.bufferedAmountLowThreshold = 100;
          window.lowEvents = [];
          channel.addEventListener('bufferedamountlow', (event) => {
            window.lowEvents.push({ type: event.type, amount: channel.bufferedAmount });
          });
          const fired = nextEvent(channel, 'bufferedamountlow');
          channel.send('a'.repeat(60));
          channel.send('b'.repeat(60));
          channel.send('c'.repeat(60));
          const buffered = channel.bufferedAmount;
          await fired;
          return { buffered, threshold: channel.bufferedAmountLowThreshold };
        }"""
    )
    assert first == {"buffered": 180, "threshold": 100}
    shim_page.wait_for_function("() => window.pair.channel.bufferedAmount === 0")
    events = run(shim_page, "() => window.lowEvents")
    # 180 -> 120 -> 60 crosses the threshold once; 60 -> 0 stays below it.
    assert len(events) == 1
    assert events[0]["type"] == "bufferedamountlow"
    assert events[0]["amount"] <= 100


def test_bufferedamountlow_fires_when_draining_to_zero_threshold(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { channel } = window.pair;
          const fired = nextEvent(channel, 'bufferedamountlow');
          channel.send(new Uint8Array(1000));
          const buffered = channel.bufferedAmount;
          const event = await fired;
          return { buffered, type: event.type, after: channel.bufferedAmount };
        }"""
    )
    assert result == {"buffered": 1000, "type": "bufferedamountlow", "after": 0}


# --- closing -------------------------------------------------------------------------


def test_close_runs_closing_handshake_on_both_sides(shim_page: Page, server: ServerThread) -> None:
    open_pair(shim_page)
    assert len(server_data_channels(server)) == 2
    result = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          const events = [];
          for (const [side, target] of [['local', channel], ['remote', remoteChannel]]) {
            for (const type of ['closing', 'close', 'error']) {
              target.addEventListener(type, () => events.push(`${side} ${type} ${target.readyState}`));
            }
          }
          const localClosed = nextEvent(channel, 'close');
          const remoteClosed = nextEvent(remoteChannel, 'close');
          channel.close();
          const stateAfterClose = channel.readyState;
          channel.close(); // a second close() changes nothing
          await Promise.all([localClosed, remoteClosed]);
          return {
            stateAfterClose, events,
            states: [channel.readyState, remoteChannel.readyState],
          };
        }"""
    )
    assert result["stateAfterClose"] == "closing"
    assert result["states"] == ["closed", "closed"]
    # The side that called close() fires no closing event; the other side does, first.
    local = [event for event in result["events"] if event.startswith("local")]
    remote = [event for event in result["events"] if event.startswith("remote")]
    assert local == ["local close closed"]
    assert remote == ["remote closing closing", "remote close closed"]
    assert server_data_channels(server) == []


def test_close_from_remote_side_closes_local_side(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          const events = [];
          channel.onclosing = () => events.push(`closing ${channel.readyState}`);
          channel.onclose = () => events.push(`close ${channel.readyState}`);
          const closed = nextEvent(channel, 'close');
          remoteChannel.close();
          await closed;
          return events;
        }"""
    )
    assert result == ["closing closing", "close closed"]


def test_close_after_send_delivers_pending_messages(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          const events = [];
          remoteChannel.onmessage = (event) => events.push(
            typeof event.data === 'string' ? event.data : `bytes ${event.data.byteLength}`);
          const closed = nextEvent(remoteChannel, 'close');
          channel.send('one');
          channel.send(new Uint8Array(20000));
          channel.send('three');
          channel.close();
          await closed;
          return events;
        }"""
    )
    # webrtc-pc closing procedure: finish sending all pending messages, then reset the stream.
    assert result == ["one", "bytes 20000", "three"]


def test_close_after_blob_send_delivers_the_blob(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { channel, remoteChannel } = window.pair;
          const events = [];
          const errors = [];
          channel.onerror = (event) => errors.push(event.error && event.error.message);
          remoteChannel.onmessage = (event) => events.push(
            typeof event.data === 'string' ? event.data : `bytes ${event.data.byteLength}`);
          const closed = nextEvent(remoteChannel, 'close');
          channel.send(new Blob([new Uint8Array(3000)]));
          channel.send('after blob');
          channel.close();
          await closed;
          return { events, errors };
        }"""
    )
    assert result == {"events": ["bytes 3000", "after blob"], "errors": []}


@pytest.mark.parametrize("state", ["connecting", "closing", "closed"])
def test_send_on_channel_not_open_throws_invalid_state(shim_page: Page, state: str) -> None:
    result = run(
        shim_page,
        """async (state) => {
          let channel;
          if (state === 'connecting') {
            channel = new RTCPeerConnection().createDataChannel('never connected');
          } else {
            const pair = await makePair();
            channel = pair.channel;
            const closed = nextEvent(channel, 'close');
            channel.close();
            if (state === 'closed') await closed;
          }
          const before = channel.bufferedAmount;
          return { readyState: channel.readyState, error: errorOf(() => channel.send('x')),
            bufferedAmountUnchanged: channel.bufferedAmount === before };
        }""",
        state,
    )
    assert result == {
        "readyState": state,
        "error": {"name": "InvalidStateError", "isDOMException": True, "isTypeError": False},
        "bufferedAmountUnchanged": True,
    }


def test_send_larger_than_max_message_size_throws_type_error(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { a, channel } = window.pair;
          const sdp = a.remoteDescription.sdp;
          const match = /^a=max-message-size:(\\d+)/m.exec(sdp);
          const limit = match ? Number(match[1]) : 65536;
          return { limit, error: errorOf(() => channel.send(new Uint8Array(limit + 1))),
            bufferedAmount: channel.bufferedAmount };
        }"""
    )
    assert result["limit"] > 0
    assert result["error"] == {"name": "TypeError", "isDOMException": False, "isTypeError": True}
    assert result["bufferedAmount"] == 0


# --- properties and options ----------------------------------------------------------

PROPERTY_CASES = [
    pytest.param({}, {"ordered": True, "maxPacketLifeTime": None, "maxRetransmits": None, "protocol": ""},
                 id="default"),
    pytest.param({"ordered": False, "maxRetransmits": 0, "protocol": "p"},
                 {"ordered": False, "maxPacketLifeTime": None, "maxRetransmits": 0, "protocol": "p"},
                 id="unordered-no-retransmits"),
    pytest.param({"maxPacketLifeTime": 500},
                 {"ordered": True, "maxPacketLifeTime": 500, "maxRetransmits": None, "protocol": ""},
                 id="max-packet-lifetime"),
    pytest.param({"reliable": False},
                 {"ordered": False, "maxPacketLifeTime": None, "maxRetransmits": 0, "protocol": ""},
                 id="legacy-unreliable"),
]


@pytest.mark.parametrize(("channel_init", "expected"), PROPERTY_CASES)
def test_createDataChannel_options_appear_on_both_ends(
    shim_page: Page, channel_init: dict[str, Any], expected: dict[str, Any]
) -> None:
    open_pair(shim_page, channel_init)
    result = run(
        shim_page,
        """() => {
          const names = ['label', 'ordered', 'maxPacketLifeTime', 'maxRetransmits', 'protocol',
            'negotiated', 'id', 'readyState'];
          const read = (channel) => Object.fromEntries(names.map((name) => [name, channel[name]]));
          return { local: read(window.pair.channel), remote: read(window.pair.remoteChannel) };
        }"""
    )
    local, remote = result["local"], result["remote"]
    assert isinstance(local["id"], int) and 0 <= local["id"] <= 65534
    assert remote["id"] == local["id"]
    for end in (local, remote):
        assert end == {**expected, "label": "test", "negotiated": False, "id": local["id"],
                       "readyState": "open"}


def test_createDataChannel_before_connection_has_null_id_and_connecting_state(shim_page: Page) -> None:
    result = run(
        shim_page,
        """() => {
          const channel = new RTCPeerConnection().createDataChannel('early', { protocol: 'chat' });
          return { id: channel.id, readyState: channel.readyState, label: channel.label,
            protocol: channel.protocol, bufferedAmount: channel.bufferedAmount,
            threshold: channel.bufferedAmountLowThreshold, binaryType: channel.binaryType };
        }"""
    )
    assert result == {"id": None, "readyState": "connecting", "label": "early", "protocol": "chat",
                      "bufferedAmount": 0, "threshold": 0, "binaryType": "arraybuffer"}


# --- negotiated channels ---------------------------------------------------------------


def test_createDataChannel_negotiated_after_connection_opens_on_both_sides(shim_page: Page) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { a, b } = window.pair;
          const announced = [];
          a.ondatachannel = (event) => announced.push(`a ${event.channel.label}`);
          b.ondatachannel = (event) => announced.push(`b ${event.channel.label}`);
          const left = a.createDataChannel('agreed', { negotiated: true, id: 5 });
          const right = b.createDataChannel('agreed', { negotiated: true, id: 5 });
          const opened = (channel) => channel.readyState === 'open' ? null : nextEvent(channel, 'open');
          await Promise.all([opened(left), opened(right)]);
          const atRight = receive(right, 1);
          const atLeft = receive(left, 1);
          left.send('left to right');
          right.send(new Uint8Array([5, 5]));
          const received = [await describeMessage((await atRight)[0]), await describeMessage((await atLeft)[0])];
          const read = (channel) => ({ id: channel.id, negotiated: channel.negotiated,
            label: channel.label, readyState: channel.readyState });
          return { left: read(left), right: read(right), received, announced };
        }"""
    )
    assert result["left"] == result["right"] == {"id": 5, "negotiated": True, "label": "agreed",
                                                 "readyState": "open"}
    assert result["received"] == [{"kind": "string", "value": "left to right"},
                                  {"kind": "ArrayBuffer", "bytes": [5, 5]}]
    assert result["announced"] == []


def test_createDataChannel_negotiated_before_offer_opens_on_both_sides(shim_page: Page) -> None:
    result = run(
        shim_page,
        """async () => {
          const a = new RTCPeerConnection();
          const b = new RTCPeerConnection();
          const announced = [];
          a.ondatachannel = b.ondatachannel = (event) => announced.push(event.channel.label);
          const left = a.createDataChannel('agreed', { negotiated: true, id: 5 });
          const right = b.createDataChannel('agreed', { negotiated: true, id: 5 });
          const opened = [nextEvent(left, 'open'), nextEvent(right, 'open')];
          const states = [left.readyState, right.readyState, left.id, right.id];
          await trickleNegotiate(a, b);
          await Promise.all(opened);
          const atLeft = receive(left, 1);
          right.send('right to left');
          return { states, received: (await atLeft)[0], announced,
            open: [left.readyState, right.readyState] };
        }"""
    )
    assert result == {
        "states": ["connecting", "connecting", 5, 5],
        "received": "right to left",
        "announced": [],
        "open": ["open", "open"],
    }


# --- createDataChannel errors -----------------------------------------------------------

CREATE_ERRORS = [
    pytest.param("pc.createDataChannel('x', { maxPacketLifeTime: 10, maxRetransmits: 1 })", "TypeError",
                 id="both-lifetime-and-retransmits"),
    pytest.param("pc.createDataChannel('x', { negotiated: true })", "TypeError", id="negotiated-without-id"),
    pytest.param("pc.createDataChannel('x', { negotiated: true, id: 65535 })", "TypeError", id="id-65535"),
    pytest.param("pc.createDataChannel('x', { maxRetransmits: 65536 })", "TypeError",
                 id="retransmits-out-of-range"),
    pytest.param("pc.createDataChannel()", "TypeError", id="no-arguments"),
    pytest.param("pc.createDataChannel('x'.repeat(65536))", "TypeError", id="label-too-long"),
    pytest.param("pc.createDataChannel('x', { negotiated: true, id: 7 }); "
                 "pc.createDataChannel('y', { negotiated: true, id: 7 })", "OperationError",
                 id="duplicate-negotiated-id"),
    pytest.param("pc.close(); pc.createDataChannel('x')", "InvalidStateError", id="closed-peer-connection"),
]


@pytest.mark.parametrize(("call", "error_name"), CREATE_ERRORS)
def test_createDataChannel_invalid_call_throws(
    shim_page: Page, server: ServerThread, call: str, error_name: str
) -> None:
    result = run(
        shim_page,
        f"""async () => {{
          const pc = new RTCPeerConnection();
          const error = errorOf(() => {{ {call}; }});
          // A round trip through the bridge, so the server has seen every call made so far.
          await rtcshim.session();
          if (pc.signalingState !== 'closed') await pc.createOffer();
          return error;
        }}"""
    )
    assert result == {
        "name": error_name,
        "isDOMException": error_name != "TypeError",
        "isTypeError": error_name == "TypeError",
    }
    # Only the duplicate case made one valid channel first; a closed pc keeps none.
    expected_channels = 1 if error_name == "OperationError" else 0
    assert len(server_data_channels(server)) == expected_channels


# --- datachannel event and renegotiation -------------------------------------------------


def test_ondatachannel_receives_rtc_data_channel_event_with_open_channel(shim_page: Page) -> None:
    result = run(
        shim_page,
        """async () => {
          const a = new RTCPeerConnection();
          const b = new RTCPeerConnection();
          const channel = a.createDataChannel('announced', { protocol: 'proto' });
          const localOpen = nextEvent(channel, 'open');
          const seen = new Promise((resolve) => {
            b.ondatachannel = (event) => {
              const remote = event.channel;
              const facts = {
                isDataChannelEvent: event instanceof RTCDataChannelEvent,
                isEvent: event instanceof Event,
                type: event.type,
                target: event.target === b,
                isDataChannel: remote instanceof RTCDataChannel,
                label: remote.label, protocol: remote.protocol,
                readyStateAtEvent: remote.readyState,
              };
              // webrtc-pc: the channel is already open; its open event follows the datachannel event.
              const opened = remote.readyState === 'open'
                ? nextEvent(remote, 'open').then(() => true) : Promise.resolve(false);
              resolve({ facts, opened, remote });
            };
          });
          await trickleNegotiate(a, b);
          const { facts, opened, remote } = await seen;
          facts.openEventAfter = await opened;
          await localOpen;
          const arriving = receive(remote, 1);
          channel.send('ping');
          facts.received = (await arriving)[0];
          return facts;
        }"""
    )
    assert result == {
        "isDataChannelEvent": True, "isEvent": True, "type": "datachannel", "target": True,
        "isDataChannel": True, "label": "announced", "protocol": "proto",
        "readyStateAtEvent": "open", "openEventAfter": True, "received": "ping",
    }


def test_createDataChannel_after_negotiation_opens_without_renegotiation(
    shim_page: Page, server: ServerThread
) -> None:
    open_pair(shim_page)
    result = run(
        shim_page,
        """async () => {
          const { a, b, events } = window.pair;
          const negotiationBefore = events.filter((event) => event === 'a negotiationneeded').length;
          const remote = new Promise((resolve) => { b.ondatachannel = (event) => resolve(event.channel); });
          const second = a.createDataChannel('second');
          await nextEvent(second, 'open');
          const remoteSecond = await remote;
          const atRemote = receive(remoteSecond, 1);
          const atLocal = receive(second, 1);
          second.send('on the second channel');
          remoteSecond.send('and back');
          return {
            negotiationBefore,
            negotiationAfter: events.filter((event) => event === 'a negotiationneeded').length,
            signalingState: a.signalingState,
            ids: [second.id, remoteSecond.id, window.pair.channel.id],
            label: remoteSecond.label,
            received: [(await atRemote)[0], (await atLocal)[0]],
          };
        }"""
    )
    # The first channel's negotiationneeded was taken by the offer made at once (the
    # chain was busy); SCTP is negotiated now, so later channels need no new offer/answer.
    assert result["negotiationBefore"] == 0
    assert result["negotiationAfter"] == 0
    assert result["signalingState"] == "stable"
    assert result["ids"][0] == result["ids"][1] != result["ids"][2]
    assert result["label"] == "second"
    assert result["received"] == ["on the second channel", "and back"]
    assert len(server_data_channels(server)) == 4


def test_label_and_protocol_are_usv_strings_as_in_native_chromium(shim_page: Page, native_page: Page) -> None:
    """WebIDL's USVString: a lone surrogate in the label or the protocol becomes U+FFFD."""
    script = """() => {
      const channel = new RTCPeerConnection().createDataChannel('a\\ud800', { protocol: '\\udc00b' });
      return [channel.label, channel.protocol];
    }"""
    assert shim_page.evaluate(script) == native_page.evaluate(script) == ["a\ufffd", "\ufffdb"]


# --- ids (webrtc-pc 6.2, RFC 8832) ---------------------------------------------------------


@pytest.mark.parametrize(("remote_setup", "parity"), [("active", 1), ("passive", 0)], ids=["dtls-server", "dtls-client"])
def test_in_band_ids_are_null_until_the_dtls_role_is_known_then_follow_it(
    shim_page: Page, remote_setup: str, parity: int
) -> None:
    """An answer that says `active` makes this side the DTLS server (odd ids), `passive`
    the client (even ids); the ids are there when setRemoteDescription resolves."""
    result = run(
        shim_page,
        """async (setup) => {
          const pc = new RTCPeerConnection();
          const first = pc.createDataChannel('first', { id: 42 });
          const before = first.id;
          await pc.setLocalDescription(await pc.createOffer());
          await pc.setRemoteDescription({ type: 'answer', sdp: pc.localDescription.sdp.replace('actpass', setup) });
          const second = pc.createDataChannel('second');
          const third = pc.createDataChannel('third', { negotiated: true, id: 8 });
          const fourth = pc.createDataChannel('fourth');
          const ids = [first.id, second.id, third.id, fourth.id];
          pc.close();
          return { before, ids };
        }""",
        remote_setup,
    )
    assert result["before"] is None
    in_band = [result["ids"][0], result["ids"][1], result["ids"][3]]
    assert all(isinstance(stream_id, int) and stream_id % 2 == parity for stream_id in in_band), result
    assert len(set(result["ids"])) == 4 and result["ids"][2] == 8


def test_in_band_channel_has_its_id_on_both_ends_at_the_datachannel_event(shim_page: Page) -> None:
    result = run(
        shim_page,
        """async () => {
          const a = new RTCPeerConnection();
          const b = new RTCPeerConnection();
          const channel = a.createDataChannel('announced');
          const announced = nextEvent(b, 'datachannel').then(({ channel: remote }) => remote.id);
          await trickleNegotiate(a, b);
          const ids = { local: channel.id, remoteAtEvent: await announced };
          a.close();
          b.close();
          return ids;
        }"""
    )
    # The answerer (b) takes the DTLS client role (even ids), as Chromium's answers do: a is the server.
    assert result["local"] is not None and result["local"] % 2 == 1
    assert result["remoteAtEvent"] == result["local"]


def test_createDataChannel_in_band_ignores_the_pages_id(shim_page: Page) -> None:
    """Even 65535, which a negotiated channel may not take (TypeError)."""
    result = run(
        shim_page,
        """() => {
          const pc = new RTCPeerConnection();
          const ids = [0, 65534, 65535].map((id) => pc.createDataChannel('x', { id }).id);
          pc.close();
          return ids;
        }"""
    )
    assert result == [None, None, None]


def test_closing_a_channel_in_the_datachannel_event_fires_no_open(shim_page: Page) -> None:
    result = run(
        shim_page,
        """async () => {
          const a = new RTCPeerConnection();
          const b = new RTCPeerConnection();
          const channel = a.createDataChannel('closed at once');
          const events = [];
          const received = nextEvent(channel, 'message').then((event) => event.data);
          b.ondatachannel = ({ channel: remote }) => {
            remote.onopen = () => events.push('open');
            remote.onclose = () => events.push('close');
            remote.send('sent before close');
            remote.close();
            events.push(remote.readyState);
          };
          await trickleNegotiate(a, b);
          const message = await received;
          await nextEvent(channel, 'close');
          await until(() => events.includes('close'), 'the closed channel closes');
          a.close();
          b.close();
          return { message, events };
        }"""
    )
    assert result == {"message": "sent before close", "events": ["closing", "close"]}


@pytest.mark.parametrize("negotiated", [False, True], ids=["in-band", "negotiated"])
def test_far_peer_close_fires_error_then_close_on_each_channel(shim_page: Page, negotiated: bool) -> None:
    """webrtc-pc: the SCTP association ending closes each channel with an RTCError
    (sctp-failure), then `close`, and no `closing`."""
    result = run(
        shim_page,
        """async (negotiated) => {
          const a = new RTCPeerConnection();
          const b = new RTCPeerConnection();
          const remotes = [];
          if (negotiated) {
            for (const id of [1, 2]) {
              a.createDataChannel('n', { negotiated: true, id });
              remotes.push(b.createDataChannel('n', { negotiated: true, id }));
            }
          } else {
            a.createDataChannel('one');
            a.createDataChannel('two');
            b.ondatachannel = ({ channel }) => remotes.push(channel);
          }
          await trickleNegotiate(a, b);
          await until(() => remotes.length === 2 && remotes.every((channel) => channel.readyState === 'open'),
            'both channels open on b');
          const seen = remotes.map((channel) => {
            const events = [];
            channel.onclosing = () => events.push('closing');
            channel.onerror = ({ error }) => events.push(
              `error ${error instanceof RTCError} ${error.name} ${error.errorDetail} ${error.sctpCauseCode}`);
            return new Promise((resolve) => { channel.onclose = () => resolve([...events, 'close']); });
          });
          a.close();
          const events = await Promise.all(seen);
          b.close();
          return events;
        }""",
        negotiated,
    )
    assert result == [["error true OperationError sctp-failure null", "close"]] * 2
