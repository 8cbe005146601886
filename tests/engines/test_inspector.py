"""/inspector in every engine: opened in a page of the engine, it shows the call another
shimmed page of the same engine makes (both peer connections connected, the selected pair,
the data channel's counters), then its end, without a reload."""

from __future__ import annotations

from collections.abc import Callable

from rtcshim.serving import ServerThread

from .engine_page import EnginePage, every_engine

# Resolves to what `read()` returns once it is truthy (30 s at most): the inspector page has
# no page helpers of its own.
WAIT_FOR = """const waitFor = (read, what) => new Promise((resolve, reject) => {
  const started = Date.now();
  const check = () => {
    const value = read();
    if (value) resolve(value);
    else if (Date.now() - started > 30000) reject(new Error(`never happened: ${what}`));
    else setTimeout(check, 50);
  };
  check();
});"""

LIVE = "async () => { " + WAIT_FOR + """
  await waitFor(() => document.getElementById('feed-status').dataset.status === 'live', 'the feed is live');
  window.loadedOnce = true;
}"""

# The session's two connections connected, their selected pairs, and the counters `sent`
# messages reached (the inspector also keeps closed sessions of earlier tests).
CALL_SHOWN = "async ([session, sent]) => { " + WAIT_FOR + """
  const pcs = () => [...document.querySelectorAll(`[data-session="${session}"] [data-pc]`)];
  const state = (pc) => pc.querySelector('[data-state="connectionState"]').textContent;
  await waitFor(() => pcs().length === 2 && pcs().every((pc) => state(pc) === 'connected'), 'two connected');
  await waitFor(() => pcs().every((pc) => pc.querySelector('.pairs tr.selected')), 'a selected pair each');
  const counter = (name) => [...document.querySelectorAll(`.channels-table td.${name}`)].map((td) => td.textContent);
  await waitFor(() => counter('messagesSent').includes(String(sent)), `${sent} messages sent`);
  await waitFor(() => counter('messagesReceived').includes(String(sent)), `${sent} messages received`);
  return { states: pcs().map(state), selected: pcs().map((pc) => pc.querySelectorAll('.pairs tr.selected').length),
           sdpSections: pcs().map((pc) => pc.querySelectorAll('.sdp-local details.sdp-section').length) };
}"""

CALL_ENDED = "async (session) => { " + WAIT_FOR + """
  const pcs = () => [...document.querySelectorAll(`[data-session="${session}"] [data-pc]`)];
  await waitFor(() => pcs().every((pc) => pc.dataset.closed === 'true'), 'both closed');
  return { states: pcs().map((pc) => pc.querySelector('[data-state="connectionState"]').textContent),
           loadedOnce: window.loadedOnce };
}"""


@every_engine
def test_inspector_in_the_engine_shows_a_call_of_the_engine_live(
    engine_page: EnginePage, open_engine_page: Callable[[], EnginePage], server: ServerThread,
) -> None:
    inspector = open_engine_page()
    inspector.load(f"{server.url}/inspector")
    inspector.evaluate(LIVE)
    engine_page.evaluate("async () => { window.pair = await makePair(); pair.channel.send('one'); }")
    (session,) = server.registry.sessions
    assert inspector.evaluate(CALL_SHOWN, [session, 1]) == {
        "states": ["connected", "connected"], "selected": [1, 1], "sdpSections": [2, 2]}
    engine_page.evaluate("() => { pair.channel.send('two'); pair.channel.send('three'); }")
    assert inspector.evaluate(CALL_SHOWN, [session, 3])["states"] == ["connected", "connected"]
    engine_page.evaluate("() => { pair.a.close(); pair.b.close(); }")
    assert inspector.evaluate(CALL_ENDED, session) == {"states": ["closed", "closed"], "loadedOnce": True}
