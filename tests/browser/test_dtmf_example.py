"""examples/dtmf-dialpad.html: keys dialled on Alice's side arrive, decoded, on Bob's server.

The page's "received" list comes from Bob's server (the `rtcshimdtmf` event); the test
also reads the same digits straight from the server's registry.
"""

from __future__ import annotations

from playwright.sync_api import BrowserContext, expect

from rtcshim.serving import ServerThread

from .dtmf_checks import received_tones, receiving_transceivers

TIMEOUT_MS = 20_000


def test_dialpad_sends_digits_that_bobs_server_decodes(shim_context: BrowserContext, server: ServerThread) -> None:
    page = shim_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/examples/dtmf-dialpad.html")
    expect(page.locator("#status")).to_contain_text("Connected", timeout=TIMEOUT_MS)

    page.fill("#number", "147#")
    page.click("#dial")
    # insertDTMF changed the buffer at once; the first tone then leaves it.
    expect(page.locator("#received")).to_have_text("147#", timeout=TIMEOUT_MS)
    expect(page.locator("#played")).to_have_text("147# ·", timeout=TIMEOUT_MS)
    expect(page.locator("#tone-buffer")).to_have_text("(empty)")

    page.click('button[data-key="0"]')
    expect(page.locator("#received")).to_have_text("147#0", timeout=TIMEOUT_MS)

    [bob] = receiving_transceivers(server)
    assert [tone.tone for tone in received_tones(server, bob, 5)] == list("147#0")
    assert errors == []
    expect(page.locator("#status")).not_to_have_class("status error")
