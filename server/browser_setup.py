"""What a test browser needs to run pages on rtcshim: Chromium's launch settings, the init
script that removes the engine's own WebRTC, and the one that injects the shim.

The pytest plugin (server/pytest_plugin.py) uses them, and so does the repository's
playwright.config.py: they ship in the package because that file is not installed.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

# Debian's package; Playwright cannot download its own Chromium everywhere.
DEBIAN_CHROMIUM = "/usr/bin/chromium"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    # Host candidates as plain addresses, not mDNS names (no multicast, and aiortc
    # cannot resolve them here).
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    # Old pages hard-code public STUN servers: no name but loopback resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

# For native Chromium pages that call getUserMedia: no prompt, a fake camera and microphone.
FAKE_MEDIA_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]

# Runs before any page script: a browser without WebRTC, as WebKitGTK and WPE are. No flag
# or policy removes WebRTC from Chromium, hence a script.
REMOVE_NATIVE_WEBRTC = """
(() => {
  for (const name of Object.getOwnPropertyNames(window)) {
    if (/^(webkit|moz|ms)?(RTC|MediaStream)/.test(name)
        || ['MediaDevices', 'MediaDeviceInfo', 'InputDeviceInfo', 'DeviceChangeEvent',
            'OverconstrainedError'].includes(name)) {
      delete window[name];
    }
  }
  for (const name of ['mediaDevices', 'getUserMedia', 'webkitGetUserMedia']) {
    delete Navigator.prototype[name];
  }
})();
"""


def chromium_launch_args(executable_path: str = DEBIAN_CHROMIUM, *, fake_media: bool = False) -> dict[str, Any]:
    """Playwright's `launch()` keywords for a headless Chromium at `executable_path`."""
    return {
        "executable_path": executable_path,
        "headless": True,
        "args": CHROMIUM_ARGS + (FAKE_MEDIA_ARGS if fake_media else []),
    }


def shim_init_script(bridge_url: str, *, token: str | None = None, options: dict[str, Any] | None = None) -> str:
    """shim.js with its `rtcshimOptions` set before it runs: `url` is the server's /bridge,
    so the shim works in a page of any origin (another server's, a file:, about:blank).
    `options` are more rtcshimOptions (shim.js's header lists them)."""
    shim_options = {"url": bridge_url, **({"token": token} if token else {}), **(options or {})}
    shim_source = resources.files("rtcshim").joinpath("shim.js").read_text("utf-8")
    return f"window.rtcshimOptions = {json.dumps(shim_options)};\n{shim_source}"
