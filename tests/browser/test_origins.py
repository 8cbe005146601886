"""Pages of other origins, and the token, as a browser meets them.

A page served at the namespace's own address (10.77.0.1, not loopback: scripts/in-netns)
loads the shim from the rtcshim server at 127.0.0.1, as any website the user visits could.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, BrowserType, ConsoleMessage, Page, expect

from rtcshim.page_tree import PageTree
from rtcshim.serving import ServerThread

from ..conftest import PLAYWRIGHT_CONFIG
from .conftest import SHIM_INSTALLED, without_webrtc
from .example_pages import CONNECT_TIMEOUT_MS, PageProblems, open_example
from .relay_calls import new_room

NAMESPACE_ADDRESS = "10.77.0.1"
RESOLVE_LOOPBACK_AND_NAMESPACE = f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE {NAMESPACE_ADDRESS}"
TOKEN = "page-token_0123456789"
CREATE_OFFER = """async () => {
  try {
    const offer = await new RTCPeerConnection().createOffer();
    return {sdp: offer.sdp.slice(0, 4)};
  } catch (error) {
    return {name: error.name, message: error.message};
  }
}"""


def foreign_site(directory: Path) -> ServerThread:
    """A site at the namespace's address (not started: its port is known already) whose
    page.html `include_shim` writes."""
    return ServerThread(NAMESPACE_ADDRESS, page_tree=PageTree(directory, inject=False))


def include_shim(directory: Path, rtcshim: ServerThread) -> None:
    (directory / "page.html").write_text(
        f'<!doctype html><title>elsewhere</title><script src="{rtcshim.url}/shim.js"></script>\n')


@pytest.fixture(scope="module")
def namespace_browser(browser_type: BrowserType) -> Iterator[Browser]:
    """Chromium as the other tests launch it, except that it may reach the namespace's
    address (their rules resolve nothing but 127.0.0.1)."""
    launch = PLAYWRIGHT_CONFIG.launch_args()
    launch["args"] = [RESOLVE_LOOPBACK_AND_NAMESPACE if arg.startswith("--host-resolver-rules=") else arg
                      for arg in launch["args"]]
    browser = browser_type.launch(**launch)
    yield browser
    browser.close()


@pytest.fixture
def context(namespace_browser: Browser) -> Iterator[BrowserContext]:
    context = without_webrtc(namespace_browser.new_context())
    yield context
    context.close()


def open_page(context: BrowserContext, url: str) -> tuple[Page, list[str]]:
    page = context.new_page()
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and message.text.startswith("rtcshim"):  # not the missing favicon
            errors.append(message.text)

    page.on("console", console)
    page.goto(url)
    page.wait_for_function(SHIM_INSTALLED)
    return page, errors


def test_page_of_another_origin_is_refused_with_the_reason(
    context: BrowserContext, server: ServerThread, tmp_path: Path
) -> None:
    include_shim(tmp_path, server)
    with foreign_site(tmp_path) as site:
        page, errors = open_page(context, f"{site.url}/page.html")
        result = page.evaluate(CREATE_OFFER)
    reason = f"origin {site.url} is not allowed: start rtcshim with --allowed-origin {site.url}"
    assert result == {"name": "OperationError", "message": f"the rtcshim server closed the connection: {reason}"}
    assert errors == [f"rtcshim: the rtcshim server closed the connection: {reason}"]
    assert server.registry.sessions == {}


def test_page_of_an_allowed_origin_works(context: BrowserContext, tmp_path: Path) -> None:
    site = foreign_site(tmp_path)
    with ServerThread(allowed_origins=[site.url]) as rtcshim, site:
        include_shim(tmp_path, rtcshim)
        page, errors = open_page(context, f"{site.url}/page.html")
        assert page.evaluate(CREATE_OFFER) == {"sdp": "v=0\r"}
        assert len(rtcshim.registry.sessions) == 1
    assert errors == []


def test_own_page_works_with_the_token(context: BrowserContext) -> None:
    with ServerThread(token=TOKEN) as rtcshim:
        page, errors = open_page(context, f"{rtcshim.url}/static/blank.html")
        assert page.evaluate(CREATE_OFFER) == {"sdp": "v=0\r"}
        assert page.evaluate("rtcshim.webSocketProtocols") == ["rtcshim", f"rtcshim-token.{TOKEN}"]
    assert errors == []


def test_page_without_the_token_is_refused(context: BrowserContext, tmp_path: Path) -> None:
    # Another loopback origin (same site, another port): allowed, but not given the token.
    with ServerThread(token=TOKEN) as rtcshim:
        include_shim(tmp_path, rtcshim)
        with ServerThread(page_tree=PageTree(tmp_path, inject=False)) as site:
            page, errors = open_page(context, f"{site.url}/page.html")
            result = page.evaluate(CREATE_OFFER)
        assert rtcshim.registry.sessions == {}
    message = "the rtcshim server closed the connection: this rtcshim server needs its token: set rtcshimOptions.token"
    assert result == {"name": "OperationError", "message": message}
    assert errors == [f"rtcshim: {message}"]


def test_page_of_another_origin_with_the_token_in_its_options_works(context: BrowserContext, tmp_path: Path) -> None:
    with ServerThread(token=TOKEN) as rtcshim:
        include_shim(tmp_path, rtcshim)
        with ServerThread(page_tree=PageTree(tmp_path, inject=False)) as site:
            context.add_init_script(f"window.rtcshimOptions = {{ token: '{TOKEN}' }};")
            page, errors = open_page(context, f"{site.url}/page.html")
            assert page.evaluate(CREATE_OFFER) == {"sdp": "v=0\r"}
    assert errors == []


def test_examples_signal_with_the_token(context: BrowserContext) -> None:
    problems = PageProblems()
    room = new_room("token")
    with ServerThread(token=TOKEN) as rtcshim:
        caller = open_example(context, problems, f"{rtcshim.url}/examples/datachannel-caller.html?room={room}", "caller")
        callee = open_example(context, problems, f"{rtcshim.url}/examples/datachannel-callee.html?room={room}", "callee")
        expect(callee.locator("#log")).to_contain_text("Caller: Hello from the caller", timeout=CONNECT_TIMEOUT_MS)
        expect(caller.locator("#status")).to_contain_text("data channel is open")
    assert problems.reports == []


def test_own_page_at_the_namespace_address_works(context: BrowserContext) -> None:
    # The server's own origin, not loopback: an address, which DNS rebinding cannot fake.
    with ServerThread(NAMESPACE_ADDRESS) as rtcshim:
        page, errors = open_page(context, f"{rtcshim.url}/static/blank.html")
        assert page.evaluate(CREATE_OFFER) == {"sdp": "v=0\r"}
    assert errors == []
