"""README.md's page snippets run as written, in a browser whose only WebRTC is the shim.

A reader copies them first; one that throws (the first once called an undefined `error`)
costs them the rest of the README.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage

from rtcshim import PageTree
from rtcshim.serving import ServerThread

from ..conftest import PLAYWRIGHT_CONFIG
from .example_pages import CONNECT_TIMEOUT_MS, PageProblems

README = Path(__file__).resolve().parents[2] / "README.md"
README_ORIGIN = "http://127.0.0.1:8765"


def readme_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text("utf-8"), re.S)


def test_first_page_snippet_makes_an_offer(browser: Browser, tmp_path: Path) -> None:
    snippet = next(block for block in readme_blocks("html") if "createOffer" in block)
    # The page as a reader would save it, served as it is (`rtcshim serve --no-inject DIR`).
    with ServerThread(strict=True, page_tree=PageTree(tmp_path, inject=False)) as server:
        (tmp_path / "index.html").write_text(snippet.replace(README_ORIGIN, server.url), "utf-8")
        (tmp_path / "favicon.ico").write_bytes(b"")  # a reader's folder has one, or Chromium logs its 404
        context = browser.new_context(base_url=server.url)
        context.add_init_script(PLAYWRIGHT_CONFIG.REMOVE_NATIVE_WEBRTC)
        problems = PageProblems()
        page = problems.watch(context.new_page(), "snippet")
        try:
            with page.expect_console_message(_is_offer, timeout=CONNECT_TIMEOUT_MS) as logged:
                page.goto("/")
            assert "m=application" in logged.value.text  # the Mydata channel is in the offer
            assert page.evaluate("pc.localDescription.type") == "offer"
            assert problems.reports == []
        finally:
            context.close()


def _is_offer(message: ConsoleMessage) -> bool:
    return message.type == "log" and message.text.startswith("v=0")


def test_options_snippet_names_options_the_shim_reads() -> None:
    (options,) = [block for block in readme_blocks("js") if "rtcshimOptions" in block]
    shim = (README.parent / "shim.js").read_text("utf-8")
    for name in re.findall(r"^\s+(\w+):", options, re.M):
        assert f"options.{name}" in shim, name
