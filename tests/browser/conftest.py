"""Browser fixtures: pages with native WebRTC removed that load the shim from the server.

`shim_page` and `native_page` are each one page per test process, loaded anew for every
test: a new document is a new JavaScript realm and a new bridge session, so nothing a test
left in the page reaches the next one (and the server is emptied between tests). What a
test configures (init scripts, options) goes in a context of its own: `shim_context` and
`native_context` are new for every test, and so are the pages `open_shim_page` opens.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from rtcshim.serving import ServerThread

from ..conftest import PLAYWRIGHT_CONFIG
from .firefox import firefox, firefox_page  # noqa: F401 (fixtures: native Firefox ESR)
from .page_helpers import load_page_helpers

SHIM_INSTALLED = "window.rtcshim && window.rtcshim.installed"


class ReusedPage:
    """One page of a context the tests never configure, opened again if a test closed it."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.page = context.new_page()

    def load(self, url: str) -> Page:
        if self.page.is_closed():
            self.page = self.context.new_page()
        self.page.goto(url)
        return self.page

    def leave(self) -> None:
        """Unloads the test's document: its bridge closes before the server is emptied."""
        if not self.page.is_closed():
            self.page.goto("about:blank")


def without_webrtc(context: BrowserContext) -> BrowserContext:
    context.add_init_script(PLAYWRIGHT_CONFIG.REMOVE_NATIVE_WEBRTC)
    return context


def with_native_webrtc(context: BrowserContext) -> BrowserContext:
    context.add_init_script("window.rtcshimOptions = { mode: 'missing' };")
    return context


@pytest.fixture(scope="session")
def reused_shim_page(browser: Browser) -> Iterator[ReusedPage]:
    context = without_webrtc(browser.new_context())
    yield ReusedPage(context)
    context.close()


@pytest.fixture(scope="session")
def reused_native_page(browser: Browser) -> Iterator[ReusedPage]:
    context = with_native_webrtc(browser.new_context())
    yield ReusedPage(context)
    context.close()


@pytest.fixture
def shim_context(browser: Browser, server: ServerThread) -> Iterator[BrowserContext]:
    """A context where pages have no WebRTC of their own, like WebKitGTK or WPE."""
    context = without_webrtc(browser.new_context(base_url=server.url))
    yield context
    context.close()


@pytest.fixture
def open_shim_page(shim_context: BrowserContext, server: ServerThread) -> Callable[[], Page]:
    """Opens a blank page of `shim_context` that loads /shim.js from the test server, with the page helpers."""

    def open_page() -> Page:
        page = shim_context.new_page()
        page.goto("/static/blank.html")
        page.wait_for_function(SHIM_INSTALLED)
        return load_page_helpers(page)

    return open_page


@pytest.fixture
def shim_page(request: pytest.FixtureRequest, reused_shim_page: ReusedPage, server: ServerThread) -> Iterator[Page]:
    """A blank page without WebRTC of its own that loads /shim.js from the test server, with
    the page helpers (and the test's `shim_options`)."""
    marker = request.node.get_closest_marker("shim_options")
    options = marker.kwargs if marker else None
    address = f"{server.url}/static/blank.html"
    page = reused_shim_page.load(f"{address}?rtcshimOptions={quote(json.dumps(options))}" if options else address)
    page.wait_for_function(SHIM_INSTALLED)
    if options:
        assert page.evaluate("(names) => names.map((name) => rtcshim.options[name])", list(options)) == list(
            options.values()), "the shim did not take the test's options"
    yield load_page_helpers(page)
    reused_shim_page.leave()


@pytest.fixture
def native_context(browser: Browser, server: ServerThread) -> Iterator[BrowserContext]:
    """Pages keep Chromium's own WebRTC (and fake devices): the shim installs only what is missing."""
    context = with_native_webrtc(browser.new_context(base_url=server.url))
    yield context
    context.close()


@pytest.fixture
def native_page(reused_native_page: ReusedPage, server: ServerThread) -> Iterator[Page]:
    """A blank page with Chromium's own WebRTC, to compare the shim with; with the page helpers."""
    page = reused_native_page.load(f"{server.url}/static/blank.html")
    assert page.evaluate("String(RTCPeerConnection).includes('[native code]')")
    yield load_page_helpers(page)
    reused_native_page.leave()
