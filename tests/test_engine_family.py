"""shim.js's legacy names per engine family, in a fake window per family (tests/fake_window.js,
in Node): the prefixed names each family gets, and the branch that the period libraries, as
published (tests/period_libraries), take when they detect the browser after the shim."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
LIBRARIES = TESTS / "period_libraries" / "node_modules"

# Each engine's own user agent, as a page reads it: what period libraries parse once the
# prefixed names told them which browser they are in.
USER_AGENTS = {
    "gecko": "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0",
    "blink": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
    "webkit": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
    "other": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Servo/0.0.1 Firefox/128.0",
}

WEBKIT_NAMES = {
    "window": ["webkitMediaStream", "webkitRTCPeerConnection", "webkitRTCSessionDescription", "webkitURL"],
    "navigator": ["webkitGetUserMedia"],
    "element": [],
}
MOZ_NAMES = {
    "window": ["mozRTCIceCandidate", "mozRTCPeerConnection", "mozRTCSessionDescription"],
    "navigator": ["mozGetUserMedia"],
    "element": ["mozSrcObject"],
}
NO_NAMES: dict[str, list[str]] = {"window": [], "navigator": [], "element": []}


def run_in_fake_windows(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    completed = subprocess.run(
        ["node", str(TESTS / "fake_window.js")], input=json.dumps(scenarios),
        capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    results: list[dict[str, Any]] = json.loads(completed.stdout)
    return results


@pytest.mark.parametrize(("family", "prefixes", "names"), [
    ("gecko", ["moz"], MOZ_NAMES),
    ("blink", ["webkit"], WEBKIT_NAMES),
    ("webkit", ["webkit"], WEBKIT_NAMES),
    ("other", [], NO_NAMES),
])
def test_each_family_gets_the_prefixed_names_it_shipped(
    family: str, prefixes: list[str], names: dict[str, list[str]]
) -> None:
    [result] = run_in_fake_windows([{"family": family, "userAgent": USER_AGENTS[family]}])
    assert result.pop("scripts") == []
    assert result == {"family": family, "prefixes": prefixes, **names}


@pytest.mark.parametrize("family", ["gecko", "blink", "webkit", "other"])
def test_the_prefixes_option_overrides_the_family(family: str) -> None:
    every, webkit_only = run_in_fake_windows([
        {"family": family, "userAgent": USER_AGENTS[family], "options": {"prefixes": "all"}},
        {"family": family, "userAgent": USER_AGENTS[family], "options": {"prefixes": ["webkit"]}},
    ])
    assert every["prefixes"] == ["webkit", "moz", "ms"]
    assert every["window"] == sorted([*WEBKIT_NAMES["window"], *MOZ_NAMES["window"],
                                      "msRTCPeerConnection", "msRTCSessionDescription"])
    assert every["navigator"] == ["mozGetUserMedia", "msGetUserMedia", "webkitGetUserMedia"]
    assert every["element"] == ["mozSrcObject"]
    assert {key: webkit_only[key] for key in WEBKIT_NAMES} == WEBKIT_NAMES


GOOGLE_ADAPTER = "({browser: webrtcDetectedBrowser, version: webrtcDetectedVersion})"
ADAPTER_1 = "({browser: adapter.browserDetails.browser, version: adapter.browserDetails.version})"

# What each library concludes, after the shim, in each family: the branch of the browser
# whose user agent the page has, which works over the shim's API. The one failure is the
# 2015 adapter.js in WebKit: finding webkitGetUserMedia it parses "Chrome/NN" out of the
# user agent, which no WebKit engine's has; it failed so in WebKit engines of its day, and
# with no prefixed names it finds no branch at all (the page's getUserMedia stays null).
DETECTIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "adapter.js 2015 (webrtc-adapter-test 0.1.9)": (
        "webrtc-adapter-test-0.1.9/adapter.js", GOOGLE_ADAPTER, {
            "gecko": {"browser": "firefox", "version": 153},
            "blink": {"browser": "chrome", "version": 156},
            "webkit": {"error": "TypeError: Cannot read properties of null (reading '2')"},
            "other": {"browser": None, "version": None},
        }),
    "adapter.js late 2015 (webrtc-adapter-test 0.2.5)": (
        "webrtc-adapter-test-0.2.5/adapter.js", GOOGLE_ADAPTER, {
            "gecko": {"browser": "firefox", "version": 153},
            "blink": {"browser": "chrome", "version": 156},
            "webkit": {"browser": "chrome", "version": None},
            "other": {"browser": None, "version": None},
        }),
    "webrtc-adapter 1.0.6": ("webrtc-adapter-1.0.6/out/adapter.js", ADAPTER_1, {
        "gecko": {"browser": "firefox", "version": 153},
        "blink": {"browser": "chrome", "version": 156},
        "webkit": {"browser": "chrome", "version": None},
        "other": {"browser": "Not a supported browser.", "version": None},
    }),
    "webrtc-adapter 1.4.0": ("webrtc-adapter-1.4.0/out/adapter.js", ADAPTER_1, {
        "gecko": {"browser": "firefox", "version": 153},
        "blink": {"browser": "chrome", "version": 156},
        "webkit": {"browser": "chrome", "version": None},
        "other": {"browser": "Not a supported browser.", "version": None},
    }),
    "peerjs 0.3.14": ("peerjs-0.3.14/dist/peer.js", "({browser: util.browser, sctp: util.supports.sctp})", {
        "gecko": {"browser": "Firefox", "sctp": True},
        "blink": {"browser": "Chrome", "sctp": True},
        "webkit": {"browser": "Chrome", "sctp": True},
        "other": {"browser": "Supported", "sctp": True},
    }),
}


@pytest.mark.parametrize("library", DETECTIONS)
def test_period_libraries_take_the_branch_of_the_family(library: str) -> None:
    path, report, expected = DETECTIONS[library]
    scenarios = [{"family": family, "userAgent": USER_AGENTS[family],
                  "scripts": [{"path": str(LIBRARIES / path), "report": report}]} for family in expected]
    results = run_in_fake_windows(scenarios)
    detected = {}
    for family, result in zip(expected, results, strict=True):
        [outcome] = result["scripts"]
        detected[family] = outcome.get("report", outcome)
    assert detected == expected
