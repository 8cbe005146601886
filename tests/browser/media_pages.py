"""JavaScript and helpers for media tests: what a page's remote video and audio show.

`install_media_tools(page)` loads /static/frame-pattern.js and defines `window.mediaTools`:

- `until(check, what)`: polls `check()` until it returns something truthy, which it
  resolves to; rejects after 30 s with an error naming `what` (a string, or a function
  that describes what was seen so far). Every wait in these tests goes through it, since
  `page.evaluate` itself never times out.
- `playVideo(stream)`: a muted, autoplaying <video> in the document, playing `stream`.
- `videoStamps(video, what, count)`: the first `count` distinct frame stamps
  (`readFramePattern`) the element shows, in the order it showed them.
- `videoChanges(video, what)`: waits until the element shows two different pictures of
  the same size (a hash of the pixels) and returns them.
- `tonePeak(stream, what)`: the loudest frequency of `stream` through an AnalyserNode,
  once one frequency louder than `MIN_TONE_DB` holds over several reads (a tone).
- `soundPeak(stream, what)`: the loudest sample, once one exceeds `MIN_SOUND_LEVEL`.

`install_media_call(page)` defines `window.joinMediaCall({room, offerer, media})`: a
peer connection with the page's getUserMedia tracks, signalled through the relay
`/signal/<room>` with trickle ICE. Progress is kept in `window.call`: `error`, the
remote tracks in arrival order (`remote`: kind, track, streamIds, and a playing <video>
for video), candidate counts, every description sent and received, and
`addCamera(constraints)` / `renegotiate()` for a later round of offer and answer started
by this page.
"""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

# Level a received tone must exceed in the analyser (dBFS per bin); silence stays far below.
MIN_TONE_DB = -60
# Peak sample (full scale 1) that counts as sound rather than silence.
MIN_SOUND_LEVEL = 0.01

