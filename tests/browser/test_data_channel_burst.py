"""A shimmed page bursts many messages on a data channel, in one task, without waiting.

Native Chromium takes every send while its buffer holds under 16 MiB, however many
messages that is; so must the shim. Two shimmed peer connections in one page: the page
sends 20,000 messages in one loop, the far channel checks each one's index and size as it
arrives, and neither channel may fire `error`. bufferedAmount holds the whole burst right
after the loop and drains to 0, firing bufferedamountlow once as it crosses the threshold.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from .page_helpers import run
from .test_data_channel import open_pair

MESSAGES = 20_000
# A burst this long takes a while through two bridges on a loaded machine: a hang guard only.
DRAINED_TIMEOUT_MS = 180_000

# Message `index` of a burst: text or binary, carrying its index first. `large` holds the
# indexes of 64 KiB binary messages; the others are 50 bytes, every third one binary.
BURST = """([count, large, threshold]) => {
  const { channel, remoteChannel } = window.pair;
  const largeIndexes = new Set(large);
  const sizeOf = (index) => (largeIndexes.has(index) ? 65536 : 50);
  const messageOf = (index) => {
    if (!largeIndexes.has(index) && index % 3) return String(index).padEnd(50, '.');
    const bytes = new Uint8Array(sizeOf(index));
    new DataView(bytes.buffer).setUint32(0, index);
    return bytes;
  };
  const burst = window.burst = { received: 0, wrong: [], errors: [], lows: [], thrown: null };
  remoteChannel.binaryType = 'arraybuffer';
  remoteChannel.onmessage = ({ data }) => {
    const index = typeof data === 'string' ? Number(data.split('.')[0]) : new DataView(data).getUint32(0);
    const size = typeof data === 'string' ? data.length : data.byteLength;
    if ((index !== burst.received || size !== sizeOf(index)) && burst.wrong.length < 10) {
      burst.wrong.push({ expected: burst.received, index, size });
    }
    burst.received++;
  };
  for (const each of [channel, remoteChannel]) {
    each.onerror = (event) => burst.errors.push(`${each.label}: ${event.error.message}`);
  }
  channel.bufferedAmountLowThreshold = threshold;
  channel.onbufferedamountlow = () => burst.lows.push(channel.bufferedAmount);
  let expected = 0;
  try {
    for (let index = 0; index < count; index++) {
      channel.send(messageOf(index));
      expected += sizeOf(index);
    }
  } catch (error) {
    burst.thrown = `${error.name}: ${error.message}`;
  }
  return { bufferedAfterBurst: channel.bufferedAmount, expected };
}"""


def burst(page: Page, large: list[int], threshold: int) -> dict[str, Any]:
    """Sends the burst, waits until it arrived and bufferedAmount is 0; what the page saw."""
    open_pair(page)
    sent: dict[str, Any] = run(page, BURST, [MESSAGES, large, threshold])
    page.wait_for_function(
        "(count) => (window.burst.received === count && window.pair.channel.bufferedAmount === 0)"
        " || window.burst.errors.length > 0",
        arg=MESSAGES, timeout=DRAINED_TIMEOUT_MS)
    # Errors or messages that came late would show here: one more round trip first.
    run(page, "() => settled()")
    seen: dict[str, Any] = run(page, "() => window.burst")
    assert sent["bufferedAfterBurst"] == sent["expected"]
    return seen


def test_burst_of_small_messages_arrives_whole_and_in_order(shim_page: Page) -> None:
    seen = burst(shim_page, large=[], threshold=0)
    assert seen == {"received": MESSAGES, "wrong": [], "errors": [], "lows": [0], "thrown": None}


def test_burst_mixing_large_and_small_messages_arrives_whole_and_in_order(shim_page: Page) -> None:
    # 100 messages of 64 KiB among 19,900 small ones: 7.5 MB, under the 16 MiB bound.
    threshold = 1 << 20
    seen = burst(shim_page, large=list(range(0, MESSAGES, MESSAGES // 100)), threshold=threshold)
    lows = seen.pop("lows")
    assert seen == {"received": MESSAGES, "wrong": [], "errors": [], "thrown": None}
    # bufferedAmount only falls once the burst is sent: it crosses the threshold once.
    assert len(lows) == 1 and lows[0] <= threshold, lows
