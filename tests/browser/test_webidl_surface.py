"""The page's WebRTC globals are what WebIDL makes of the W3C IDL (tests/webidl/).

extract.mjs turns @webref/idl's webrtc, mediacapture-streams and webrtc-identity IDL, and
our fragment of pre-standard members, into a model; surface-check.js compares a shimmed
page's globals with it. Every difference must be listed, with its reason, in
differences.toml: a new difference fails, and so does a listed one that is gone.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

WEBIDL = Path(__file__).resolve().parent.parent / "webidl"
CHECK = (WEBIDL / "surface-check.js").read_text()


def idl_model() -> dict[str, Any]:
    if not (WEBIDL / "node_modules").is_dir():
        raise AssertionError(f"the IDL is not installed: run `npm ci --prefix {WEBIDL}` (scripts/test does)")
    printed = subprocess.run(
        ["node", str(WEBIDL / "extract.mjs")], capture_output=True, text=True, check=True)
    model: dict[str, Any] = json.loads(printed.stdout)
    return model


def deliberate_differences() -> dict[str, str]:
    with (WEBIDL / "differences.toml").open("rb") as listed:
        return tomllib.load(listed)


def test_the_surface_matches_the_idl_but_for_the_listed_differences(shim_page: Page) -> None:
    found = set(shim_page.evaluate(CHECK, idl_model()))
    listed = deliberate_differences()
    new = sorted(found - listed.keys())
    stale = sorted(listed.keys() - found)
    assert not new, "differences from the IDL that differences.toml does not list:\n" + "\n".join(new)
    assert not stale, "differences.toml lists differences that are gone:\n" + "\n".join(stale)


def test_every_listed_difference_says_why() -> None:
    assert all(reason.strip() for reason in deliberate_differences().values())


def test_the_check_finds_each_kind_of_difference(shim_page: Page) -> None:
    shim_page.evaluate("""() => {
      class Sloppy {
        get state() { return 'new'; }
        set state(value) {}
        close(force) {}
        extra() {}
      }
      Object.defineProperty(Sloppy.prototype, 'state', { enumerable: true });
      window.Sloppy = Sloppy;
      window.RTCStray = class RTCStray {};
    }""")
    model = {"Sloppy": {
        "owned": True, "inherits": "EventTarget", "constructorLength": None, "maplike": False,
        "members": {
            "state": {"kind": "attribute", "static": False, "readonly": True, "promise": False},
            "close": {"kind": "operation", "static": False, "length": 0, "promise": False},
            "missing": {"kind": "operation", "static": False, "length": 0, "promise": True},
        },
    }}
    # This model knows no RTC* global but Sloppy: keep the lines about Sloppy and RTCStray.
    found = [line for line in shim_page.evaluate(CHECK, model) if line.startswith(("Sloppy", "RTCStray"))]
    assert sorted(found) == sorted([
        "RTCStray: a global the IDL does not have",
        "Sloppy: window property is not writable, non-enumerable and configurable",
        "Sloppy: constructible, the IDL has no constructor",
        "Sloppy: prototype does not inherit from EventTarget.prototype",
        "Sloppy: interface object does not inherit from EventTarget",
        "Sloppy: Symbol.toStringTag is not the interface name (read-only, non-enumerable, configurable)",
        "Sloppy.extra: not in the IDL",
        "Sloppy.state: has a setter, the IDL says readonly",
        "Sloppy.state getter: no brand check (works on a foreign object)",
        "Sloppy.state setter: no brand check (works on a foreign object)",
        "Sloppy.close: not a writable, enumerable, configurable property",
        "Sloppy.close: length is 1, the IDL says 0",
        "Sloppy.close: no brand check (works on a foreign object)",
        "Sloppy.missing: missing operation",
    ])
