"""The page side of the browser tests: loading page_helpers.js, and running page scripts.

`load_page_helpers(page)` defines, in `page`, what page_helpers.js documents (waits,
events, in-page calls, frame and tone readers, the relay call), with
static/frame-pattern.js's `readFramePattern`. Both go in by content, not URL: pages of a
served page tree have no /static/. The blank pages of `shim_page`, `open_shim_page` and
`native_page` have them already.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

HERE = Path(__file__).resolve().parent
PAGE_HELPERS_JS = HERE / "page_helpers.js"
FRAME_PATTERN_JS = HERE.parents[1] / "static" / "frame-pattern.js"

# How long a page may take to settle what a test awaits. Not a measurement: it only turns
# a promise that never settles (an event that never fires) into a failure, not a hang.
SETTLE_TIMEOUT_MS = 30_000
# Peak sample (full scale 1) that counts as sound rather than silence (`soundPeak`).
MIN_SOUND_LEVEL = 0.01


def load_page_helpers(page: Page) -> Page:
    """Defines the helpers in `page` (once; both scripts guard against a second load)."""
    page.add_script_tag(path=FRAME_PATTERN_JS)
    page.add_script_tag(path=PAGE_HELPERS_JS)
    return page


def run(page: Page, script: str, arg: Any = None) -> Any:
    """`page.evaluate(script, arg)`, failing instead of hanging if the promise never settles."""
    page.evaluate(
        """([source, arg]) => {
          window.__outcome = null;
          Promise.resolve().then(() => (0, eval)('(' + source + ')')(arg)).then(
            (value) => { window.__outcome = { value }; },
            (error) => { window.__outcome = { error: String((error && error.stack) || error) }; });
        }""",
        [script, arg],
    )
    try:
        outcome = page.wait_for_function("() => window.__outcome", timeout=SETTLE_TIMEOUT_MS).json_value()
    except PlaywrightTimeoutError:
        raise AssertionError(
            f"the page script never settled (an awaited event did not fire): {script.strip()[:300]}"
        ) from None
    if "error" in outcome:
        raise AssertionError(f"the page script failed: {outcome['error']}")
    return outcome.get("value")


def assert_tone(peak: dict[str, Any], hertz: float = 440.0, *, bins: int = 1) -> None:
    """The loudest bin is the one holding `hertz`, give or take `bins` (the tone may straddle
    two). The tests that allowed two bins before still do: audio the shim plays back was
    seen a bin low on a busy machine (430.7 Hz for 440 Hz, 5.4 Hz bins)."""
    assert abs(peak["frequency"] - hertz) <= bins * peak["binHz"], f"expected a peak at {hertz} Hz, got {peak}"


def assert_counters_advance(result: dict[str, Any], count: int = 3) -> list[int]:
    """`videoStamps` saw `count` stamps whose counters only go up."""
    counters = [stamp["counter"] for stamp in result["stamps"]]
    assert len(counters) >= count, result
    assert counters == sorted(set(counters)), f"stamp counters went backwards: {counters}"
    return counters
