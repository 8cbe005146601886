"""When does native Chromium say its far peer is gone? The timings the shim copies.

Two native Chromium browsers (each its own process tree) connect a data channel, offer
and answer passed between them by this script. Then the far browser vanishes:

- **freeze**: every process of the far browser is stopped (SIGSTOP), so its UDP socket
  stays open but nothing answers; it is resumed (SIGCONT) once the near page reported
  `disconnected` plus `--resume-after` seconds, to see whether the near page recovers;
- **freeze until failed**: stopped again, and kept stopped until the near page reports
  `failed` (or `--give-up` seconds);
- **clean close**: a fresh pair, and the far page calls `pc.close()` (Chromium sends an
  SCTP ABORT and a DTLS close_notify).

It prints, for each, the near page's iceConnectionState and connectionState changes with
the seconds since the far peer vanished, and the send-buffer limit: how many bytes
`bufferedAmount` reaches before `send()` throws, and what it throws. Runs in the private
network namespace (scripts/in-netns), as the browser tests do; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import check_network_namespace, load_playwright_config
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser.frozen_browser import FrozenBrowser  # the tests' helper

CONNECT = """async () => {
  window.changes = [];
  window.vanishedAt = null;
  const pc = window.pc = new RTCPeerConnection();
  const note = (kind) => () => window.changes.push(
    [kind, kind === 'ice' ? pc.iceConnectionState : pc.connectionState, performance.now()]);
  pc.oniceconnectionstatechange = note('ice');
  pc.onconnectionstatechange = note('connection');
  pc.ondatachannel = (event) => { window.channel = event.channel; };
}"""

# The transports' own states too: Chromium's iceConnectionState is not its RTCIceTransport's.
WATCH_TRANSPORTS = """() => {
  const dtls = pc.sctp.transport;
  const note = (kind, transport) => () => window.changes.push([kind, transport.state, performance.now()]);
  dtls.iceTransport.onstatechange = note('iceTransport', dtls.iceTransport);
  dtls.onstatechange = note('dtlsTransport', dtls);
  window.channel.onclose = () => window.changes.push(['channel', 'closed', performance.now()]);
}"""

GATHERED = """async () => {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise((done) => pc.addEventListener('icegatheringstatechange',
      () => pc.iceGatheringState === 'complete' && done()));
  }
  return pc.localDescription.sdp;
}"""

SEND_UNTIL_FULL = """() => {
  const chunk = new Uint8Array(64 * 1024);
  let sent = 0;
  try {
    for (;;) { channel.send(chunk); sent += chunk.byteLength; }
  } catch (error) {
    return { sent, bufferedAmount: channel.bufferedAmount, name: error.name, message: error.message,
             readyState: channel.readyState };
  }
}"""


def connect(near: Page, far: Page) -> None:
    for page in (near, far):
        page.evaluate(CONNECT)
    near.evaluate("() => { window.channel = pc.createDataChannel('vanish'); }")
    near.evaluate("async () => pc.setLocalDescription()")
    offer = near.evaluate(GATHERED)
    far.evaluate("async (sdp) => { await pc.setRemoteDescription({type: 'offer', sdp});"
                 " await pc.setLocalDescription(); }", offer)
    answer = far.evaluate(GATHERED)
    near.evaluate("async (sdp) => pc.setRemoteDescription({type: 'answer', sdp})", answer)
    near.wait_for_function("window.channel.readyState === 'open' && pc.connectionState === 'connected'")
    far.wait_for_function("window.channel && window.channel.readyState === 'open'")
    near.evaluate(WATCH_TRANSPORTS)


def mark_vanished(near: Page) -> None:
    near.evaluate("() => { window.vanishedAt = performance.now(); }")


SNAPSHOT = """() => ({ iceConnectionState: pc.iceConnectionState, connectionState: pc.connectionState,
  iceTransport: pc.sctp.transport.iceTransport.state, dtlsTransport: pc.sctp.transport.state,
  channel: window.channel.readyState })"""


def changes_since_vanished(near: Page) -> list[tuple[str, str, float]]:
    changes: list[Any] = near.evaluate(
        "() => window.changes.filter(([, , at]) => at >= window.vanishedAt)"
        ".map(([kind, state, at]) => [kind, state, (at - window.vanishedAt) / 1000])")
    return [(kind, state, round(seconds, 2)) for kind, state, seconds in changes]


def wait_for_state(near: Page, state: str, give_up: float, attribute: str = "iceConnectionState") -> bool:
    try:
        near.wait_for_function(f"pc.{attribute} === '{state}'", timeout=give_up * 1000)
    except Exception:
        return False
    return True


def launch(playwright: Playwright, user_data_dir: str | None = None) -> Any:
    settings = load_playwright_config().launch_args()
    if user_data_dir is None:
        return playwright.chromium.launch(**settings)
    return playwright.chromium.launch_persistent_context(user_data_dir, **settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resume-after", type=float, default=2.0)
    parser.add_argument("--give-up", type=float, default=90.0)
    parser.add_argument("--linger", type=float, default=20.0, help="seconds watched after `failed`")
    parser.add_argument("--output", default="bench/far_peer_vanish.json")
    options = parser.parse_args()
    check_network_namespace(__file__)
    results: dict[str, Any] = {}
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as far_dir:
        near_browser: Browser = launch(playwright)
        far_context = launch(playwright, far_dir)
        far_browser = FrozenBrowser(far_dir)
        near, far = near_browser.new_page(), far_context.new_page()
        connect(near, far)
        results["send_buffer_limit"] = near.evaluate(SEND_UNTIL_FULL)
        near.wait_for_function("channel.bufferedAmount === 0", timeout=120_000)

        mark_vanished(near)
        far_browser.freeze()
        wait_for_state(near, "disconnected", options.give_up)
        time.sleep(options.resume_after)
        resumed_at = near.evaluate("() => (performance.now() - window.vanishedAt) / 1000")
        far_browser.resume()
        wait_for_state(near, "connected", 30)
        time.sleep(2)
        results["freeze_then_resume"] = {"resumed_at": round(resumed_at, 2),
                                         "changes": changes_since_vanished(near)}

        mark_vanished(near)
        far_browser.freeze()
        wait_for_state(near, "failed", options.give_up, "connectionState")
        time.sleep(options.linger)
        results["freeze_until_failed"] = {"changes": changes_since_vanished(near), "at_end": near.evaluate(SNAPSHOT)}
        far_browser.resume()

        near2, far2 = near_browser.new_page(), far_context.new_page()
        connect(near2, far2)
        mark_vanished(near2)
        far2.evaluate("() => pc.close()")
        near2.wait_for_function("window.channel.readyState === 'closed'", timeout=10_000)
        closed_at = near2.evaluate("() => (performance.now() - window.vanishedAt) / 1000")
        wait_for_state(near2, "failed", options.give_up, "connectionState")
        time.sleep(options.linger)
        results["clean_close"] = {"channel_closed_at": round(closed_at, 2),
                                  "changes": changes_since_vanished(near2),
                                  "at_end": near2.evaluate(SNAPSHOT)}
        far_context.close()
        near_browser.close()
    print(json.dumps(results, indent=1))
    Path(options.output).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
