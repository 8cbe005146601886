"""Browser launch settings the tests (and benchmarks) use.

Playwright cannot download browsers here, so everything runs in Debian's Chromium.
Loaded by tests/conftest.py; the name follows Playwright's convention, hence no import.
The settings ship in the package (rtcshim.browser_setup), where the pytest plugin finds them.
"""

from rtcshim.browser_setup import REMOVE_NATIVE_WEBRTC, chromium_launch_args

__all__ = ["REMOVE_NATIVE_WEBRTC", "launch_args"]


def launch_args(*, fake_media: bool = False) -> dict[str, object]:
    return chromium_launch_args(fake_media=fake_media)
