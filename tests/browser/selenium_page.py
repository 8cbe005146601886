"""A page of a browser that selenium drives (Firefox, WebKitGTK, WPE), used like Playwright's.

`SeleniumPage.evaluate(script, arg)` works like Playwright's `page.evaluate`: `script` is a
JavaScript function called with `arg`, its promise awaited. WebDriver classic has no
console log, and WebKit prints nothing under automation, so what the page throws uncaught
is recorded in the page (`page_errors`). Each page is one window of its browser: it makes
its window the current one before every command, so a test can drive two at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.remote.webdriver import WebDriver

from .page_helpers import FRAME_PATTERN_JS, PAGE_HELPERS_JS

# Bounds a script that never settles (page_helpers.js's own waits fail after 30 s).
SCRIPT_TIMEOUT_S = 60

# Installed after each load, before anything else runs in the page.
RECORD_PAGE_ERRORS = """
window.pageErrors = [];
window.addEventListener('error', (event) => window.pageErrors.push(String(event.error && event.error.stack || event.message)));
window.addEventListener('unhandledrejection', (event) => window.pageErrors.push('unhandled rejection: '
  + String(event.reason && event.reason.stack || event.reason)));
"""

# Runs `source` (a function expression) on `arg` and reports {value} or {error} to WebDriver.
# The page's own eval: geckodriver runs scripts in a sandbox with globals of its own, where
# `new ArrayBuffer()` would not be the page's ArrayBuffer. WebKit's stacks lack the message.
EVALUATE = """
const [source, arg, report] = arguments;
Promise.resolve().then(() => window.eval('(' + source + ')')(arg)).then(
  (value) => report({ value: value === undefined ? null : value }),
  (error) => report({ error: String(error) + (error && error.stack ? '\\n' + error.stack : '') }));
"""


class SeleniumPage:
    """One window of a selenium-driven browser; `name` names the browser in failures."""

    def __init__(self, driver: WebDriver, name: str, window: str | None = None) -> None:
        self.driver = driver
        self.name = name
        self.window = window or driver.current_window_handle

    def focus(self) -> None:
        if self.driver.current_window_handle != self.window:
            self.driver.switch_to.window(self.window)

    def load(self, url: str) -> None:
        """Loads `url`, records its uncaught errors from then on, and adds the page helpers."""
        self.focus()
        self.driver.get(url)
        self.driver.execute_script(RECORD_PAGE_ERRORS)
        for script in (FRAME_PATTERN_JS, PAGE_HELPERS_JS):
            self.add_script(script.read_text())

    def add_script(self, source: str) -> None:
        """Runs `source` as a <script> of the page, in the page's own realm."""
        self.focus()
        self.driver.execute_script(
            "const script = document.createElement('script'); script.textContent = arguments[0];"
            " document.head.appendChild(script); script.remove();",
            source,
        )

    def evaluate(self, script: str, arg: Any = None) -> Any:
        """`script(arg)` in the page, awaited; fails with the page's error and its uncaught ones."""
        self.focus()
        outcome = self.driver.execute_async_script(EVALUATE, script, arg)
        if "error" in outcome:
            raise AssertionError(f"{self.name} page: {outcome['error']}; uncaught: {self.page_errors()}")
        return outcome["value"]

    def page_errors(self) -> list[str]:
        self.focus()
        errors: list[str] = self.driver.execute_script("return window.pageErrors || []")
        return errors

    def leave(self) -> None:
        """Unloads the document: its connections and its bridge close."""
        self.focus()
        self.driver.get("about:blank")

    def close(self) -> None:
        """Closes the window; the browser's last one is left instead (the session keeps it)."""
        self.focus()
        if len(self.driver.window_handles) == 1:
            self.leave()
            return
        self.driver.close()
        self.driver.switch_to.window(self.driver.window_handles[0])


def driver_log_failure(name: str, error: WebDriverException, log: Path) -> AssertionError:
    """A browser that did not start: its name, WebDriver's message and the end of the driver's log."""
    said = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
    return AssertionError(f"{name} did not start: {error.msg}; its driver said:\n{said}")
