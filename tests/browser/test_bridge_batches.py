"""The shim reads batch frames (protocol.toml, "Framing") one message a task, as if each had
come in a frame of its own."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import BrowserContext

from .conftest import SHIM_INSTALLED

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
