"""How shim.js installs itself: replace or fill in, where it connects, loading twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from rtcshim.serving import ServerThread

ALIASES = """() => ({
  peerConnection: [window.webkitRTCPeerConnection, window.mozRTCPeerConnection, window.msRTCPeerConnection]
    .every((alias) => alias === window.RTCPeerConnection),
  description: [window.webkitRTCSessionDescription, window.mozRTCSessionDescription, window.msRTCSessionDescription]
    .every((alias) => alias === window.RTCSessionDescription),
  candidate: window.mozRTCIceCandidate === window.RTCIceCandidate,
  nativePeerConnection: String(window.RTCPeerConnection).includes('[native code]'),
  keptNative: String(rtcshim.native.RTCPeerConnection).includes('[native code]'),
})"""


@pytest.fixture
def native_context(browser: Browser, server: ServerThread) -> Iterator[BrowserContext]:
    """A context where Chromium keeps its own WebRTC."""
    context = browser.new_context(base_url=server.url)
    yield context
    context.close()


def test_replace_mode_installs_the_shim_and_keeps_the_native_reachable(native_context: BrowserContext) -> None:
    page = native_context.new_page()
    page.goto("/static/blank.html")
    assert page.evaluate(ALIASES) == {"peerConnection": True, "description": True, "candidate": True,
                                      "nativePeerConnection": False, "keptNative": True}


def test_missing_mode_keeps_the_browsers_own_and_aliases_it(native_context: BrowserContext) -> None:
    native_context.add_init_script("window.rtcshimOptions = { mode: 'missing' };")
    page = native_context.new_page()
    page.goto("/static/blank.html")
    assert page.evaluate(ALIASES) == {"peerConnection": True, "description": True, "candidate": True,
                                      "nativePeerConnection": True, "keptNative": True}


def test_missing_mode_fills_in_what_the_browser_lacks(shim_context: BrowserContext) -> None:
    shim_context.add_init_script("window.rtcshimOptions = { mode: 'missing' };")
    page = shim_context.new_page()
    page.goto("/static/blank.html")
    result = page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      await pc.createOffer();
      return { native: String(RTCPeerConnection).includes('[native code]'), kept: Object.keys(rtcshim.native) };
    }""")
    assert result == {"native": False, "kept": []}


def test_options_url_points_the_shim_at_another_server(shim_context: BrowserContext, server: ServerThread) -> None:
    other = ServerThread().start()
    try:
        shim_context.add_init_script(
            f"window.rtcshimOptions = {{ url: 'ws://127.0.0.1:{other.port}/bridge' }};")
        page = shim_context.new_page()
        page.goto("/static/blank.html")
        session = page.evaluate("rtcshim.session()")
        assert session in other.registry.sessions
        assert server.registry.sessions == {}
    finally:
        other.stop()


def test_loading_twice_keeps_the_first_copy(shim_page: Page) -> None:
    before = shim_page.evaluate("() => { window.first = RTCPeerConnection; return rtcshim.version; }")
    shim_page.add_script_tag(url="/shim.js")
    assert shim_page.evaluate("RTCPeerConnection === window.first")
    assert before == shim_page.evaluate("rtcshim.version")


def test_event_handler_attributes_and_listeners_both_fire(shim_page: Page) -> None:
    order = shim_page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      const order = [];
      pc.addEventListener('negotiationneeded', () => order.push('listener before'));
      pc.onnegotiationneeded = () => order.push('handler');
      pc.addEventListener('negotiationneeded', () => order.push('listener after'));
      const replaced = () => order.push('replaced handler');
      pc.onnegotiationneeded = replaced;  // keeps the handler's place among listeners
      pc.createDataChannel('x');
      await new Promise((resolve) => pc.addEventListener('negotiationneeded', resolve));
      return { order, same: pc.onnegotiationneeded === replaced, cleared: (pc.onnegotiationneeded = 5, pc.onnegotiationneeded) };
    }""")
    assert order == {"order": ["listener before", "replaced handler", "listener after"], "same": True,
                     "cleared": None}
