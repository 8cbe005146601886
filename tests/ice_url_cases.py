"""ICE server URLs and what native Chromium 156 throws for each (measured 2026-12-05), with
and without a username and credential: "ok", "SyntaxError" or "InvalidAccessError".

Used by tests/test_ice_urls.py (the server's checks) and tests/browser/test_ice_policy.py
(the shim's checks, and native Chromium's again)."""

from __future__ import annotations

OK, SYNTAX, ACCESS = "ok", "SyntaxError", "InvalidAccessError"

# url: (with credentials, without)
CHROMIUM_ERRORS: dict[str, tuple[str, str]] = {
    "": (SYNTAX, SYNTAX),
    "relative-url": (SYNTAX, SYNTAX),
    "http://example.com": (SYNTAX, SYNTAX),
    "stun:": (SYNTAX, SYNTAX),
    "stun:example.com": (OK, OK),
    "STUN:example.com": (OK, OK),
    "stuns:example.com": (OK, OK),
    "stun:example.com ": (OK, OK),
    "stun: example.com": (SYNTAX, SYNTAX),
    "stun:exa mple.com": (SYNTAX, SYNTAX),
    "stun:example.com:1": (OK, OK),
    "stun:example.com:65535": (OK, OK),
    "stun:example.com:0003478": (OK, OK),
    "stun:example.com:0": (SYNTAX, SYNTAX),
    "stun:example.com:65536": (SYNTAX, SYNTAX),
    "stun:example.com:99999": (SYNTAX, SYNTAX),
    "stun:example.com:abc": (SYNTAX, SYNTAX),
    "stun:example.com:+3478": (SYNTAX, SYNTAX),
    "stun:example.com:": (SYNTAX, SYNTAX),
    "stun:example.com:3478:1": (SYNTAX, SYNTAX),
    "stun:example.com?transport=udp": (SYNTAX, SYNTAX),
    "stun:example.com?x": (SYNTAX, SYNTAX),
    "stun:example.com#frag": (SYNTAX, SYNTAX),
    "stun:example.com/path": (SYNTAX, SYNTAX),
    "stun://example.com": (SYNTAX, SYNTAX),
    "stun:user@example.com": (SYNTAX, SYNTAX),
    "stun:1.2.3.4:5": (OK, OK),
    "stun:[::1]": (OK, OK),
    "stun:[::1]:3478": (OK, OK),
    "stun:[fe80::1%25eth0]": (OK, OK),
    "stun:::1": (SYNTAX, SYNTAX),
    "stun:[::1": (SYNTAX, SYNTAX),
    "stun:ex_ample.com": (OK, OK),
    "stun:exämple.com": (OK, OK),
    "turn:example.com": (OK, ACCESS),
    "Turn:example.com": (OK, ACCESS),
    "turns:example.com": (OK, ACCESS),
    "turn:example.com?transport=udp": (OK, ACCESS),
    "turn:example.com:3478?transport=tcp": (OK, ACCESS),
    "turn:example.com?transport=TCP": (OK, ACCESS),
    "turns:example.com?transport=udp": (OK, ACCESS),
    "turn:[::1]:3478?transport=udp": (OK, ACCESS),
    "turn:example.com?transport=foo": (SYNTAX, ACCESS),
    "turn:example.com?transport=tcp&x=y": (SYNTAX, ACCESS),
    "turn:example.com?transport=": (SYNTAX, SYNTAX),
    "turn:example.com?foo=bar": (SYNTAX, SYNTAX),
    "turn://example.org/foo?x=y": (SYNTAX, SYNTAX),
    "turn:example.com:0": (SYNTAX, ACCESS),
}

# Where rtcshim is stricter than Chromium, on purpose: these are no address anyone can
# reach (Chromium takes them, then fails to gather from them).
DELIBERATE_DIFFERENCES: dict[str, tuple[str, str]] = {
    "stun:[v1.x]": (SYNTAX, SYNTAX),  # Chromium: ok (an RFC 3986 IPvFuture literal)
    "turn:example.com?transport=udp?transport=tcp": (SYNTAX, ACCESS),  # Chromium: ok
}
