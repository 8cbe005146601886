"""JavaScript and helpers for DTMF tests: audio calls, tone logs, and the server's decoded tones.

`install_dtmf_tools(page)` defines on `window`:

- `dtmfCall({munge, answererSends})`: two peer connections in the page; `a` sends the
  server's microphone (and `b` too when `answererSends`), `munge` rewrites a's audio line
  to "0 126" (PCMU + telephone-event/8000) the 2013 way before setLocalDescription.
  Resolves once both are connected, to {a, b, sender, bHears, aHears} (the streams each
  side receives), also kept in `window.dtmfPair`.
- `logTones(dtmfSender)`: records every tonechange as {tone, toneBuffer} in
  `dtmfSender.log` and its `performance.now()` in `dtmfSender.times`;
  `tonesDone(dtmfSender, runs = 1)` resolves with the log after the `runs`-th final "";
  `toneSpanMs(dtmfSender)` is the time from the first tonechange logged to the last.
- `offer(pc)` / `answer(pc, offer)` / `accept(pc, answer)`: non-trickle signalling for two
  pages (descriptions carry every candidate once gathering is complete).
"""

from __future__ import annotations

import asyncio
from itertools import pairwise

from playwright.sync_api import Page

from rtcshim.dispatchers.transceiver import TransceiverDispatcher
from rtcshim.dtmf_receiver import ReceivedTone
from rtcshim.serving import ServerThread

DTMF_TOOLS = """() => {
if (window.dtmfCall) return;
const WATCHDOG_MS = 30000;
const within = (promise, what) => {
  let timer;
  const watchdog = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${WATCHDOG_MS} ms: ${what}`)), WATCHDOG_MS);
  });
  return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
};
window.within = within;
const connected = (pc) => within(new Promise((resolve) => {
  const check = () => { if (pc.connectionState === 'connected') resolve(); };
  pc.addEventListener('connectionstatechange', check);
  check();
}), 'connected');
window.connected = connected;
const complete = (pc) => within(new Promise((resolve) => {
  const check = () => { if (pc.iceGatheringState === 'complete') resolve(); };
  pc.addEventListener('icegatheringstatechange', check);
  check();
}), 'ICE gathering complete');
window.mungeAudioTo8000 = (sdp) => sdp.replace(/^m=audio (\\d+) ([A-Z/]+) .*$/m, 'm=audio $1 $2 0 126');
window.dtmfCall = async ({ munge = false, answererSends = false } = {}) => {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const sender = a.addTrack(stream.getAudioTracks()[0], stream);
  if (answererSends) {
    const answerStream = await navigator.mediaDevices.getUserMedia({ audio: true });
    b.addTrack(answerStream.getAudioTracks()[0], answerStream);
  }
  const remoteStreams = [a, b].map((pc) => new Promise((resolve) => { pc.ontrack = (event) => resolve(event.streams[0]); }));
  const offer = await a.createOffer();
  const sdp = munge ? mungeAudioTo8000(offer.sdp) : offer.sdp;
  await a.setLocalDescription({ type: 'offer', sdp });
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  await Promise.all([connected(a), connected(b)]);
  window.dtmfPair = { a, b, sender, bHears: await remoteStreams[1], aHears: answererSends ? await remoteStreams[0] : null };
  return window.dtmfPair;
};
window.logTones = (dtmf) => {
  dtmf.log = [];
  dtmf.times = [];
  dtmf.addEventListener('tonechange', (event) => {
    dtmf.log.push({ tone: event.tone, toneBuffer: dtmf.toneBuffer });
    dtmf.times.push(performance.now());
  });
};
window.tonesDone = (dtmf, runs = 1) => within(new Promise((resolve) => {
  const check = () => {
    const ends = dtmf.log.filter((entry) => entry.tone === '').length;
    if (ends >= runs && dtmf.log[dtmf.log.length - 1].tone === '') resolve(dtmf.log);
    else setTimeout(check, 20);
  };
  check();
}), 'the final empty tonechange');
window.toneSpanMs = (dtmf) => dtmf.times[dtmf.times.length - 1] - dtmf.times[0];
window.offer = async (pc) => {
  await pc.setLocalDescription(await pc.createOffer());
  await complete(pc);
  return { type: pc.localDescription.type, sdp: pc.localDescription.sdp };
};
window.answer = async (pc, offer) => {
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription(await pc.createAnswer());
  await complete(pc);
  return { type: pc.localDescription.type, sdp: pc.localDescription.sdp };
};
window.accept = (pc, answer) => pc.setRemoteDescription(answer);
}"""


def install_dtmf_tools(page: Page) -> None:
    page.evaluate(DTMF_TOOLS)


def receiving_transceivers(server: ServerThread) -> list[TransceiverDispatcher]:
    """The server's audio transceivers that receive, oldest first."""
    return [
        obj for obj in server.registry.objects()
        if isinstance(obj, TransceiverDispatcher) and obj.dtmf_received is not None
        and obj.transceiver.currentDirection in ("sendrecv", "recvonly")
    ]


def received_tones(server: ServerThread, transceiver: TransceiverDispatcher, count: int) -> list[ReceivedTone]:
    """The first `count` tones the transceiver decoded, once all have ended (bounded wait)."""
    receiver = transceiver.dtmf_received
    assert receiver is not None

    async def wait() -> list[ReceivedTone]:
        await receiver.wait_for_digits(count)
        while not all(tone.ended for tone in receiver.tones[:count]):
            await asyncio.sleep(0.02)
        return receiver.tones[:count]

    return server.run(asyncio.wait_for(wait(), 30))


def start_spacing_ms(tones: list[ReceivedTone]) -> list[float]:
    """Milliseconds between the starts of successive tones, from their RTP timestamps."""
    return [((later.timestamp - earlier.timestamp) & 0xFFFFFFFF) * 1000 / earlier.clock_rate
            for earlier, later in pairwise(tones)]


def scheduled_ms(tones: str, duration_ms: int, gap_ms: int) -> int:
    """webrtc-pc's schedule from the first tonechange to the final "": each tone lasts
    duration + gap, a ',' 2000 ms."""
    return sum(2000 if tone == "," else duration_ms + gap_ms for tone in tones)


def assert_paced(span_ms: float, tones: str, duration_ms: int, gap_ms: int) -> None:
    """The page's tonechanges kept the schedule's wall-clock pace. A lower bound only (90%,
    for timer granularity): a slow machine makes the span longer, never shorter."""
    assert span_ms >= 0.9 * scheduled_ms(tones, duration_ms, gap_ms), span_ms
