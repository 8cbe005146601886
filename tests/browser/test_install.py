"""How shim.js installs itself: replace or fill in, where it connects, loading twice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page

from rtcshim.serving import ServerThread

# Chromium is a Blink engine: its pages get the webkit names, and no moz or ms ones, so
# that period libraries (which test for mozGetUserMedia first) take their Chrome branch.
ALIASES = """() => ({
  family: rtcshim.family,
  prefixes: rtcshim.prefixes,
  webkit: [window.webkitRTCPeerConnection === window.RTCPeerConnection,
           window.webkitRTCSessionDescription === window.RTCSessionDescription,
           typeof navigator.webkitGetUserMedia],
  others: Object.getOwnPropertyNames(window).concat(Object.getOwnPropertyNames(Navigator.prototype),
    Object.getOwnPropertyNames(HTMLMediaElement.prototype)).filter((name) => /^(moz|ms)[A-Z]/.test(name)
    && /RTC|GetUserMedia|SrcObject/.test(name)),
  nativePeerConnection: String(window.RTCPeerConnection).includes('[native code]'),
  keptNative: String(rtcshim.native.RTCPeerConnection).includes('[native code]'),
})"""

# Every name rtcshimOptions.prefixes: 'all' installs, beside the standard one.
ALL_PREFIXED = """() => ({
  window: Object.getOwnPropertyNames(window).filter((name) => /^(webkit|moz|ms)(RTC|MediaStream$)/.test(name)).sort(),
  navigator: Object.getOwnPropertyNames(Navigator.prototype).filter((name) => /GetUserMedia$/.test(name)).sort(),
  element: Object.getOwnPropertyNames(HTMLMediaElement.prototype).filter((name) => /^mozSrcObject$/.test(name)),
  prefixes: rtcshim.prefixes,
})"""


@pytest.mark.parametrize(("mode", "native_peer_connection"), [("replace", False), ("missing", True)])
def test_mode_chooses_the_shim_or_the_browsers_own_and_keeps_the_native_reachable(
    native_context: BrowserContext, mode: str, native_peer_connection: bool
) -> None:
    """'replace' installs the shim over Chromium's own; 'missing' keeps it and aliases it."""
    native_context.add_init_script(f"window.rtcshimOptions = {{ mode: '{mode}' }};")
    page = native_context.new_page()
    page.goto("/static/blank.html")
    assert page.evaluate(ALIASES) == {"family": "blink", "prefixes": ["webkit"], "webkit": [True, True, "function"],
                                      "others": [], "nativePeerConnection": native_peer_connection,
                                      "keptNative": True}


@pytest.mark.parametrize(("option", "prefixes"), [
    ("'all'", ["webkit", "moz", "ms"]),
    ("['ms', 'moz']", ["moz", "ms"]),
    ("[]", []),
    ("'auto'", ["webkit"]),
])
def test_prefixes_option_chooses_the_prefixed_names(
    shim_context: BrowserContext, open_shim_page: Callable[[], Page], option: str, prefixes: list[str]
) -> None:
    shim_context.add_init_script(f"window.rtcshimOptions = {{ prefixes: {option} }};")
    installed = open_shim_page().evaluate(ALL_PREFIXED)
    names = {
        "webkit": (["webkitMediaStream", "webkitRTCPeerConnection", "webkitRTCSessionDescription"],
                   ["webkitGetUserMedia"], []),
        "moz": (["mozRTCIceCandidate", "mozRTCPeerConnection", "mozRTCSessionDescription"],
                ["mozGetUserMedia"], ["mozSrcObject"]),
        "ms": (["msRTCPeerConnection", "msRTCSessionDescription"], ["msGetUserMedia"], []),
    }
    expected_window = sorted(name for prefix in prefixes for name in names[prefix][0])
    expected_navigator = sorted(name for prefix in prefixes for name in names[prefix][1])
    expected_element = [name for prefix in prefixes for name in names[prefix][2]]
    assert installed == {"window": expected_window, "navigator": expected_navigator, "element": expected_element,
                         "prefixes": prefixes}


def test_a_bad_prefixes_option_is_reported_and_the_engines_own_are_used(shim_context: BrowserContext) -> None:
    shim_context.add_init_script("window.rtcshimOptions = { prefixes: ['o'] };")
    page = shim_context.new_page()
    errors: list[str] = []
    # The shim's own errors (a favicon's 404 may be logged too).
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and message.text.startswith("rtcshim") else None)
    page.goto("/static/blank.html")
    assert page.evaluate("rtcshim.prefixes") == ["webkit"]
    assert errors == ["rtcshim: rtcshimOptions.prefixes must be 'auto', 'all' or a list of webkit, moz, ms;"
                      ' got ["o"], so the engine\'s own are used']


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


# What the first copy installed: the identities a second copy would replace if it installed again.
INSTALLED = """() => ({
  rtcshim: window.rtcshim, native: window.rtcshim.native, nativeNames: Object.keys(window.rtcshim.native),
  globals: ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCSessionDescription', 'RTCIceCandidate',
    'RTCDataChannel', 'MediaStream', 'MediaStreamTrack', 'RTCRtpSender', 'RTCDTMFSender'].map((name) => window[name]),
  navigator: ['getUserMedia', 'webkitGetUserMedia', 'mediaDevices'].map(
    (name) => Object.getOwnPropertyDescriptor(Navigator.prototype, name)),
})"""


def test_loading_twice_keeps_the_first_copy(shim_page: Page, server: ServerThread) -> None:
    first = shim_page.evaluate(f"""async () => {{
      window.first = ({INSTALLED})();
      window.firstPeerConnection = new RTCPeerConnection();
      await window.firstPeerConnection.createOffer();
      return {{ session: await rtcshim.session(), names: window.first.nativeNames }};
    }}""")
    shim_page.add_script_tag(url="/shim.js")
    after = shim_page.evaluate(f"""async () => {{
      const now = ({INSTALLED})();
      const sameDescriptor = (a, b) => a === b || (a && b && a.value === b.value && a.get === b.get);
      const created = new RTCPeerConnection();
      await created.createOffer();
      return {{
        rtcshim: now.rtcshim === first.rtcshim, native: now.native === first.native,
        names: now.nativeNames, globals: now.globals.every((value, index) => value === first.globals[index]),
        navigator: now.navigator.every((descriptor, index) => sameDescriptor(descriptor, first.navigator[index])),
        session: await rtcshim.session(),
        // Objects of either moment are of one class, and calls go through the one bridge.
        oneClass: created instanceof first.globals[0] && firstPeerConnection instanceof RTCPeerConnection,
        firstStillWorks: (await firstPeerConnection.createOffer()).type,
      }};
    }}""")
    assert after == {"rtcshim": True, "native": True, "names": first["names"], "globals": True, "navigator": True,
                     "session": first["session"], "oneClass": True, "firstStillWorks": "offer"}
    # One socket, one session: the second copy opened no bridge of its own.
    assert list(server.registry.sessions) == [first["session"]]
    assert len([o for o in server.registry.objects() if o.interface == "PeerConnection"]) == 2


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
