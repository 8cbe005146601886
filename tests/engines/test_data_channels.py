"""Data channels in every engine: two peers in one page, and a page with an aiortc peer
in the test process (tests/browser/aiortc_peers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rtcshim.serving import ServerThread

from ..browser.aiortc_peers import (
    AiortcPeer,
    answer,
    close_aiortc,
    create_aiortc_peer,
    receive_in_aiortc,
    send_from_aiortc,
    wait_channel_open,
)
from .engine_page import EnginePage, every_engine

# Strings and bytes both ways over a pair made in the page, then the channel closes: both
# ends see their close event.
TWO_PEERS = """async () => {
  const pair = await makePair();
  const { channel, remoteChannel } = pair;
  // A USVString: the lone surrogate becomes U+FFFD, the pair stays (engines without
  // String.prototype.toWellFormed take the shim's own path).
  const usvLabel = pair.a.createDataChannel('a\\uD800b\\uD83D\\uDE00').label;
  channel.binaryType = remoteChannel.binaryType = 'arraybuffer';
  const remoteOpen = remoteChannel.readyState === 'open' || await nextEvent(remoteChannel, 'open').then(() => true);
  const atB = receive(remoteChannel, 2);
  channel.send('from a');
  channel.send(new Uint8Array([0, 1, 254, 255]));
  const atA = receive(channel, 2);
  remoteChannel.send('from b');
  remoteChannel.send(new Uint8Array([7, 8, 9]).buffer);
  const received = { b: await Promise.all((await atB).map(describeMessage)),
                     a: await Promise.all((await atA).map(describeMessage)) };
  const closes = [nextEvent(channel, 'close'), nextEvent(remoteChannel, 'close')];
  channel.close();
  await Promise.all(closes);
  const states = [channel.readyState, remoteChannel.readyState];
  pair.a.close();
  pair.b.close();
  return { label: remoteChannel.label, usvLabel, remoteOpen, received, states };
}"""

# The page offers a channel to the aiortc peer, its candidates trickled.
PAGE_OFFERS = """async () => {
  openPagePeer();
  window.peer.adopt(window.peer.pc.createDataChannel('to-aiortc'));
  const offer = await window.peer.pc.createOffer();
  await window.peer.pc.setLocalDescription(offer);
  return { sdp: offer.sdp, candidates: await window.peer.gathered() };
}"""

PAGE_CHANNEL_OPEN = """async (sdp) => {
  await window.peer.pc.setRemoteDescription({ type: 'answer', sdp });
  await until(() => window.peer.channel.readyState === 'open', 'the channel opens');
  await window.peer.connected();
  window.peer.channel.send('hello from the page');
  window.peer.channel.send(new Uint8Array([0, 1, 2, 254, 255]));
  return window.peer.channel.label;
}"""


@every_engine
def test_data_channel_between_two_peers_in_the_page(engine_page: EnginePage) -> None:
    assert engine_page.evaluate(TWO_PEERS) == {
        "label": "test",
        "usvLabel": "a\ufffdb\U0001f600",
        "remoteOpen": True,
        "received": {
            "b": [{"kind": "string", "value": "from a"}, {"kind": "ArrayBuffer", "bytes": [0, 1, 254, 255]}],
            "a": [{"kind": "string", "value": "from b"}, {"kind": "ArrayBuffer", "bytes": [7, 8, 9]}],
        },
        "states": ["closed", "closed"],
    }


@pytest.fixture
def aiortc_peer(server: ServerThread) -> Iterator[AiortcPeer]:
    peer = server.run(create_aiortc_peer())
    yield peer
    server.run(close_aiortc(peer))


@every_engine
def test_data_channel_with_an_aiortc_peer(engine_page: EnginePage, server: ServerThread,
                                          aiortc_peer: AiortcPeer) -> None:
    offer = engine_page.evaluate(PAGE_OFFERS)
    assert offer["candidates"], "the page gathered no candidate"
    answer_sdp = server.run(answer(aiortc_peer.pc, offer["sdp"], offer["candidates"]))
    assert engine_page.evaluate(PAGE_CHANNEL_OPEN, answer_sdp) == "to-aiortc"
    assert server.run(wait_channel_open(aiortc_peer))["connectionState"] == "connected"
    assert server.run(receive_in_aiortc(aiortc_peer, 2)) == ["hello from the page", b"\x00\x01\x02\xfe\xff"]

    server.run(send_from_aiortc(aiortc_peer, ["hello from aiortc", b"\xff\x00\x7f"]))
    assert engine_page.evaluate(
        "() => until(() => window.peer.received.length >= 2 && window.peer.received, 'two messages')"
    ) == ["hello from aiortc", "bytes:255,0,127"]
    engine_page.evaluate("() => window.peer.close()")
