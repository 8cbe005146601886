"""negotiationneeded: what needs a negotiation, and when the event fires (webrtc-pc "update
the negotiation-needed flag" and "check if negotiation is needed")."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

# Sets up `pc`, a connection with one audio transceiver and the streams `before` names,
# negotiated with a second connection; then runs `change`; resolves to how many times
# negotiationneeded fired after it, once every event the server sent has been handled.
AFTER_NEGOTIATION = """async ({ before, change }) => {
  const streams = { s1: new MediaStream(), s2: new MediaStream() };
  const pc = new RTCPeerConnection();
  const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
  transceiver.sender.setStreams(...before.map((name) => streams[name]));
  await nextEvent(pc, 'negotiationneeded');
  const remote = new RTCPeerConnection();
  await pc.setLocalDescription(await pc.createOffer());
  await remote.setRemoteDescription(pc.localDescription);
  await pc.setRemoteDescription(await remote.createAnswer());
  remote.close();
  await settled();
  let fired = 0;
  pc.onnegotiationneeded = () => { fired += 1; };
  new Function('pc', 'transceiver', 'streams', change)(pc, transceiver, streams);
  await settled();
  await settled();
  pc.close();
  return fired;
}"""


@pytest.mark.parametrize(("before", "change", "fired"), [
    pytest.param([], "transceiver.sender.setStreams(streams.s1)", 1, id="a stream set"),
    pytest.param(["s1"], "transceiver.sender.setStreams(streams.s2)", 1, id="another stream"),
    pytest.param(["s1"], "transceiver.sender.setStreams(streams.s1, streams.s2)", 1, id="a stream added"),
    pytest.param(["s1", "s2"], "transceiver.sender.setStreams(streams.s2)", 1, id="a stream removed"),
    pytest.param(["s1", "s2"], "transceiver.sender.setStreams()", 1, id="every stream removed"),
    pytest.param(["s1"], "transceiver.sender.setStreams(streams.s1)", 0, id="the same stream"),
    pytest.param(["s1"], "transceiver.sender.setStreams(streams.s1, streams.s1)", 0, id="the same stream twice"),
    pytest.param(["s1", "s2"], "transceiver.sender.setStreams(streams.s2, streams.s1)", 0, id="reordered"),
    pytest.param(["s1", "s2"], "transceiver.sender.setStreams(streams.s1, streams.s2, streams.s1)", 0,
                 id="the same streams, one repeated"),
    pytest.param([], "transceiver.direction = 'recvonly'", 1, id="a direction changed"),
    pytest.param([], "", 0, id="nothing changed"),
])
def test_negotiationneeded_after_set_streams_and_direction(
        shim_page: Page, before: list[str], change: str, fired: int) -> None:
    assert shim_page.evaluate(AFTER_NEGOTIATION, {"before": before, "change": change}) == fired


# Adds a getUserMedia track to `pc` and waits for the negotiationneeded that follows; then
# counts the later ones (`events.fired`).
ADD_TRACK = """
  window.addTrackNegotiated = async (pc) => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const sender = pc.addTrack(stream.getTracks()[0], stream);
    await nextEvent(pc, 'negotiationneeded', 'negotiationneeded after addTrack');
    const events = { sender, fired: 0 };
    pc.onnegotiationneeded = () => { events.fired += 1; };
    return events;
  };
"""


def test_negotiationneeded_after_add_track_and_remove_track_on_the_caller(shim_page: Page) -> None:
    shim_page.evaluate(f"() => {{ {ADD_TRACK} }}")
    result = shim_page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      const events = await addTrackNegotiated(pc);
      const remote = new RTCPeerConnection();
      await pc.setLocalDescription(await pc.createOffer());
      await remote.setRemoteDescription(pc.localDescription);
      await pc.setRemoteDescription(await remote.createAnswer());
      await settled();
      const afterNegotiation = events.fired;
      pc.removeTrack(events.sender);
      await until(() => events.fired === 1, 'negotiationneeded after removeTrack');
      await settled();
      pc.close();
      remote.close();
      return { afterNegotiation, fired: events.fired };
    }""")
    assert result == {"afterNegotiation": 0, "fired": 1}


def test_negotiationneeded_after_remove_track_on_the_callee_while_its_answer_is_set(shim_page: Page) -> None:
    """removeTrack right after an unawaited setLocalDescription(answer): the flag waits for
    the chain to empty, and the answer made before removeTrack still sends."""
    shim_page.evaluate(f"() => {{ {ADD_TRACK} }}")
    result = shim_page.evaluate("""async () => {
      const caller = new RTCPeerConnection();
      caller.addTransceiver('audio', { direction: 'recvonly' });
      const offer = await caller.createOffer();
      const callee = new RTCPeerConnection();
      const events = await addTrackNegotiated(callee);
      await callee.setRemoteDescription(offer);
      const answered = callee.setLocalDescription(await callee.createAnswer());
      callee.removeTrack(events.sender);
      await answered;
      const whenAnswered = events.fired;
      await until(() => events.fired === 1, 'negotiationneeded after removeTrack');
      await settled();
      caller.close();
      callee.close();
      return { whenAnswered, fired: events.fired };
    }""")
    assert result == {"whenAnswered": 0, "fired": 1}
