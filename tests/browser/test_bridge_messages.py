"""What the page hears of the bridge: a warning and `bridgeclose` when it drops, a call trace with debug."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, WebSocketRoute

from .conftest import SHIM_INSTALLED


def test_server_closing_the_bridge_warns_and_fires_bridgeclose(shim_context: BrowserContext) -> None:
    sides: list[WebSocketRoute] = []

    def route(page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()
        page_side.on_message(server_side.send)
        server_side.on_message(page_side.send)
        sides.append(page_side)

    warnings: list[str] = []
    page = shim_context.new_page()
    page.route_web_socket("**/bridge", route)
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    page.goto("/static/blank.html")
    page.wait_for_function(SHIM_INSTALLED)
    page.evaluate("""async () => {
      rtcshim.events.addEventListener('bridgeclose', (event) => { window.bridgeClosed = event.detail; });
      window.pc = new RTCPeerConnection();
      await rtcshim.session();
    }""")
    assert warnings == []
    [page_side] = sides
    page_side.close(code=1001)  # as a server going away closes it: no reason
    detail = page.wait_for_function("window.bridgeClosed").json_value()
    assert detail == {"code": 1001, "reason": "the connection to the rtcshim server was lost "
                                              "(WebSocket code 1001: the server is going away)"}
    assert warnings == [f"rtcshim: {detail['reason']}; the page's peer connections have failed"]
    assert page.evaluate("pc.createOffer().then(() => 'resolved', (error) => `${error.name}: ${error.message}`)") == (
        f"OperationError: {detail['reason']}")
    assert page.evaluate("pc.connectionState") == "failed"


@pytest.mark.shim_options(debug=True)
def test_debug_traces_each_call_with_its_outcome(shim_page: Page) -> None:
    traced: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "debug":
            traced.append(message.text)

    shim_page.on("console", keep)
    shim_page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      await pc.createOffer();
      await pc.setRemoteDescription({ type: 'offer', sdp: 'garbage' }).catch(() => {});
      await rtcshim.session();
    }""")
    assert any(line.startswith("rtcshim: Session.createPeerConnection({") and " ms" in line for line in traced)
    [offer] = [line for line in traced if line.startswith("rtcshim: PeerConnection.createOffer(")]
    assert '-> {"description":{"type":"offer","sdp":"v=0' in offer
    assert "chars)" in offer  # the SDP is cut
    [rejected] = [line for line in traced if line.startswith("rtcshim: PeerConnection.setRemoteDescription(")]
    assert '"sdp":"garbage"' in rejected
    assert "-> OperationError: invalid SDP at line 1: 'garbage' in " in rejected
    assert rejected.endswith(" ms")


def test_without_debug_nothing_is_traced(shim_page: Page) -> None:
    traced: list[str] = []
    shim_page.on("console", lambda message: traced.append(message.text) if message.type == "debug" else None)
    shim_page.evaluate("async () => { await new RTCPeerConnection().createOffer(); }")
    assert traced == []
