"""A shimmed page and a native Chromium page call each other through the signaling relay.

The shimmed page has no WebRTC of its own (`shim_context`); the native page loads the
shim with `mode: 'missing'`, which installs nothing in Chromium, so it keeps Chromium's
RTCPeerConnection. Both pages trickle their candidates through `/signal/<room>`, as the
examples do, and open one data channel; messages then cross it both ways.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

# `window.joinCall({room, offerer})` joins the relay room and, once the other page is
# there, negotiates one data channel ("chat") with it. Progress is kept in `window.call`:
# `ready` once the channel is open and both connection states are 'connected' (ICE may
# go on to 'completed'), `error` if anything failed, and the state histories, the
# candidates trickled each way and the messages received.
CALL = """() => {
window.joinCall = ({ room, offerer }) => {
  const call = window.call = {
    ready: false, error: null, received: [], iceConnectionStates: [], connectionStates: [],
    candidatesSent: 0, candidatesReceived: 0, channel: null,
  };
  const fail = (error) => { call.error = call.error || String(error && error.stack || error); };
  const pc = call.pc = new RTCPeerConnection({ iceServers: [] });
  const address = new URL('/signal/' + encodeURIComponent(room), location.href);
  address.protocol = 'ws:';
  const socket = call.socket = new WebSocket(address.href);
  const send = (message) => socket.send(JSON.stringify(message));

  const checkReady = () => {
    call.ready = Boolean(call.channel && call.channel.readyState === 'open'
      && call.iceConnectionStates.includes('connected')
      && call.connectionStates.includes('connected'));
  };
  const adoptChannel = (channel) => {
    call.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.onopen = checkReady;
    channel.onmessage = (event) => {
      call.received.push(typeof event.data === 'string'
        ? event.data : 'bytes:' + Array.from(new Uint8Array(event.data)).join(','));
    };
    checkReady();
  };
  pc.oniceconnectionstatechange = () => {
    call.iceConnectionStates.push(pc.iceConnectionState);
    if (pc.iceConnectionState === 'failed') fail('ICE failed');
    checkReady();
  };
  pc.onconnectionstatechange = () => {
    call.connectionStates.push(pc.connectionState);
    if (pc.connectionState === 'failed') fail('connection failed');
    checkReady();
  };
  pc.onicecandidate = (event) => {
    if (event.candidate) call.candidatesSent += 1;
    send({ candidate: event.candidate });
  };
  pc.ondatachannel = (event) => adoptChannel(event.channel);

  // Messages are handled one at a time, in relay order; candidates that arrive before
  // the remote description wait for it.
  let earlyCandidates = [];
  let offered = false;
  const handle = async (message) => {
    if (message.relay === 'room' && message.peers > 0 || message.relay === 'joined') {
      if (offerer && !offered) {
        offered = true;
        adoptChannel(pc.createDataChannel('chat'));
        await pc.setLocalDescription(await pc.createOffer());
        send({ description: pc.localDescription });
      }
    } else if (message.description) {
      await pc.setRemoteDescription(message.description);
      for (const candidate of earlyCandidates) await pc.addIceCandidate(candidate);
      earlyCandidates = null;
      if (message.description.type === 'offer') {
        await pc.setLocalDescription(await pc.createAnswer());
        send({ description: pc.localDescription });
      }
    } else if ('candidate' in message) {
      if (message.candidate) call.candidatesReceived += 1;
      if (earlyCandidates) earlyCandidates.push(message.candidate);
      else await pc.addIceCandidate(message.candidate);
    }
  };
  let chain = Promise.resolve();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    chain = chain.then(() => handle(message)).catch(fail);
  };
  socket.onerror = () => fail('signaling socket error');
};
}
"""

IS_NATIVE = "RTCPeerConnection.toString().includes('[native code]')"



def open_blank_page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.goto("/static/blank.html")
    page.wait_for_function("window.rtcshim && window.rtcshim.installed")
    page.evaluate(CALL)
    return page


def wait_until_ready(page: Page) -> None:
    page.wait_for_function("window.call.ready || window.call.error !== null")
    assert page.evaluate("window.call.error") is None


def exchange_messages(sender: Page, receiver: Page, name: str) -> None:
    """`sender` sends one text and one binary message; `receiver` gets both, in order."""
    sender.evaluate(
        """(name) => {
          window.call.channel.send('hello from ' + name);
          window.call.channel.send(new Uint8Array([0, 1, 2, 254, 255]));
        }""",
        name,
    )
    receiver.wait_for_function("window.call.received.length >= 2 || window.call.error !== null")
    assert receiver.evaluate("window.call.received") == [
        f"hello from {name}",
        "bytes:0,1,2,254,255",
    ]


def call_summary(page: Page) -> dict[str, Any]:
    summary: dict[str, Any] = page.evaluate(
        """() => ({
          iceConnectionState: window.call.pc.iceConnectionState,
          connectionState: window.call.pc.connectionState,
          iceConnectionStates: window.call.iceConnectionStates,
          connectionStates: window.call.connectionStates,
          candidatesSent: window.call.candidatesSent,
          candidatesReceived: window.call.candidatesReceived,
          label: window.call.channel.label,
        })"""
    )
    return summary


def run_call(shim_page: Page, native_page: Page, offerer: str) -> None:
    room = f"interop-{uuid.uuid4().hex}"
    shim_page.evaluate("(args) => window.joinCall(args)", {"room": room, "offerer": offerer == "shim"})
    native_page.evaluate("(args) => window.joinCall(args)", {"room": room, "offerer": offerer == "native"})
    wait_until_ready(shim_page)
    wait_until_ready(native_page)

    for page in (shim_page, native_page):
        summary = call_summary(page)
        assert summary["iceConnectionState"] in ("connected", "completed"), summary
        assert "connected" in summary["iceConnectionStates"], summary
        assert summary["connectionState"] == "connected", summary
        assert summary["label"] == "chat"
        # Trickle ICE: each side sent candidates through the relay and received the other's.
        assert summary["candidatesSent"] > 0, summary
        assert summary["candidatesReceived"] > 0, summary

    exchange_messages(shim_page, native_page, "shim")
    exchange_messages(native_page, shim_page, "native")

    for page in (shim_page, native_page):
        page.evaluate("() => { window.call.pc.close(); window.call.socket.close(); }")
        assert page.evaluate("window.call.pc.signalingState") == "closed"


@pytest.fixture
def interop_pages(shim_context: BrowserContext, native_context: BrowserContext) -> tuple[Page, Page]:
    shim_page = open_blank_page(shim_context)
    native_page = open_blank_page(native_context)
    return shim_page, native_page


def test_pages_use_shim_and_native_peer_connection(interop_pages: tuple[Page, Page]) -> None:
    shim_page, native_page = interop_pages
    assert native_page.evaluate(IS_NATIVE) is True
    assert native_page.evaluate("window.rtcshim.options.mode") == "missing"
    assert shim_page.evaluate(IS_NATIVE) is False
    assert shim_page.evaluate("window.rtcshim.native.RTCPeerConnection === undefined")


def test_data_channel_works_when_shim_offers(interop_pages: tuple[Page, Page]) -> None:
    shim_page, native_page = interop_pages
    assert native_page.evaluate(IS_NATIVE) and not shim_page.evaluate(IS_NATIVE)
    run_call(shim_page, native_page, offerer="shim")


def test_data_channel_works_when_native_offers(interop_pages: tuple[Page, Page]) -> None:
    shim_page, native_page = interop_pages
    assert native_page.evaluate(IS_NATIVE) and not shim_page.evaluate(IS_NATIVE)
    run_call(shim_page, native_page, offerer="native")
