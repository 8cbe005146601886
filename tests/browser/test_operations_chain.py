"""webrtc-pc's operations chain in the page: which methods chain, the checks an operation
makes at once on an empty chain, the order operations settle in, and closing while one is
pending (its promise never settles) as against the socket dropping (it rejects)."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page

from rtcshim.serving import ServerThread

from .page_helpers import load_page_helpers
from .test_socket_drop import BridgeCutter

# How a promise stands once the microtasks queued so far (and those they queue, a few
# levels deep) have run, in the same task: 'fulfilled', 'rejected <name>' or 'pending'.
SAME_TASK = """
  window.sameTask = async (promise) => {
    let state = 'pending';
    promise.then(() => { state = 'fulfilled'; }, (error) => { state = `rejected ${error.name}`; });
    for (let turn = 0; turn < 20; turn += 1) await undefined;
    return state;
  };
"""


@pytest.fixture
def page(shim_page: Page) -> Page:
    shim_page.evaluate(f"() => {{ {SAME_TASK} }}")
    return shim_page


@pytest.mark.parametrize(("setup", "operation"), [
    pytest.param("await pc.setRemoteDescription(await new RTCPeerConnection().createOffer());",
                 "pc.createOffer()", id="createOffer in have-remote-offer"),
    pytest.param("", "pc.createAnswer()", id="createAnswer in stable"),
    pytest.param("", "pc.setLocalDescription({ type: 'rollback' })", id="local rollback in stable"),
    pytest.param("", "pc.setRemoteDescription({ type: 'rollback' })", id="remote rollback in stable"),
    pytest.param("await pc.setRemoteDescription(await new RTCPeerConnection().createOffer());",
                 "pc.setLocalDescription({ type: 'rollback' })", id="local rollback of a remote offer"),
    pytest.param("await pc.setLocalDescription(await pc.createOffer());",
                 "pc.setRemoteDescription({ type: 'rollback' })", id="remote rollback of a local offer"),
    pytest.param("", "pc.addIceCandidate({ candidate: 'candidate:1 1 udp 1 10.78.0.1 9 typ host', sdpMid: '0' })",
                 id="addIceCandidate without a remote description"),
    pytest.param("const transceiver = pc.addTransceiver('audio'); transceiver.stop();",
                 "transceiver.sender.replaceTrack(null)", id="replaceTrack on a stopped transceiver"),
])
def test_operation_on_an_empty_chain_rejects_in_the_same_task(page: Page, setup: str, operation: str) -> None:
    state = page.evaluate(f"""async () => {{
      const pc = new RTCPeerConnection();
      {setup}
      const state = await sameTask(Promise.resolve({operation}));
      pc.close();
      return state;
    }}""")
    assert state == "rejected InvalidStateError"


def test_operation_behind_another_is_checked_in_its_turn(page: Page) -> None:
    """createAnswer in stable behind a createOffer: the same error, once the offer is made."""
    result = page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      const offer = pc.createOffer();
      const answer = pc.createAnswer();
      const answerAtOnce = await sameTask(answer);
      const order = [];
      await Promise.allSettled([offer.then(() => order.push('offer')),
                                answer.catch((error) => order.push(`answer ${error.name}`))]);
      pc.close();
      return { answerAtOnce, order };
    }""")
    assert result == {"answerAtOnce": "pending", "order": ["offer", "answer InvalidStateError"]}


@pytest.mark.parametrize("operation", [
    "pc.getStats()", "sender.getStats()", "receiver.getStats()",
    "sender.setParameters(sender.getParameters())",
])
def test_methods_outside_the_chain_leave_it_empty(page: Page, operation: str) -> None:
    """While one of these is under way, an operation still runs at once (createAnswer in
    stable rejects in the same task)."""
    result = page.evaluate(f"""async () => {{
      const pc = new RTCPeerConnection();
      const {{ sender, receiver }} = pc.addTransceiver('audio');
      await nextEvent(pc, 'negotiationneeded');
      const underWay = {operation};
      const check = await sameTask(pc.createAnswer());
      const own = await sameTask(underWay);
      await underWay;
      pc.close();
      return {{ check, own }};
    }}""")
    assert result == {"check": "rejected InvalidStateError", "own": "pending"}


