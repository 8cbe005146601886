"""Firefox ESR through selenium, with tests/browser/firefox.py's prefs and geckodriver:
`firefox-off` has no WebRTC at all (its prefs remove RTCPeerConnection and
navigator.mediaDevices), `firefox-on` keeps its own, which the shim replaces (its default
mode, 'replace')."""

from __future__ import annotations

from pathlib import Path

from ..browser.firefox import FIREFOX_PREFS, start_firefox
from ..browser.selenium_page import SeleniumPage
from .selenium_browser import SeleniumBrowser

WEBRTC_OFF_PREFS = {"media.peerconnection.enabled": False, "media.navigator.enabled": False}


def start_firefox_browser(name: str, folder: Path) -> SeleniumBrowser:
    folder.mkdir(exist_ok=True)
    prefs = FIREFOX_PREFS | WEBRTC_OFF_PREFS if name == "firefox-off" else FIREFOX_PREFS
    driver = start_firefox(folder / "geckodriver.log", prefs, name)
    return SeleniumBrowser(SeleniumPage(driver, name), lambda: start_firefox_browser(name, folder / "another"))
