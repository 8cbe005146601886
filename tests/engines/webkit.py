"""The two WebKit ports through selenium, neither with WebRTC of its own: WebKitGTK's
MiniBrowser (WebKitWebDriver) under an Xvfb of its own on a free display, and WPE's cog
(WPEWebDriver) headless. Both need `--automation`, or the session never starts; cog also
needs the capability browserName "cog", or WPEWebDriver matches no browser."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver import webkitgtk, wpewebkit

from ..browser.selenium_page import SCRIPT_TIMEOUT_S, SeleniumPage, driver_log_failure
from .selenium_browser import SeleniumBrowser

MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
WEBKITGTK_DRIVER = "/usr/bin/WebKitWebDriver"
COG = "/usr/bin/cog"
WPE_DRIVER = "/usr/bin/WPEWebDriver"
# Media plays without a user gesture; getUserMedia has WebKit's mock camera and microphone
# (MiniBrowser takes WebKitSettings as arguments).
WEBKITGTK_ARGS = ["--automation", "--autoplay-policy=allow", "--enable-mock-capture-devices=true",
                  "--enable-media-stream=true"]
COG_ARGS = ["--automation", "--platform=headless"]


class Xvfb:
    """An X server on a display it picks itself (-displayfd): no clash with another's."""

    def __init__(self, log: Path) -> None:
        read, write = os.pipe()
        with open(log, "wb") as output:
            self.process = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "1280x1024x24"],
                pass_fds=(write,), stdout=output, stderr=subprocess.STDOUT,
            )
        os.close(write)
        with os.fdopen(read) as chosen:
            number = chosen.readline().strip()
        if not number:
            self.stop()
            raise AssertionError(f"Xvfb did not start:\n{log.read_text(errors='replace')[-2000:]}")
        self.display = f":{number}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def start_webkitgtk(folder: Path, arguments: list[str] = WEBKITGTK_ARGS) -> SeleniumBrowser:
    folder.mkdir(exist_ok=True)
    xvfb = Xvfb(folder / "xvfb.log")
    options = webkitgtk.options.Options()
    options.binary_location = MINIBROWSER
    for argument in arguments:
        options.add_argument(argument)
    log = folder / "webkitwebdriver.log"
    service = webkitgtk.service.Service(
        executable_path=WEBKITGTK_DRIVER, log_output=str(log), env={**os.environ, "DISPLAY": xvfb.display})
    try:
        driver = webdriver.WebKitGTK(options=options, service=service)
    except WebDriverException as error:
        xvfb.stop()
        raise driver_log_failure("webkitgtk", error, log) from error
    driver.set_script_timeout(SCRIPT_TIMEOUT_S)
    return SeleniumBrowser(
        SeleniumPage(driver, "webkitgtk"), lambda: start_webkitgtk(folder / "another", arguments), xvfb.stop)


def start_wpe(folder: Path) -> SeleniumBrowser:
    folder.mkdir(exist_ok=True)
    options = wpewebkit.options.Options()
    options.binary_location = COG
    for argument in COG_ARGS:
        options.add_argument(argument)
    options.set_capability("browserName", "cog")
    log = folder / "wpewebdriver.log"
    service = wpewebkit.service.Service(executable_path=WPE_DRIVER, log_output=str(log))
    try:
        driver = webdriver.WPEWebKit(options=options, service=service)
    except WebDriverException as error:
        raise driver_log_failure("wpe", error, log) from error
    driver.set_script_timeout(SCRIPT_TIMEOUT_S)
    return SeleniumBrowser(SeleniumPage(driver, "wpe"), lambda: start_wpe(folder / "another"))