def test_chained_operations_settle_in_call_order_and_leave_the_chain_before_the_page_hears(page: Page) -> None:
    result = page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      const { sender } = pc.addTransceiver('audio');
      const [track] = (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks();
      const order = [];
      const offer = pc.createOffer();
      const replaced = sender.replaceTrack(track);  // behind the offer: it chains too
      const replacedAtOnce = await sameTask(replaced);
      const localSet = pc.setLocalDescription();
      await Promise.all([offer.then(() => order.push('createOffer')), replaced.then(() => order.push('replaceTrack')),
                         localSet.then(() => order.push('setLocalDescription'))]);
      // The last operation left the chain before this line ran: an operation runs at once.
      const afterwards = await sameTask(pc.createAnswer());
      pc.close();
      return { replacedAtOnce, order, afterwards };
    }""")
    assert result == {"replacedAtOnce": "pending", "order": ["createOffer", "replaceTrack", "setLocalDescription"],
                      "afterwards": "rejected InvalidStateError"}


def test_create_offer_and_answer_resolve_with_plain_dictionaries(page: Page) -> None:
    result = page.evaluate("""async () => {
      const offerer = new RTCPeerConnection();
      const answerer = new RTCPeerConnection();
      offerer.createDataChannel('x');
      const offer = await offerer.createOffer();
      await answerer.setRemoteDescription(offer);
      const answer = await answerer.createAnswer();
      offerer.close();
      answerer.close();
      return [offer, answer].map((description) => ({
        plain: Object.getPrototypeOf(description) === Object.prototype,
        keys: Object.keys(description).sort(), type: description.type,
      }));
    }""")
    assert result == [{"plain": True, "keys": ["sdp", "type"], "type": "offer"},
                      {"plain": True, "keys": ["sdp", "type"], "type": "answer"}]


@pytest.mark.parametrize(("setup", "change", "expected"), [
    pytest.param("", "pc.addTransceiver('audio')", ["audio sendrecv"], id="addTransceiver"),
    pytest.param("", "pc.addTrack(track)", ["video sendrecv"], id="addTrack"),
    pytest.param("", "pc.createDataChannel('x')", ["application"], id="createDataChannel"),
    pytest.param("pc.addTrack(track);", "pc.getTransceivers()[0].direction = 'inactive'", ["video inactive"],
                 id="direction"),
    pytest.param("pc.addTrack(track);", "pc.removeTrack(pc.getSenders()[0])", ["video recvonly"], id="removeTrack"),
])
def test_create_offer_describes_what_the_page_changed_while_it_ran(
        page: Page, setup: str, change: str, expected: list[str]) -> None:
    """webrtc-pc "final steps to create an offer": a change made after createOffer was
    called but before its offer came back is in the offer (made again), and in the one
    setLocalDescription takes."""
    result = page.evaluate(f"""async () => {{
      const pc = new RTCPeerConnection();
      const [track] = (await navigator.mediaDevices.getUserMedia({{ video: true }})).getVideoTracks();
      {setup}
      const offer = pc.createOffer();
      {change};
      const {{ sdp }} = await offer;
      await pc.setLocalDescription({{ type: 'offer', sdp }});
      pc.close();
      return sdp.split(/^m=/m).slice(1).map((section) => {{
        const direction = section.match(/^a=(sendrecv|sendonly|recvonly|inactive)$/m);
        return section.split(' ')[0] + (direction ? ` ${{direction[1]}}` : '');
      }});
    }}""")
    assert result == expected


@pytest.mark.parametrize("operation", [
    "pc.setLocalDescription()",
    "pc.setRemoteDescription(offer)",
    "pc.createOffer()",
    "pc.addIceCandidate(null)",
])
def test_close_while_an_operation_is_pending_never_settles_it(page: Page, operation: str) -> None:
    result = page.evaluate(f"""async () => {{
      const offer = await new RTCPeerConnection().createOffer();
      const pc = new RTCPeerConnection();
      if ('{operation}'.startsWith('pc.addIceCandidate')) await pc.setRemoteDescription(offer);
      let outcome = 'never settled';
      {operation}.then(() => {{ outcome = 'resolved'; }}, (error) => {{ outcome = `rejected ${{error.name}}`; }});
      pc.close();
      await settled();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await settled();
      return {{ outcome, state: pc.signalingState }};
    }}""")
    assert result == {"outcome": "never settled", "state": "closed"}


def test_socket_drop_rejects_pending_operations_but_not_those_of_a_closed_connection(
        shim_context: BrowserContext, server: ServerThread) -> None:
    """pc.close() leaves its operations' promises pending for good (webrtc-pc); the socket
    dropping rejects every call still in flight of a connection still open."""
    cutter = BridgeCutter()
    page = shim_context.new_page()
    page.route_web_socket("**/bridge", cutter.route)
    page.goto("/static/blank.html")
    load_page_helpers(page)
    page.evaluate("async () => { window.connections = { open: new RTCPeerConnection(), closed: new RTCPeerConnection() };"
                  " await settled(); }")
    cutter.hold = True
    page.evaluate("""() => {
      window.outcomes = { open: 'never settled', closed: 'never settled' };
      for (const name of ['open', 'closed']) {
        connections[name].setLocalDescription().then(() => { outcomes[name] = 'resolved'; },
                                                (error) => { outcomes[name] = `rejected ${error.name}`; });
      }
      connections.closed.close();
    }""")
    cutter.cut()
    result = page.evaluate("""async () => {
      await until(() => outcomes.open !== 'never settled', 'the open connection\\'s call settles');
      await new Promise((resolve) => setTimeout(resolve, 100));
      return outcomes;
    }""")
    assert result == {"open": "rejected OperationError", "closed": "never settled"}
