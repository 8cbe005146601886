"""The data-channel exchange the message benchmarks time, for pages and for Python alike.

An offering peer opens two channels to an answering peer, which serves them:
- `rate`: the far end counts messages until one reads "end", then sends the count back;
- `echo`: the far end sends every message back as it came.
Descriptions carry their candidates (gathering is awaited), so the two ends may sit in one
page, in two pages, in a page and Python, or both in Python: the page functions (PAGE_JS)
and the Python ones below follow the same rules, so every mode times the same exchange.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from string import Template
from typing import Any, TypeVar

from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription

from rtcshim.aiortc_seams import flush_dtls_only_when_written, ice_connection
from rtcshim.sctp_tuning import tune_sctp
from rtcshim.socket_buffers import enlarge_socket_buffers

T = TypeVar("T")
# The sender pauses above this many bytes queued, and resumes at the low threshold (as
# bench/setup_time.py's throughput does): 10,000 small messages must not all queue at once.
HIGH_WATER = 1 << 20
LOW_WATER = 256 << 10
END = "end"

# Defined in each page: benchOffer/benchAnswer/benchAccept(name, ...) connect the peer
# `name`; benchRate(name, count, size) and benchEcho(name, count, size, intervalMs) time it.
PAGE_JS = Template("""() => {
  const DEADLINE_MS = 120000;
  const withDeadline = (promise, what) => {
    let timer;
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(what + ' took longer than ' + DEADLINE_MS + ' ms')), DEADLINE_MS);
    });
    return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
  };
  const opened = (channel) => channel.readyState === 'open'
    ? Promise.resolve() : new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }));
  const gathered = async (pc) => {
    if (pc.iceGatheringState !== 'complete') {
      await new Promise((resolve) => pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      }));
    }
    return { type: pc.localDescription.type, sdp: pc.localDescription.sdp };
  };
  const serve = (channel) => {
    if (channel.label === 'echo') {
      channel.onmessage = (event) => channel.send(event.data);
      return;
    }
    let count = 0;
    channel.onmessage = (event) => {
      if (event.data === 'end') {
        channel.send(String(count));
        count = 0;
      } else {
        count += 1;
      }
      window.benchCounted = count; // what arrived so far, for a run that stalls
    };
  };
  const nextMessage = (channel) => new Promise((resolve) => { channel.onmessage = (event) => resolve(event.data); });
  const peers = {};

  window.benchOffer = async (name) => {
    const pc = new RTCPeerConnection();
    const rate = pc.createDataChannel('rate');
    const echo = pc.createDataChannel('echo');
    peers[name] = { pc, rate, echo, open: Promise.all([opened(rate), opened(echo)]) };
    await pc.setLocalDescription(await pc.createOffer());
    return withDeadline(gathered(pc), 'gathering');
  };
  window.benchAnswer = async (name, offer) => {
    const pc = new RTCPeerConnection();
    pc.ondatachannel = (event) => serve(event.channel);
    peers[name] = { pc };
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    return withDeadline(gathered(pc), 'gathering');
  };
  window.benchAccept = async (name, answer) => {
    await peers[name].pc.setRemoteDescription(answer);
    await withDeadline(peers[name].open, 'data channels opening');
  };
  window.benchRate = async (name, count, size) => {
    const channel = peers[name].rate;
    const message = 'x'.repeat(size);
    channel.bufferedAmountLowThreshold = $low_water;
    const answered = nextMessage(channel);
    // A send the server refuses is an error event on the channel, not an exception.
    const errors = [];
    channel.onerror = (event) => errors.push(event.error ? event.error.message : 'error');
    const start = performance.now();
    let sent = 0;
    const sendAll = async () => {
      for (; sent < count; sent += 1) {
        if (channel.bufferedAmount > $high_water) {
          await new Promise((resolve) => channel.addEventListener('bufferedamountlow', resolve, { once: true }));
        }
        channel.send(message);
      }
      channel.send('end');
      return answered;
    };
    try {
      const received = Number(await withDeadline(sendAll(), 'message rate'));
      return { elapsedMs: performance.now() - start, received };
    } catch (error) {
      throw new Error(error.message + ': sent ' + sent + ' of ' + count + ', bufferedAmount '
        + channel.bufferedAmount + ', channel ' + channel.readyState + ', error events: '
        + (errors.length ? errors.length + ', the first: ' + errors[0] : 'none'));
    }
  };
  window.benchEcho = async (name, count, size, intervalMs = 0) => {
    const channel = peers[name].echo;
    const message = 'x'.repeat(size);
    const samples = [];
    for (let i = 0; i < count; i += 1) {
      const echoed = nextMessage(channel);
      const start = performance.now();
      channel.send(message);
      await withDeadline(echoed, 'echo');
      const elapsed = performance.now() - start;
      samples.push(elapsed);
      if (intervalMs > elapsed) {
        await new Promise((resolve) => setTimeout(resolve, intervalMs - elapsed));
      }
    }
    return samples;
  };
  window.benchClose = () => Object.values(peers).forEach(({ pc }) => pc.close());
}""").substitute(high_water=HIGH_WATER, low_water=LOW_WATER)


def peer_connection() -> RTCPeerConnection:
    """A Python peer with no ICE servers: aiortc's default is a public STUN server, and
    benchmarks reach nothing but the namespace's own addresses."""
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def serve(channel: RTCDataChannel) -> None:
    """The answering end of a channel, as PAGE_JS's `serve`."""
    if channel.label == "echo":
        channel.on("message", channel.send)
        return
    count = 0

    def on_message(message: str | bytes) -> None:
        nonlocal count
        if message == END:
            channel.send(str(count))
            count = 0
        else:
            count += 1

    channel.on("message", on_message)