MEDIA_TOOLS = """([minToneDb, minSoundLevel]) => {
if (window.mediaTools) return;
const WATCHDOG_MS = 30000;
const POLL_MS = 40;
const TONE_READS = 15; // 600 ms of reads: about three 8192-sample windows

// Promise.race with a watchdog: a wait that never ends fails, naming what never happened.
const within = (promise, what, ms = WATCHDOG_MS) => {
  let timer;
  const watchdog = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const description = typeof what === 'function' ? what() : what;
      reject(new Error(`watchdog: ${description} (not within ${ms / 1000} s)`));
    }, ms);
  });
  return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
};

const until = (check, what, ms = WATCHDOG_MS) => {
  let settled = false;
  const polling = new Promise((resolve, reject) => {
    const poll = () => {
      if (settled) return;
      let value;
      try {
        value = check();
      } catch (error) {
        reject(error);
        return;
      }
      if (value) resolve(value);
      else setTimeout(poll, POLL_MS);
    };
    poll();
  });
  return within(polling, what, ms).finally(() => { settled = true; });
};

const playVideo = (stream) => {
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  video.srcObject = stream;
  document.body.append(video);
  video.play().catch(() => {});
  return video;
};

const grab = (video) => {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(video, 0, 0);
  return context.getImageData(0, 0, canvas.width, canvas.height);
};

const videoStamps = async (video, what, count = 3) => {
  const stamps = [];
  let reads = 0;
  await until(() => {
    if (!video.videoWidth) return false;
    reads += 1;
    const stamp = window.readFramePattern(grab(video));
    if (stamp && (!stamps.length || stamps[stamps.length - 1].counter !== stamp.counter)) stamps.push(stamp);
    return stamps.length >= count;
  }, () => `${what}: ${count} distinct stamps; saw ${JSON.stringify(stamps)} in ${reads} reads`
    + ` of a ${video.videoWidth}x${video.videoHeight} video`);
  return { width: video.videoWidth, height: video.videoHeight, stamps, now: Date.now() };
};

// FNV-1a over the pixels: equal pictures, equal hashes.
const hashPixels = (data) => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < data.length; index++) {
    hash = Math.imul(hash ^ data[index], 0x01000193);
  }
  return (hash >>> 0).toString(16);
};

const videoChanges = async (video, what) => {
  const seen = new Map(); // size -> distinct hashes at that size
  let changed = null;
  await until(() => {
    if (!video.videoWidth) return false;
    const size = `${video.videoWidth}x${video.videoHeight}`;
    const hashes = seen.get(size) || new Set();
    seen.set(size, hashes);
    hashes.add(hashPixels(grab(video).data));
    if (hashes.size >= 2) changed = { width: video.videoWidth, height: video.videoHeight, hashes: [...hashes] };
    return changed;
  }, () => `${what}: two different pictures of one size; saw ${JSON.stringify([...seen].map(([size, hashes]) => [size, hashes.size]))}`);
  return changed;
};

// Runs `read(analyser, sampleRate)` on `stream`'s audio every poll until it returns a result.
const listen = async (stream, read, what) => {
  const context = new AudioContext();
  // Chromium feeds a remote WebRTC stream to Web Audio only while a media element plays it.
  const element = new Audio();
  element.muted = true;
  element.srcObject = stream;
  element.play().catch(() => {});
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  analyser.smoothingTimeConstant = 0;
  context.createMediaStreamSource(stream).connect(analyser);
  try {
    return await until(() => read(analyser, context.sampleRate),
      () => `${typeof what === 'function' ? what() : what} (audio context ${context.state})`);
  } finally {
    element.srcObject = null;
    context.close();
  }
};

const tonePeak = (stream, what) => {
  let bins = null;
  let loudest = -Infinity;
  let peaks = []; // the loudest bin of consecutive reads above minToneDb
  return listen(stream, (analyser, sampleRate) => {
    bins = bins || new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    let best = 1; // bin 0 is DC
    for (let index = 2; index < bins.length; index++) if (bins[index] > bins[best]) best = index;
    loudest = Math.max(loudest, bins[best]);
    // A tone, not a transient: the same peak over reads spanning several FFT windows.
    if (!(bins[best] > minToneDb) || (peaks.length && peaks[peaks.length - 1] !== best)) peaks = [];
    if (bins[best] > minToneDb) peaks.push(best);
    if (peaks.length < TONE_READS) return null;
    const binWidth = sampleRate / analyser.fftSize;
    return { frequency: best * binWidth, level: bins[best], binWidth };
  }, () => `${what}: a steady tone above ${minToneDb} dB; the loudest bin reached ${loudest} dB`
    + ` (last peak bins ${JSON.stringify(peaks.slice(-3))})`);
};

// Any sound (Chromium's fake microphone beeps briefly, twice a second): the peak sample.
const soundPeak = (stream, what) => {
  let samples = null;
  let loudest = 0;
  return listen(stream, (analyser) => {
    samples = samples || new Float32Array(analyser.fftSize);
    analyser.getFloatTimeDomainData(samples);
    for (const sample of samples) loudest = Math.max(loudest, Math.abs(sample));
    return loudest > minSoundLevel ? { peak: loudest } : null;
  }, () => `${what}: a sound above ${minSoundLevel}; the loudest sample was ${loudest}`);
};

window.mediaTools = { within, until, playVideo, grab, videoStamps, videoChanges, tonePeak, soundPeak };
}"""

