"""Batch frames (protocol.toml, "Framing"): the shim reads them one message a task, as if
each had come in a frame of its own, and sends a burst of data-channel sends in them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from playwright.sync_api import BrowserContext, Page

from .conftest import SHIM_INSTALLED
from .page_helpers import run
from .test_data_channel import open_pair

# Before the shim: every text frame the page's WebSockets receive, as they arrive.
RECORD_FRAMES = """(() => {
  const Native = window.WebSocket;
  window.framesReceived = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        if (typeof event.data === 'string') window.framesReceived.push(event.data);
      });
    }
  };
})();"""


def test_a_reply_settles_before_the_events_batched_behind_it(shim_context: BrowserContext) -> None:
    """setLocalDescription's candidates follow its reply in one frame; the page's `await`
    resumes before the first icecandidate fires, as with a frame each (and in Chromium)."""
    shim_context.add_init_script(RECORD_FRAMES)
    page = shim_context.new_page()
    page.goto("/static/blank.html")
    page.wait_for_function(SHIM_INSTALLED)
    seen = page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      pc.createDataChannel('batched');
      const order = [];
      const ended = new Promise((resolve) => {
        pc.onicecandidate = (event) => {
          order.push(event.candidate ? 'icecandidate' : 'end of candidates');
          if (!event.candidate) resolve();
        };
      });
      const offer = await pc.createOffer();
      framesReceived.length = 0;
      await pc.setLocalDescription(offer);
      order.push('setLocalDescription resolved');
      await ended;
      pc.close();
      return { order, frames: framesReceived };
    }""")
    assert seen["order"][0] == "setLocalDescription resolved"
    assert "icecandidate" in seen["order"]
    batches = [json.loads(frame) for frame in seen["frames"] if frame.startswith("[")]
    assert any(reply_then_candidate(batch) for batch in batches), seen["frames"]


def reply_then_candidate(batch: list[dict[str, Any]]) -> bool:
    kinds = ["reply" if "result" in message else message.get("event") for message in batch]
    return "reply" in kinds and "iceCandidate" in kinds[kinds.index("reply"):]


# Before the shim: every frame the page's WebSockets send, text as it is, binary as null.
RECORD_SENT_FRAMES = """(() => {
  const nativeSend = window.WebSocket.prototype.send;
  window.framesSent = [];
  window.WebSocket.prototype.send = function (frame) {
    window.framesSent.push(typeof frame === 'string' ? frame : null);
    return nativeSend.call(this, frame);
  };
})();"""


def test_a_burst_of_sends_goes_in_batch_frames_in_order(
    shim_context: BrowserContext, open_shim_page: Callable[[], Page]
) -> None:
    """600 text sends and a binary one among them, in one task: batches of at most 256
    around the binary frame, and the far channel gets every message in order."""
    shim_context.add_init_script(RECORD_SENT_FRAMES)
    page = open_shim_page()
    open_pair(page)
    seen = run(page, """async () => {
      const { channel, remoteChannel } = window.pair;
      const arriving = receive(remoteChannel, 601);
      framesSent.length = 0;
      for (let index = 0; index < 600; index++) {
        channel.send(String(index));
        if (index === 299) channel.send(new Uint8Array([1, 2, 3]));
      }
      const received = await arriving;
      return { frames: framesSent, received: received.map((data) => (typeof data === 'string' ? data : 'binary')) };
    }""")
    expected = [str(index) for index in range(300)] + ["binary"] + [str(index) for index in range(300, 600)]
    assert seen["received"] == expected
    shapes = [len(json.loads(frame)) if frame is not None else "binary" for frame in seen["frames"]]
    assert shapes == [256, 44, "binary", 256, 44]