def description(peer: RTCPeerConnection) -> dict[str, str]:
    local = peer.localDescription  # aiortc gathers inside setLocalDescription
    return {"type": local.type, "sdp": local.sdp}


async def answer(offer: dict[str, str]) -> tuple[RTCPeerConnection, dict[str, str]]:
    """An answering peer for `offer` that serves its channels, and its answer."""
    answering = peer_connection()
    answering.on("datachannel", serve)
    await answering.setRemoteDescription(RTCSessionDescription(**offer))
    await answering.setLocalDescription(await answering.createAnswer())
    return answering, description(answering)


async def opened(channel: RTCDataChannel) -> None:
    if channel.readyState != "open":
        is_open = asyncio.get_running_loop().create_future()
        channel.once("open", lambda: is_open.set_result(None))
        await is_open


def as_rtcshim_runs_it(peer: RTCPeerConnection) -> None:
    """The SCTP tuning (sctp_tuning.py), DTLS flushes and socket buffers (socket_buffers.py)
    that rtcshim's server gives each of its peer connections; before the association starts."""
    assert peer.sctp is not None
    tune_sctp(peer.sctp)
    flush_dtls_only_when_written(peer.sctp.transport)
    enlarge_socket_buffers(ice_connection(peer.sctp.transport.transport))


async def connect_pair() -> tuple[RTCPeerConnection, RTCPeerConnection, dict[str, RTCDataChannel]]:
    """Two Python peers as rtcshim's server runs them (`as_rtcshim_runs_it`): the offering
    one, the answering one, and the offering one's channels."""
    offering = peer_connection()
    channels = {label: offering.createDataChannel(label) for label in ("rate", "echo")}
    await offering.setLocalDescription(await offering.createOffer())
    answering, answer_description = await answer(description(offering))
    for peer in (offering, answering):
        as_rtcshim_runs_it(peer)
    await offering.setRemoteDescription(RTCSessionDescription(**answer_description))
    await asyncio.wait_for(asyncio.gather(*map(opened, channels.values())), 30)
    return offering, answering, channels


def next_message(channel: RTCDataChannel) -> asyncio.Future[str | bytes]:
    arrived: asyncio.Future[str | bytes] = asyncio.get_running_loop().create_future()
    channel.remove_all_listeners("message")
    channel.once("message", arrived.set_result)
    return arrived


async def buffer_drained(channel: RTCDataChannel) -> None:
    drained: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    channel.once("bufferedamountlow", lambda: None if drained.done() else drained.set_result(None))
    await drained


async def rate(channel: RTCDataChannel, count: int, size: int) -> dict[str, float]:
    """As PAGE_JS's benchRate: `count` messages of `size` bytes, timed to the far end's count."""
    message = "x" * size
    channel.bufferedAmountLowThreshold = LOW_WATER
    answered = next_message(channel)
    start = time.perf_counter()
    for _ in range(count):
        if channel.bufferedAmount > HIGH_WATER:
            await buffer_drained(channel)
        channel.send(message)
    channel.send(END)
    received = int(await asyncio.wait_for(answered, 120))
    return {"elapsedMs": (time.perf_counter() - start) * 1000, "received": received}


async def echo(channel: RTCDataChannel, count: int, size: int) -> list[float]:
    """As PAGE_JS's benchEcho, back to back: each round trip's milliseconds."""
    message = "x" * size
    samples = []
    for _ in range(count):
        echoed = next_message(channel)
        start = time.perf_counter()
        channel.send(message)
        await asyncio.wait_for(echoed, 30)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


class LoopThread:
    """An event loop in a thread of its own, for Python peers beside a sync Playwright."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="bench-peers", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