MEDIA_CALL = """() => {
window.joinMediaCall = ({ room, offerer, media = { video: true, audio: true } }) => {
  const { until, within, playVideo } = window.mediaTools;
  const call = window.call = {
    error: null, remote: [], localStreams: [], connectionStates: [], negotiationNeeded: 0,
    candidatesSent: 0, candidatesReceived: 0, descriptionsApplied: [], descriptions: [],
  };
  const fail = (error) => { call.error = call.error || String(error && error.stack || error); };
  const pc = call.pc = new RTCPeerConnection({ iceServers: [] });
  let socket = null;
  const send = (message) => socket.send(JSON.stringify(message));
  // Every description sent and received, in order, for failure reports.
  const sendDescription = () => {
    call.descriptions.push({ sent: true, type: pc.localDescription.type, sdp: pc.localDescription.sdp });
    send({ description: pc.localDescription });
  };

  pc.onconnectionstatechange = () => {
    call.connectionStates.push(pc.connectionState);
    if (pc.connectionState === 'failed') fail('connection failed');
  };
  pc.onnegotiationneeded = () => { call.negotiationNeeded += 1; };
  pc.onicecandidate = (event) => {
    if (event.candidate) call.candidatesSent += 1;
    send({ candidate: event.candidate });
  };
  pc.ontrack = (event) => {
    const entry = {
      kind: event.track.kind, track: event.track, streamIds: event.streams.map((stream) => stream.id),
      stream: new MediaStream([event.track]), element: null,
    };
    if (entry.kind === 'video') entry.element = playVideo(entry.stream);
    call.remote.push(entry);
  };

  // A page-started round of offer and answer; resolves once the answer is applied.
  call.renegotiate = async () => {
    const answers = () => call.descriptionsApplied.filter((type) => type === 'answer').length;
    const before = answers();
    await pc.setLocalDescription(await pc.createOffer());
    sendDescription();
    await call.until(() => answers() > before, 'an answer to our re-offer');
  };
  call.addCamera = async (constraints = true) => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: constraints });
    call.localStreams.push(stream);
    pc.addTrack(stream.getVideoTracks()[0], stream);
    return stream.getVideoTracks()[0].getSettings();
  };
  // Resolves once `check(call)` holds; rejects at once if the call failed.
  call.until = (check, what) => until(() => {
    if (call.error) throw new Error(call.error);
    return check(call);
  }, what);

  // Candidates that arrive before the remote description wait for it.
  let earlyCandidates = [];
  let offered = false;
  const handle = async (message) => {
    if (message.relay === 'room' && message.peers > 0 || message.relay === 'joined') {
      if (offerer && !offered) {
        offered = true;
        await pc.setLocalDescription(await pc.createOffer());
        sendDescription();
      }
    } else if (message.description) {
      call.descriptions.push({ sent: false, ...message.description });
      await pc.setRemoteDescription(message.description);
      call.descriptionsApplied.push(message.description.type);
      if (earlyCandidates) {
        for (const candidate of earlyCandidates) await pc.addIceCandidate(candidate);
        earlyCandidates = null;
      }
      if (message.description.type === 'offer') {
        await pc.setLocalDescription(await pc.createAnswer());
        sendDescription();
      }
    } else if ('candidate' in message) {
      if (message.candidate) call.candidatesReceived += 1;
      if (earlyCandidates) earlyCandidates.push(message.candidate);
      else await pc.addIceCandidate(message.candidate);
    }
  };

  // Media first, so that the first offer and answer carry the tracks; then the relay.
  (async () => {
    const stream = await within(navigator.mediaDevices.getUserMedia(media), 'getUserMedia');
    call.localStreams.push(stream);
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    const address = new URL('/signal/' + encodeURIComponent(room), location.href);
    address.protocol = 'ws:';
    socket = call.socket = new WebSocket(address.href);
    let chain = Promise.resolve();
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      chain = chain.then(() => handle(message)).catch(fail);
    };
    socket.onerror = () => fail('signaling socket error');
  })().catch(fail);
};
}"""


def install_media_tools(page: Page) -> None:
    page.add_script_tag(url="/static/frame-pattern.js")
    page.evaluate(MEDIA_TOOLS, [MIN_TONE_DB, MIN_SOUND_LEVEL])


def install_media_call(page: Page) -> None:
    install_media_tools(page)
    page.evaluate(MEDIA_CALL)


