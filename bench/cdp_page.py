"""Chromium pages driven over the DevTools protocol directly, without Playwright.

Playwright copies every frame of a page's WebSockets to its driver and on to the Python
client (CDP `Network.webSocketFrameSent/Received`, always on): for the shim, whose every
call and event is a frame of the bridge socket, that is ~38 frames a setup and ~10 ms of
CPU in the driver and the client (besides Chromium's own copy), on the two cores the
server and the browser share. A page here is driven through `Runtime` and `Page` only, so
the bridge's frames go to the server and nowhere else, as in a browser no one automates.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from rtcshim.browser_setup import CHROMIUM_ARGS, DEBIAN_CHROMIUM

# What Playwright's launch adds that a measured page needs: a page that is not in front
# is not throttled (one browser holds several), and it runs headless without a window.
HEADLESS_ARGS = ["--headless", "--no-startup-window", "--disable-background-timer-throttling",
                 "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"]
START_TIMEOUT_S = 30


class CdpError(RuntimeError):
    """A DevTools command answered with an error, or a page script threw."""


class DevTools:
    """One browser-wide DevTools connection; commands to a page go with its session id.
    Events are not asked for (no domain's `enable` but what a command needs), and those
    that come anyway are skipped."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        self._socket.send(json.dumps({"id": call_id, "method": method, "params": params,
                                      **({"sessionId": session} if session else {})}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise CdpError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result


class CdpPage:
    """A page of its own browser context: `evaluate` runs an expression, awaits a promise
    it returns, and gives back its JSON value."""

    def __init__(self, devtools: DevTools, session: str) -> None:
        self._devtools = devtools
        self._session = session

    def evaluate(self, expression: str) -> Any:
        answer = self._devtools.call("Runtime.evaluate", self._session, expression=expression,
                                     awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in answer:
            raise CdpError(f"{expression}: {answer['exceptionDetails'].get('exception', answer['exceptionDetails'])}")
        return answer["result"].get("value")


@contextmanager
def cdp_chromium(executable_path: str = DEBIAN_CHROMIUM) -> Iterator[DevTools]:
    """Debian's Chromium, headless with the tests' flags, and a DevTools connection to it."""
    # Chromium's helper processes may still write in it as it ends.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [executable_path, *HEADLESS_ARGS, *CHROMIUM_ARGS, "--remote-debugging-port=0",
             f"--user-data-dir={profile}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with connect(_devtools_url(Path(profile), browser), max_size=None) as socket:
                yield DevTools(socket)
        finally:
            browser.terminate()
            browser.wait()


def _devtools_url(profile: Path, browser: subprocess.Popen[bytes]) -> str:
    """Chromium writes the port it chose, and the browser target's path, in the profile."""
    deadline = time.monotonic() + START_TIMEOUT_S
    port_file = profile / "DevToolsActivePort"
    while time.monotonic() < deadline and browser.poll() is None:
        lines = port_file.read_text().split() if port_file.exists() else []
        if len(lines) >= 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.05)
    raise CdpError("Chromium did not open its DevTools port")


def open_cdp_page(devtools: DevTools, url: str, init_script: str, *scripts: str) -> CdpPage:
    """`url` in a new browser context, `init_script` run before any of its scripts, then
    the shim waited for and `scripts` (each a function's source) called, as
    harness.open_bench_page does for a Playwright page."""
    context = devtools.call("Target.createBrowserContext")["browserContextId"]
    target = devtools.call("Target.createTarget", url="about:blank", browserContextId=context)["targetId"]
    session = devtools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    # Focused as a Playwright page is: otherwise Chromium's own WebRTC setup takes twice as long.
    devtools.call("Emulation.setFocusEmulationEnabled", session, enabled=True)
    devtools.call("Page.enable", session)  # without it, the init script does not run
    devtools.call("Page.addScriptToEvaluateOnNewDocument", session, source=init_script)
    devtools.call("Page.navigate", session, url=url)
    page = CdpPage(devtools, session)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not page.evaluate("document.readyState === 'complete' && !!(window.rtcshim && window.rtcshim.installed)"):
        if time.monotonic() > deadline:
            raise CdpError(f"{url}: the shim did not install")
        time.sleep(0.02)
    for script in scripts:
        page.evaluate(f"({script})()")
    return page
