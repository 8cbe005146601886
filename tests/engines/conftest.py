"""Fixtures of the cross-engine tests: one browser per engine per test process, started
when a test first needs it, and a shimmed page of it for each test.

`engine_page` is the engine's first page on the test server's /static/blank.html (which
loads /shim.js) with the page helpers, once the shim is installed; after the test it
must have thrown nothing uncaught, and it leaves the document, so its bridge closes before
the server is emptied. `open_engine_page()` opens another page of the engine (a tab of the
same browser, or where the browser has one view only, cog, the page of a second browser of
the engine, kept for later tests), closed or left after the test.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rtcshim.serving import ServerThread

from .chromium import ChromiumBrowser
from .engine_page import EngineBrowser, EnginePage
from .firefox import start_firefox_browser
from .webkit import start_webkitgtk, start_wpe

# What each engine has of its own before the shim installs, checked on every page: proof
# that the page is the engine the test is named after (and that its WebRTC is as meant).
NATIVE_WEBRTC = {"chromium": False, "firefox-off": False, "firefox-on": True, "webkitgtk": False, "wpe": False}

SHIM_READY = """async (hadNative) => {
  await until(() => window.rtcshim && window.rtcshim.installed, 'the shim installs');
  const replaced = Boolean(rtcshim.native && rtcshim.native.RTCPeerConnection);
  if (replaced !== hadNative) throw new Error(`the engine's own RTCPeerConnection: expected ${hadNative}, was ${replaced}`);
  if (String(RTCPeerConnection).includes('[native code]')) throw new Error('RTCPeerConnection is not the shim');
}"""


class EngineBrowsers:
    """The test process's browsers by engine, each started on first use."""

    def __init__(self, request: pytest.FixtureRequest, folder: Path) -> None:
        self.request = request
        self.folder = folder
        self.started: dict[str, EngineBrowser] = {}

    def get(self, engine: str) -> EngineBrowser:
        if engine not in self.started:
            self.started[engine] = self.start(engine)
        return self.started[engine]

    def start(self, engine: str) -> EngineBrowser:
        folder = self.folder / engine
        if engine == "chromium":
            return ChromiumBrowser(self.request.getfixturevalue("browser"))
        if engine.startswith("firefox"):
            return start_firefox_browser(engine, folder)
        if engine == "webkitgtk":
            return start_webkitgtk(folder)
        assert engine == "wpe", engine
        return start_wpe(folder)

    def quit(self) -> None:
        for browser in self.started.values():
            browser.quit()


@pytest.fixture(scope="session")
def engine_browsers(request: pytest.FixtureRequest) -> Iterator[EngineBrowsers]:
    with tempfile.TemporaryDirectory(prefix="rtcshim-engines-") as folder:
        browsers = EngineBrowsers(request, Path(folder))
        try:
            yield browsers
        finally:
            browsers.quit()


def load_shim_page(page: EnginePage, engine: str, server: ServerThread) -> EnginePage:
    page.load(f"{server.url}/static/blank.html")
    page.evaluate(SHIM_READY, NATIVE_WEBRTC[engine])
    return page


@pytest.fixture
def engine_page(engine: str, engine_browsers: EngineBrowsers, server: ServerThread) -> Iterator[EnginePage]:
    page = load_shim_page(engine_browsers.get(engine).page, engine, server)
    yield page
    errors = page.page_errors()
    page.leave()
    assert not errors, f"uncaught in the {engine} page: {json.dumps(errors, indent=1)}"


@pytest.fixture
def open_engine_page(engine: str, engine_browsers: EngineBrowsers, server: ServerThread,
                     engine_page: EnginePage) -> Iterator[Callable[[], EnginePage]]:
    """Opens another page of the engine's browser; each is checked and closed after the test."""
    opened: list[EnginePage] = []

    def open_page() -> EnginePage:
        page = engine_browsers.get(engine).new_page()
        opened.append(page)
        return page

    yield open_page
    errors = [error for page in opened for error in page.page_errors()]
    for page in opened:
        page.close()
    assert not errors, f"uncaught in the {engine} pages: {json.dumps(errors, indent=1)}"
