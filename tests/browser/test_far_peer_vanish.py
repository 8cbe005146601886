"""The far peer vanishes: the shimmed page's states go as Chromium's do.

Silently: the far peer is a native Chromium page in a browser of its own, whose processes
are stopped (SIGSTOP): its socket stays open and nothing answers, as with a peer whose
network went away. Resumed (SIGCONT) before the failure time, the call recovers. Cleanly:
an aiortc peer closes (DTLS close_notify). Only the order of the states is asserted; the
timings are in docs/security/vanish-and-backpressure.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, BrowserType, Page

from rtcshim.serving import ServerThread

from ..conftest import PLAYWRIGHT_CONFIG
from .aiortc_peers import AiortcPeer, answer, close_aiortc, create_aiortc_peer
from .conftest import with_native_webrtc
from .frozen_browser import FrozenBrowser
from .page_helpers import load_page_helpers
from .relay_calls import join_call, new_room

# Past Chromium's failure time (15 s) with room for a loaded machine; a bound, not a measure.
FAILED_WITHIN_MS = 60_000


class FarBrowser(FrozenBrowser):
    """A native Chromium of its own (pages keep Chromium's WebRTC)."""

    def __init__(self, context: BrowserContext, user_data_dir: Path) -> None:
        super().__init__(user_data_dir)
        self.context = with_native_webrtc(context)


@pytest.fixture
def far_browser(browser_type: BrowserType, tmp_path: Path) -> Iterator[FarBrowser]:
    context = browser_type.launch_persistent_context(tmp_path, **PLAYWRIGHT_CONFIG.launch_args())
    far = FarBrowser(context, tmp_path)
    yield far
    far.resume()
    context.close()


def states(page: Page) -> dict[str, list[str]]:
    history: dict[str, list[str]] = page.evaluate(
        "({ ice: window.call.iceConnectionStates, connection: window.call.connectionStates })")
    return history


def after_first_connected(history: list[str]) -> list[str]:
    return history[history.index("connected"):]


def test_far_peer_silent_disconnects_recovers_then_fails(
    shim_page: Page, far_browser: FarBrowser, server: ServerThread,
) -> None:
    far_page = far_browser.context.pages[0]
    far_page.goto(f"{server.url}/static/blank.html")
    load_page_helpers(far_page)
    room = new_room("vanish")
    join_call(shim_page, room, offerer=True, media=None, channel="vanish")
    join_call(far_page, room, offerer=False, media=None)
    for page in (shim_page, far_page):
        page.wait_for_function("window.call.ready || window.call.error !== null")

    far_browser.freeze()
    shim_page.wait_for_function("window.call.pc.iceConnectionState === 'disconnected'", timeout=FAILED_WITHIN_MS)
    assert shim_page.evaluate("window.call.pc.connectionState") == "disconnected"
    far_browser.resume()
    shim_page.wait_for_function("window.call.pc.connectionState === 'connected'", timeout=FAILED_WITHIN_MS)
    # The call works again.
    shim_page.evaluate("window.call.channel.send('back')")
    far_page.wait_for_function("window.call.received.includes('back')")

    far_browser.freeze()
    shim_page.wait_for_function("window.call.pc.connectionState === 'failed'", timeout=FAILED_WITHIN_MS)
    history = states(shim_page)
    expected = ["connected", "disconnected", "connected", "disconnected", "failed"]
    assert after_first_connected(history["ice"]) == expected, history
    assert after_first_connected(history["connection"]) == expected, history
    assert shim_page.evaluate("window.call.pc.sctp.transport.iceTransport.state") == "failed"


@pytest.fixture
def aiortc_peer(server: ServerThread) -> Iterator[AiortcPeer]:
    peer = server.run(create_aiortc_peer())
    yield peer
    server.run(close_aiortc(peer))


def test_far_peer_closing_cleanly_disconnects_then_fails(
    shim_page: Page, server: ServerThread, aiortc_peer: AiortcPeer,
) -> None:
    shim_page.evaluate("openPagePeer()")
    offer = shim_page.evaluate(
        """async () => {
          const pc = window.peer.pc;
          window.peer.adopt(pc.createDataChannel('vanish'));
          const offer = await pc.createOffer();
          await pc.setLocalDescription(offer);
          return offer.sdp;
        }""")
    shim_page.wait_for_function("window.peer.candidatesEnded")
    answer_sdp = server.run(answer(aiortc_peer.pc, offer, shim_page.evaluate("window.peer.candidates")))
    shim_page.evaluate("(sdp) => window.peer.pc.setRemoteDescription({ type: 'answer', sdp })", answer_sdp)
    shim_page.wait_for_function("window.peer.channel.readyState === 'open' && window.peer.pc.connectionState === 'connected'")

    # aiortc's close sends DTLS close_notify: the far peer says it is leaving.
    server.run(close_aiortc(aiortc_peer))
    shim_page.wait_for_function("window.peer.channel.readyState === 'closed'")
    assert shim_page.evaluate("window.peer.pc.sctp.transport.state") == "closed"
    shim_page.wait_for_function("window.peer.pc.connectionState === 'failed'", timeout=FAILED_WITHIN_MS)
    history = shim_page.evaluate(
        "({ ice: window.peer.iceConnectionStates, connection: window.peer.connectionStates })")
    assert after_first_connected(history["ice"]) == ["connected", "disconnected", "failed"], history
    assert after_first_connected(history["connection"]) == ["connected", "disconnected", "failed"], history
