"""The examples in every engine, driven through their own UI: the loopback chat in one page,
the data channel chat's caller and callee in two tabs of one browser, the DTMF dial pad,
and the loopback video call (where the engine can show a video)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from rtcshim.serving import ServerThread

from ..browser.dtmf_checks import received_tones, receiving_transceivers
from ..browser.example_pages import bridged_peer_connections
from ..browser.relay_calls import new_room
from ..browser.test_examples import CALLER_GREETING
from .engine_page import ENGINES, EnginePage, every_engine, in_engines

# Types `text` into the input once the page enabled it (its channel is open), and sends it.
SEND_THROUGH_UI = """async ([input, button, text]) => {
  const field = document.querySelector(input);
  await until(() => !field.disabled, `${input} is enabled`);
  field.value = text;
  field.dispatchEvent(new Event('input', { bubbles: true }));
  document.querySelector(button).click();
}"""

# Waits until the element's text contains `text`; resolves to the element's text.
TEXT_APPEARS = """([selector, text]) => until(() => document.querySelector(selector).textContent.includes(text)
  && document.querySelector(selector).textContent, () => `${selector} shows ${JSON.stringify(text)}:`
  + ` it shows ${JSON.stringify(document.querySelector(selector).textContent)}`)"""


def say(page: EnginePage, input_selector: str, button_selector: str, text: str) -> None:
    page.evaluate(SEND_THROUGH_UI, [input_selector, button_selector, text])


def shows(page: EnginePage, selector: str, text: str) -> str:
    shown: str = page.evaluate(TEXT_APPEARS, [selector, text])
    return shown


def assert_connected_calls(server: ServerThread, sessions: int) -> None:
    peer_connections = bridged_peer_connections(server)
    assert len(peer_connections) == 2
    assert len({peer_connection.session for peer_connection in peer_connections}) == sessions
    for peer_connection in peer_connections:
        assert peer_connection.connection_state == "connected"
        assert peer_connection.data_channel_labels == ("Mydata",)


@every_engine
def test_loopback_chat(engine_page: EnginePage, server: ServerThread) -> None:
    engine_page.load(f"{server.url}/examples/loopback-chat.html")
    from_alice = "from Alice " + uuid.uuid4().hex
    say(engine_page, "#alice-message", "#alice-send", from_alice)
    shows(engine_page, "#bob-log", "Alice: " + from_alice)
    from_bob = "from Bob " + uuid.uuid4().hex
    say(engine_page, "#bob-message", "#bob-send", from_bob)
    assert "Alice: " not in shows(engine_page, "#alice-log", "Bob: " + from_bob)
    shows(engine_page, "#status", "Connected")
    assert_connected_calls(server, sessions=1)


@every_engine
def test_datachannel_caller_and_callee_in_two_tabs(
    engine_page: EnginePage, open_engine_page: Callable[[], EnginePage], server: ServerThread
) -> None:
    room = new_room("engines")
    caller = engine_page
    caller.load(f"{server.url}/examples/datachannel-caller.html?room={room}")
    shows(caller, "#status", f'In room "{room}"')
    callee = open_engine_page()
    callee.load(f"{server.url}/examples/datachannel-callee.html?room={room}")

    shows(callee, "#log", "Caller: " + CALLER_GREETING)
    from_callee = "from the callee " + uuid.uuid4().hex
    say(callee, "#message", "#send", from_callee)
    shows(caller, "#log", "Callee: " + from_callee)
    from_caller = "from the caller " + uuid.uuid4().hex
    say(caller, "#message", "#send", from_caller)
    shows(callee, "#log", "Caller: " + from_caller)
    assert_connected_calls(server, sessions=2)


# Engines that can show the video example: WPE's web process crashes within seconds of
# painting a playing <video> in the document (docs/engines.md), and the example shows two.
SHOWS_VIDEO = [name for name in ENGINES if name != "wpe"]

# Waits until `selector` shows a number, then a larger one; resolves to both.
NUMBER_GROWS = """async (selector) => {
  const shown = () => Number.parseInt(document.querySelector(selector).textContent, 10);
  const first = await until(() => Number.isInteger(shown()) && { value: shown() }, `${selector} shows a number`);
  const later = await until(() => shown() > first.value && { value: shown() },
    () => `${selector} grows past ${first.value}`);
  return [first.value, later.value];
}"""


@in_engines(SHOWS_VIDEO)
def test_video_loopback_readout_follows_the_remote_video(engine_page: EnginePage, server: ServerThread) -> None:
    engine_page.load(f"{server.url}/examples/video-loopback.html")
    shows(engine_page, "#status", "Connected")
    # The readout is the frame counter the example reads from the remote video's pixels.
    first, later = engine_page.evaluate(NUMBER_GROWS, "#frame-counter")
    assert later > first
    engine_page.evaluate("() => document.getElementById('hang-up').click()")
    shows(engine_page, "#status", "Hung up.")


@every_engine
def test_dtmf_dialpad_digits_reach_bobs_server(engine_page: EnginePage, server: ServerThread) -> None:
    engine_page.load(f"{server.url}/examples/dtmf-dialpad.html")
    shows(engine_page, "#status", "Connected")
    engine_page.evaluate("""() => {
      document.getElementById('number').value = '147#';
      document.getElementById('dial').click();
    }""")
    shows(engine_page, "#received", "147#")
    [bob] = receiving_transceivers(server)
    assert [tone.tone for tone in received_tones(server, bob, 4)] == list("147#")
