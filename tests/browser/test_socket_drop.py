"""When the bridge socket drops, nothing hangs: calls settle, connections report failure."""

from __future__ import annotations

import threading

from playwright.sync_api import BrowserContext, WebSocketRoute

from rtcshim.serving import ServerThread

from .page_helpers import load_page_helpers


class BridgeCutter:
    """Sits between the page and the bridge: can hold the page's calls, then cut the socket."""

    def __init__(self) -> None:
        self.hold = False
        self.page_side: WebSocketRoute | None = None
        self.server_side: WebSocketRoute | None = None
        self.held: list[str | bytes] = []

    def route(self, page_side: WebSocketRoute) -> None:
        self.page_side = page_side
        self.server_side = page_side.connect_to_server()
        page_side.on_message(self._from_page)
        self.server_side.on_message(page_side.send)

    def _from_page(self, message: str | bytes) -> None:
        if self.hold:
            self.held.append(message)
        else:
            assert self.server_side is not None
            self.server_side.send(message)

    def cut(self) -> None:
        assert self.page_side is not None and self.server_side is not None
        self.page_side.close()
        self.server_side.close()


def test_socket_drop_settles_everything(shim_context: BrowserContext, server: ServerThread) -> None:
    cutter = BridgeCutter()
    page = shim_context.new_page()
    page.route_web_socket("**/bridge", cutter.route)
    page.goto("/static/blank.html")
    load_page_helpers(page)
    page.evaluate("""async () => {
      window.pair = await makePair();
      window.log = [];
      for (const [name, pc] of [['a', pair.a], ['b', pair.b]]) {
        pc.oniceconnectionstatechange = () => log.push(`${name} ice ${pc.iceConnectionState}`);
        pc.onconnectionstatechange = () => log.push(`${name} connection ${pc.connectionState}`);
      }
      pair.channel.onerror = (event) => log.push(`channel error ${event.error.errorDetail}`);
      pair.channel.onclose = () => log.push('channel close');
    }""")
    cutter.hold = True
    page.evaluate("""() => {
      window.pending = pair.a.createOffer().then(() => 'resolved', (error) => error.name);
      window.legacy = new Promise((resolve) => {
        pair.b.createOffer(() => resolve('success'), (error) => resolve('failure ' + error.name));
      });
    }""")
    sessions_closed = threading.Event()
    unsubscribe = server.registry.subscribe(lambda change, subject: (
        sessions_closed.set() if change == "disposed" and not server.registry.sessions else None))
    cutter.cut()
    result = page.evaluate("""async () => ({
      pending: await pending,
      legacy: await legacy,
      after: await pair.a.createOffer().then(() => 'resolved', (error) => error.name),
      states: [pair.a.iceConnectionState, pair.a.connectionState, pair.channel.readyState],
      log,
    })""")
    assert cutter.held, "the calls were in flight when the socket dropped"
    assert result["pending"] == "OperationError"
    assert result["legacy"] == "failure OperationError"
    assert result["after"] == "OperationError"
    assert result["states"] == ["failed", "failed", "closed"]
    assert result["log"][:2] == ["a ice failed", "a connection failed"]
    assert "channel error sctp-failure" in result["log"]
    assert result["log"].index("channel error sctp-failure") < result["log"].index("channel close")
    # The server closed the page's peer connections when its socket went.
    assert sessions_closed.wait(30)
    unsubscribe()
    assert server.registry.objects() == []
