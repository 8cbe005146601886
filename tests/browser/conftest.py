"""Browser fixtures: pages with native WebRTC removed that load the shim from the server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from rtcshim.serving import ServerThread

from ..conftest import PLAYWRIGHT_CONFIG
from .page_helpers import load_page_helpers


@pytest.fixture
def shim_context(browser: Browser, server: ServerThread) -> Iterator[BrowserContext]:
    """A context where pages have no WebRTC of their own, like WebKitGTK or WPE."""
    context = browser.new_context(base_url=server.url)
    context.add_init_script(PLAYWRIGHT_CONFIG.REMOVE_NATIVE_WEBRTC)
    yield context
    context.close()


@pytest.fixture
def open_shim_page(shim_context: BrowserContext, server: ServerThread) -> Callable[[], Page]:
    """Opens a blank page that loads /shim.js from the test server, with the page helpers."""

    def open_page() -> Page:
        page = shim_context.new_page()
        page.goto("/static/blank.html")
        page.wait_for_function("window.rtcshim && window.rtcshim.installed")
        return load_page_helpers(page)

    return open_page


@pytest.fixture
def shim_page(open_shim_page: Callable[[], Page]) -> Page:
    return open_shim_page()


@pytest.fixture
def native_context(browser: Browser, server: ServerThread) -> Iterator[BrowserContext]:
    """Pages keep Chromium's own WebRTC (and fake devices): the shim installs only what is missing."""
    context = browser.new_context(base_url=server.url)
    context.add_init_script("window.rtcshimOptions = { mode: 'missing' };")
    yield context
    context.close()


@pytest.fixture
def native_page(native_context: BrowserContext) -> Page:
    """A blank page with Chromium's own WebRTC, to compare the shim with; with the page helpers."""
    page = native_context.new_page()
    page.goto("/static/blank.html")
    assert page.evaluate("String(RTCPeerConnection).includes('[native code]')")
    return load_page_helpers(page)
