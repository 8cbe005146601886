"""rtcshim's tuned SCTP (sctp_tuning.py) and native Firefox ESR's understand each other.

As test_sctp_interop_native.py, with a Firefox page (tests/browser/firefox.py) at the other
end: 10,000 small messages and a few large ones each way on one ordered channel, all in
order; the server's association bundled what it sent and SACKed every second packet.
"""

from __future__ import annotations

from playwright.sync_api import Page

from rtcshim.serving import ServerThread

from .firefox import FirefoxPage
from .page_peer_calls import connect
from .test_sctp_interop_native import (
    SctpCount,
    assert_bundled_both_ways,
    count_server_packets,
    difference,
    send_and_receive_in_order,
)

CHANNEL_OPEN = "() => until(() => window.peer.channel && window.peer.channel.readyState === 'open', 'the channel opens')"


def test_ten_thousand_messages_each_way_arrive_in_order(
    shim_page: Page, firefox_page: FirefoxPage, server: ServerThread
) -> None:
    pages = {"shim": shim_page, "firefox": firefox_page}
    for page in pages.values():
        page.evaluate("() => openPagePeer()")
    try:
        shim_page.evaluate("() => window.peer.adopt(window.peer.pc.createDataChannel('many'))")
        connect(pages, "shim")
        for page in pages.values():
            page.evaluate(CHANNEL_OPEN)
        count = count_server_packets(server)

        to_firefox_seconds = send_and_receive_in_order(shim_page, firefox_page, "peer")
        to_firefox = SctpCount(**vars(count))
        from_firefox_seconds = send_and_receive_in_order(firefox_page, shim_page, "peer")
        from_firefox = difference(count, to_firefox)
    finally:
        for page in pages.values():
            page.evaluate("() => window.peer.close()")

    assert_bundled_both_ways(to_firefox, from_firefox)
    print(f"to Firefox: {to_firefox}, {to_firefox_seconds:.1f} s; "
          f"from Firefox: {from_firefox}, {from_firefox_seconds:.1f} s")