def new_room(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def join_call(page: Page, room: str, *, offerer: bool, media: dict[str, Any] | None = None) -> None:
    params: dict[str, Any] = {"room": room, "offerer": offerer}
    if media is not None:
        params["media"] = media
    page.evaluate("(params) => window.joinMediaCall(params)", params)


def wait_call_up(page: Page, remote_tracks: int, name: str) -> dict[str, Any]:
    """Waits until the call is connected and `remote_tracks` remote tracks arrived."""
    state: dict[str, Any] = page.evaluate(
        """async ([count, name]) => {
          await window.call.until((call) => call.pc.connectionState === 'connected' && call.remote.length >= count,
            () => `${name}: connected with ${count} remote tracks; connectionStates `
              + `${JSON.stringify(window.call.connectionStates)}, ${window.call.remote.length} remote tracks`);
          const call = window.call;
          return {
            connectionState: call.pc.connectionState, signalingState: call.pc.signalingState,
            candidatesSent: call.candidatesSent, candidatesReceived: call.candidatesReceived,
            remoteKinds: call.remote.map((entry) => entry.kind),
          };
        }""",
        [remote_tracks, name],
    )
    return state


def remote_video_stamps(page: Page, index: int, what: str, count: int = 3) -> dict[str, Any]:
    """Stamps read from the `index`-th remote video track of `window.call`."""
    result: dict[str, Any] = page.evaluate(
        """async ([index, what, count]) => {
          const video = await window.call.until((call) => call.remote.filter((entry) => entry.kind === 'video')[index],
            `${what}: remote video track ${index}`);
          return window.mediaTools.videoStamps(video.element, what, count);
        }""",
        [index, what, count],
    )
    return result


def remote_video_changes(page: Page, index: int, what: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """async ([index, what]) => {
          const video = await window.call.until((call) => call.remote.filter((entry) => entry.kind === 'video')[index],
            `${what}: remote video track ${index}`);
          return window.mediaTools.videoChanges(video.element, what);
        }""",
        [index, what],
    )
    return result


def remote_tone_peak(page: Page, what: str) -> dict[str, Any]:
    """The steady peak frequency of the first remote audio track of `window.call`."""
    return _listen_remote_audio(page, "tonePeak", what)


def remote_sound_peak(page: Page, what: str) -> dict[str, Any]:
    """The loudest sample of the first remote audio track, once it carries any sound."""
    return _listen_remote_audio(page, "soundPeak", what)


def _listen_remote_audio(page: Page, tool: str, what: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """async ([tool, what]) => {
          const audio = await window.call.until((call) => call.remote.find((entry) => entry.kind === 'audio'),
            `${what}: a remote audio track`);
          return window.mediaTools[tool](audio.stream, what);
        }""",
        [tool, what],
    )
    return result


def assert_counters_advance(result: dict[str, Any], count: int = 3) -> list[int]:
    counters = [stamp["counter"] for stamp in result["stamps"]]
    assert len(counters) >= count, result
    assert counters == sorted(set(counters)), f"stamp counters went backwards: {counters}"
    return counters


def assert_tone(peak: dict[str, Any], hertz: float) -> None:
    """The loudest bin is the one holding `hertz` (or its neighbour: the tone may straddle two)."""
    assert abs(peak["frequency"] - hertz) <= peak["binWidth"], f"expected a peak at {hertz} Hz, got {peak}"


def renegotiate(offerer: Page, answerer: Page) -> None:
    """`offerer` re-offers; fails with the answering page's error if it refused the offer."""
    try:
        offerer.evaluate("window.call.renegotiate()")
    except PlaywrightError as error:
        refusal = answerer.evaluate("window.call.error")
        raise AssertionError(f"the re-offer was not answered: {error.message}; the answering page: {refusal}") from error


def close_call(page: Page) -> None:
    page.evaluate(
        """() => {
          window.call.pc.close();
          if (window.call.socket) window.call.socket.close();
          for (const stream of window.call.localStreams) stream.getTracks().forEach((track) => track.stop());
        }"""
    )
