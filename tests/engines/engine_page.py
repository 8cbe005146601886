"""What every engine's driver gives a test: pages used alike whatever drives them.

An `EnginePage` is one page (a tab or a window) of one engine's browser: `load(url)`
loads it and adds tests/browser/page_helpers.js (with frame-pattern.js), `evaluate(source,
arg)` calls the JavaScript function `source` on `arg` and awaits its promise (like
Playwright's `page.evaluate`), `page_errors()` lists what the page threw uncaught,
`leave()` unloads the document (its bridge closes) and `close()` closes the page. An
`EngineBrowser` is the engine's one browser of the test process: `page` is its first
page, reused by every test; `new_page()` opens another for a test that needs two.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import pytest


class EnginePage(Protocol):
    name: str

    def load(self, url: str) -> None: ...

    def evaluate(self, script: str, arg: Any = None) -> Any: ...

    def page_errors(self) -> list[str]: ...

    def leave(self) -> None: ...

    def close(self) -> None: ...


class EngineBrowser(Protocol):
    page: EnginePage

    def new_page(self) -> EnginePage: ...

    def quit(self) -> None: ...


# The five set-ups every core scenario runs in: the test id names the engine.
ENGINES = ("chromium", "firefox-off", "firefox-on", "webkitgtk", "wpe")


def in_engines(names: Iterable[str]) -> pytest.MarkDecorator:
    """Parametrizes a test over these engines. Each engine's tests form one xdist group, so
    under `--dist loadgroup` one worker runs them all and starts that browser once."""
    return pytest.mark.parametrize("engine", [pytest.param(name, marks=pytest.mark.xdist_group(name)) for name in names])


every_engine = in_engines(ENGINES)
