"""An engine's browser that selenium drives: its first window, and more on demand."""

from __future__ import annotations

from collections.abc import Callable

from ..browser.selenium_page import SeleniumPage


class SeleniumBrowser:
    """`start_another` starts another browser of the engine: the second page of an engine
    whose browser has one view only (cog answers "new window" with the window it has)."""

    def __init__(self, page: SeleniumPage, start_another: Callable[[], SeleniumBrowser],
                 on_quit: Callable[[], None] = lambda: None) -> None:
        self.page = page
        self.start_another = start_another
        self.on_quit = on_quit
        self.another: SeleniumBrowser | None = None

    def new_page(self) -> SeleniumPage:
        """A new tab, made the current one; or the first page of another browser, kept for later tests."""
        driver = self.page.driver
        before = set(driver.window_handles)
        driver.switch_to.new_window("tab")
        if driver.current_window_handle not in before:
            return SeleniumPage(driver, self.page.name, driver.current_window_handle)
        if self.another is None:
            self.another = self.start_another()
        return self.another.page

    def quit(self) -> None:
        try:
            if self.another is not None:
                self.another.quit()
        finally:
            try:
                self.page.driver.quit()
            finally:
                self.on_quit()
