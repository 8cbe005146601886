"""shim.js's install functions in a fake window (tests/fake_window.js, in Node), as adapter.js
tests its shims: each takes `window` and does its work once (called again, or with shim.js
loaded twice, nothing changes), and each needs only the engine features it uses (an
engine without one still gets the rest of the shim)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .test_engine_family import USER_AGENTS, run_in_fake_windows

SHIM = (Path(__file__).resolve().parent.parent / "shim.js").read_text()
INSTALL_FUNCTIONS = set(re.findall(r"^  function (install\w+)\(window\) \{$", SHIM, re.M))

# Every prefix, so that every install step has something to do (mozSrcObject, webkitURL).
ALL_PREFIXES: dict[str, Any] = {"family": "blink", "userAgent": USER_AGENTS["blink"], "options": {"prefixes": "all"}}

# What shim.js adds to or replaces on the engine's own objects, in a fake window that has
# every feature it uses (and no WebRTC or media capture of its own, like WebKitGTK or WPE).
PATCHED_WITH_EVERY_FEATURE = {
    "navigator": ["getUserMedia", "mediaDevices", "mozGetUserMedia", "msGetUserMedia", "webkitGetUserMedia"],
    "element": ["mozSrcObject", "src", "srcObject"],
    "audioContext": ["createMediaStreamSource"],
    "url": ["createObjectURL", "revokeObjectURL"],
}


def test_install_functions_are_found() -> None:
    assert {"installRtcshim", "installPeerConnection", "installLegacyCallbacks", "installMediaPlayback"} \
        <= INSTALL_FUNCTIONS


def test_calling_each_install_function_again_changes_nothing() -> None:
    [result] = run_in_fake_windows([{**ALL_PREFIXES, "repeatInstalls": True}])
    # Every install function is called from the sequence at the bottom of shim.js.
    assert set(result["secondCalls"]) == INSTALL_FUNCTIONS
    assert {name: changes for name, changes in result["secondCalls"].items() if changes} == {}


def test_loading_shim_js_twice_changes_nothing() -> None:
    [result] = run_in_fake_windows([{**ALL_PREFIXES, "loads": 2}])
    assert result["secondLoad"] == []


# Engine features taken out of the window, and what shim.js then leaves alone: None where
# the window has no such object, [] where it patches none of its properties.
LACKING: dict[str, tuple[list[str], dict[str, Any]]] = {
    "no HTMLMediaElement": (["HTMLMediaElement"], {"element": None, "url": []}),
    "no srcObject": (["HTMLMediaElement.prototype.srcObject"], {"element": [], "url": []}),
    "no AudioContext": (["AudioContext"], {"audioContext": None}),
    "no createMediaStreamSource": (["AudioContext.prototype.createMediaStreamSource"], {"audioContext": []}),
    "no Navigator": (["Navigator"], {"navigator": None}),
    "no navigator": (["Navigator", "navigator"], {"navigator": None}),
    # WPE built without media streams: media elements without srcObject, Web Audio
    # without createMediaStreamSource.
    "WPE": (["HTMLMediaElement.prototype.srcObject", "AudioContext.prototype.createMediaStreamSource"],
            {"element": [], "url": [], "audioContext": []}),
}


@pytest.mark.parametrize("engine", LACKING)
def test_an_engine_without_a_feature_gets_everything_else(engine: str) -> None:
    without, left_alone = LACKING[engine]
    every_feature, lacking = run_in_fake_windows([
        {**ALL_PREFIXES, "without": []}, {**ALL_PREFIXES, "without": without}])
    assert "shimError" not in lacking, lacking
    assert {name: every_feature["changed"][name] for name in PATCHED_WITH_EVERY_FEATURE} == PATCHED_WITH_EVERY_FEATURE
    # The same globals (all of them), and the same patches but those that need the feature.
    assert lacking["changed"] == {**every_feature["changed"], **left_alone}
