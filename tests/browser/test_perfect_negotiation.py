"""webrtc-pc's perfect negotiation (10.7) with glare, through the signaling relay.

Each page runs page_helpers.js's `joinPerfectNegotiation`: it offers from negotiationneeded
with an implicit setLocalDescription; the impolite side ignores an offer that collides with
its own, the polite side takes it, its setRemoteDescription rolling its own offer back. Both
pages make their changes at once (a data channel and their getUserMedia camera and
microphone) and hold what they would send until both have an offer of their own, so the
two offers always cross. Both must end connected, stable, with both channels open and
carrying messages both ways and each side's video reaching the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page

from .relay_calls import CAMERA_AND_MICROPHONE, new_room

IS_NATIVE = "RTCPeerConnection.toString().includes('[native code]')"


def wait(page: Page, check: str, what: str) -> Any:
    return page.evaluate(f"() => window.perfect.until((perfect) => {check}, {what!r})")


def negotiate_with_glare(polite: Page, impolite: Page) -> None:
    room = new_room("perfect")
    sides = {"polite": polite, "impolite": impolite}
    for name, page in sides.items():
        page.evaluate("(params) => window.joinPerfectNegotiation(params)", {"room": room, "polite": name == "polite"})
    for page in sides.values():
        wait(page, "perfect.joined", "the other page in the room")
    for name, page in sides.items():
        page.evaluate("([label, media]) => window.perfect.makeChanges(label, media)",
                      [f"from-{name}", CAMERA_AND_MICROPHONE])
    for name, page in sides.items():
        wait(page, "perfect.pc.signalingState === 'have-local-offer' && perfect.outbox.some((m) => m.description)",
             f"{name}: an offer of its own, held")
    for page in sides.values():
        page.evaluate("() => window.perfect.release()")

    for name, page in sides.items():
        wait(page, """perfect.pc.connectionState === 'connected' && perfect.pc.signalingState === 'stable'
                      && ['from-polite', 'from-impolite'].every((label) =>
                        perfect.channels[label] && perfect.channels[label].channel.readyState === 'open')
                      && perfect.remote.some((entry) => entry.kind === 'video')
                      && perfect.remote.some((entry) => entry.kind === 'audio')""",
             f"{name}: connected and stable, both channels open, the other's camera and microphone")
    # The offers crossed: the impolite side ignored the polite one's, the polite side rolled back.
    assert impolite.evaluate("window.perfect.ignored") >= 1
    assert polite.evaluate("window.perfect.collisions") >= 1
    polite_states = polite.evaluate("window.perfect.signalingStates")
    assert polite_states[:3] == ["have-local-offer", "stable", "have-remote-offer"], polite_states

    for name, page in sides.items():
        page.evaluate("([name]) => { for (const { channel } of Object.values(window.perfect.channels)) "
                      "channel.send(`${channel.label} to the other, by ${name}`); }", [name])
    for name, page in sides.items():
        other = "impolite" if name == "polite" else "polite"
        received = wait(page, """['from-polite', 'from-impolite'].every((label) =>
                                   perfect.channels[label].received.length > 0)
                                 && Object.fromEntries(Object.entries(perfect.channels)
                                   .map(([label, entry]) => [label, entry.received]))""",
                        f"{name}: a message on each channel")
        assert received == {label: [f"{label} to the other, by {other}"] for label in ("from-polite", "from-impolite")}
        changes = page.evaluate("""async (what) => videoChanges(
                                     window.perfect.remote.find((entry) => entry.kind === 'video').element, what)""",
                                f"{name}: the other's camera")
        assert len(changes["hashes"]) >= 2, changes
    for page in sides.values():
        page.evaluate("() => window.leavePerfectNegotiation()")


def test_two_shimmed_pages_negotiate_perfectly_through_glare(open_shim_page: Callable[[], Page]) -> None:
    polite, impolite = open_shim_page(), open_shim_page()
    negotiate_with_glare(polite, impolite)


def test_a_shimmed_polite_page_and_a_native_impolite_page(shim_page: Page, native_page: Page) -> None:
    assert native_page.evaluate(IS_NATIVE) and not shim_page.evaluate(IS_NATIVE)
    negotiate_with_glare(polite=shim_page, impolite=native_page)


def test_a_native_polite_page_and_a_shimmed_impolite_page(shim_page: Page, native_page: Page) -> None:
    negotiate_with_glare(polite=native_page, impolite=shim_page)
