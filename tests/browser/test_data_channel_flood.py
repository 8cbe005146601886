"""A shimmed page floods a reliable data channel to an aiortc peer faster than SCTP drains.

The page sends 64 MiB in 64 KiB messages as fast as send() allows: until it throws
OperationError (the channel's 16 MiB are in flight), then waits for bufferedamountlow.
The aiortc peer checks every message's index and content as it arrives (nothing is kept);
the server's channel never holds more than its bound. The numbers (throughput, the most
the server held, RSS) are printed for docs/security/vanish-and-backpressure.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCDataChannel
from playwright.sync_api import Page

from rtcshim.dispatchers.data_channel import MAX_BUFFERED_AMOUNT, DataChannelDispatcher
from rtcshim.serving import ServerThread

from ..process_resources import resident_memory_kib
from .aiortc_peers import AiortcPeer, answer, close_aiortc, create_aiortc_peer

MESSAGE_SIZE = 64 << 10
MESSAGES = 1024  # 64 MiB

FLOOD = """async ([count, size]) => {
  const channel = window.peer.channel;
  channel.bufferedAmountLowThreshold = 1 << 20;
  const message = new Uint8Array(size);
  for (let i = 4; i < size; i++) message[i] = i & 255;
  const seen = { throws: 0, errors: [], lowest: 0, highest: 0 };
  const note = () => {
    seen.lowest = Math.min(seen.lowest, channel.bufferedAmount);
    seen.highest = Math.max(seen.highest, channel.bufferedAmount);
  };
  channel.addEventListener('bufferedamountlow', note);
  const started = performance.now();
  for (let index = 0; index < count;) {
    new DataView(message.buffer).setUint32(0, index);
    try {
      channel.send(message);
      index++;
      note();
    } catch (error) {
      seen.throws++;
      if (seen.errors.length < 1) seen.errors.push([error.name, channel.bufferedAmount]);
      await new Promise((resolve) => channel.addEventListener('bufferedamountlow', resolve, { once: true }));
    }
  }
  await until(() => channel.bufferedAmount === 0, 'bufferedAmount back to 0');
  seen.seconds = (performance.now() - started) / 1000;
  seen.end = channel.bufferedAmount;
  return seen;
}"""


class Checker:
    """Checks each message the aiortc peer receives, in place: index in order, content."""

    def __init__(self, size: int) -> None:
        self.body = bytes(i & 255 for i in range(4, size))
        self.count = 0
        self.wrong: list[int] = []
        self.digest = hashlib.sha256()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def receive(self, message: str | bytes) -> None:
        assert isinstance(message, bytes)
        index = int.from_bytes(message[:4], "big")
        if index != self.count or message[4:] != self.body:
            self.wrong.append(index)
        self.digest.update(message)
        self.count += 1
        if self.count == MESSAGES and not self.done.done():
            self.done.set_result(None)


@pytest.fixture
def aiortc_peer(server: ServerThread) -> Iterator[AiortcPeer]:
    peer = server.run(create_aiortc_peer())
    yield peer
    server.run(close_aiortc(peer))


async def check_messages(peer: AiortcPeer) -> Checker:
    checker = Checker(MESSAGE_SIZE)

    def adopt(channel: RTCDataChannel) -> None:
        channel.on("message", checker.receive)

    peer.pc.on("datachannel", adopt)
    return checker


async def wait_all(checker: Checker) -> None:
    await asyncio.wait_for(checker.done, 120)


def test_flood_loses_nothing_and_stays_bounded(shim_page: Page, server: ServerThread, aiortc_peer: AiortcPeer) -> None:
    checker = server.run(check_messages(aiortc_peer))
    shim_page.evaluate("openPagePeer()")
    offer = shim_page.evaluate(
        """async () => {
          const pc = window.peer.pc;
          window.peer.adopt(pc.createDataChannel('flood'));
          await pc.setLocalDescription(await pc.createOffer());
          return pc.localDescription.sdp;
        }""")
    shim_page.wait_for_function("window.peer.candidatesEnded")
    answer_sdp = server.run(answer(aiortc_peer.pc, offer, shim_page.evaluate("window.peer.candidates")))
    shim_page.evaluate("(sdp) => window.peer.pc.setRemoteDescription({ type: 'answer', sdp })", answer_sdp)
    shim_page.wait_for_function("window.peer.channel.readyState === 'open'")
    dispatcher = next(o for o in server.registry.objects() if isinstance(o, DataChannelDispatcher))

    Path("/proc/self/clear_refs").write_text("5")  # VmHWM from here
    rss_before = resident_memory_kib()
    started = time.monotonic()
    seen: dict[str, Any] = shim_page.evaluate(FLOOD, [MESSAGES, MESSAGE_SIZE])
    server.run(wait_all(checker))
    seconds = time.monotonic() - started

    assert checker.count == MESSAGES
    assert checker.wrong == []
    assert seen["throws"] > 0, seen
    assert seen["errors"][0][0] == "OperationError", seen
    assert seen["lowest"] >= 0 and seen["end"] == 0, seen
    assert seen["highest"] <= MAX_BUFFERED_AMOUNT, seen
    assert dispatcher.peak_buffered_amount <= MAX_BUFFERED_AMOUNT
    print(f"\nflood: {MESSAGES * MESSAGE_SIZE / seconds / 1e6:.1f} MB/s; send threw {seen['throws']} times "
          f"(first at bufferedAmount {seen['errors'][0][1]}); server channel held at most "
          f"{dispatcher.peak_buffered_amount} bytes; RSS peak +{(resident_memory_kib('VmHWM') - rss_before) / 1024:.1f} MiB "
          f"(test process = server + aiortc peer); sha256 {checker.digest.hexdigest()[:16]}")
