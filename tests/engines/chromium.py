"""Chromium through Playwright, with its native WebRTC removed before any page script (as
tests/browser's shim pages): the shim is the page's only WebRTC."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

from ..browser.page_helpers import load_page_helpers, run
from ..conftest import PLAYWRIGHT_CONFIG


class ChromiumPage:
    name = "chromium"

    def __init__(self, context: BrowserContext) -> None:
        self.page: Page = context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(f"{error}"))

    def load(self, url: str) -> None:
        self.errors.clear()
        self.page.goto(url)
        load_page_helpers(self.page)

    def evaluate(self, script: str, arg: Any = None) -> Any:
        return run(self.page, script, arg)

    def page_errors(self) -> list[str]:
        return list(self.errors)

    def leave(self) -> None:
        self.page.goto("about:blank")

    def close(self) -> None:
        self.page.close()


class ChromiumBrowser:
    """A context of the test process's Playwright Chromium (pytest-playwright's `browser`)."""

    def __init__(self, browser: Browser) -> None:
        self.context = browser.new_context()
        self.context.add_init_script(PLAYWRIGHT_CONFIG.REMOVE_NATIVE_WEBRTC)
        self.page = ChromiumPage(self.context)

    def new_page(self) -> ChromiumPage:
        return ChromiumPage(self.context)

    def quit(self) -> None:
        # pytest-playwright's `browser`, set up after the engines' fixture, is gone first.
        if self.context.browser is not None and self.context.browser.is_connected():
            self.context.close()
