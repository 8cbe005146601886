"""Browser launch settings the tests (and benchmarks) use.

Playwright cannot download browsers here, so everything runs in Debian's Chromium.
Loaded by tests/conftest.py; the name follows Playwright's convention, hence no import.
"""

CHROMIUM_EXECUTABLE = "/usr/bin/chromium"

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

# For native Chromium pages that call getUserMedia.
FAKE_MEDIA_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]

# Runs before any page script: a browser without WebRTC, as WebKitGTK and WPE are.
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


def launch_args(*, fake_media: bool = False) -> dict[str, object]:
    return {
        "executable_path": CHROMIUM_EXECUTABLE,
        "headless": True,
        "args": CHROMIUM_ARGS + (FAKE_MEDIA_ARGS if fake_media else []),
    }
