"""JavaScript for media tests: bounded waits, playing streams, reading frames and tones.

`load_media_helpers(page)` loads static/frame-pattern.js and defines on `window`:

- `within(promise, what)`: the promise, or a rejection naming `what` after 30 s;
- `until(condition, what)`: polls `condition` (may be async) every 20 ms until it returns
  something truthy, which it resolves to; rejects naming `what` after 30 s;
- `nextEvent(target, type, what)`: the next `type` event `target` fires (bounded);
- `roundTrip()`: resolves once the server answered a call, so everything it sent before
  has been handled;
- `playVideo(stream, how)`: a muted autoplaying <video> in the body, given `stream` by
  `how` ('srcObject', 'src' through URL.createObjectURL, or 'mozSrcObject'), once playing;
- `grabFrame(video)`: the element's current frame at its natural size, as ImageData;
- `readCounter(video)`: the frame counter stamped in that frame, or null;
- `counterAdvances(video, what)`: waits for a readable counter, then for a larger one;
  resolves to both;
- `blackFrame(video, what)`: waits for a frame without a stamp whose mean level is near
  black; resolves to that level;
- `videoSize(video, width, height, what)`: waits until the element plays at that size;
- `tonePeak(stream, what)`: {frequency, level, binHz} of the loudest FFT bin of the stream's
  audio, played through `new AudioContext().createMediaStreamSource(stream)`, read once a
  whole analysis window has passed since the sound became audible;
- `negotiate(offerer, answerer)`: one offer/answer exchange (candidates travel in the SDP).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

FRAME_PATTERN_JS = Path(__file__).resolve().parents[2] / "static" / "frame-pattern.js"

MEDIA_HELPERS = """() => {
const WATCHDOG_MS = 30000;
// The loudest FFT bin of an audible tone (-12 dBFS here) is far above this; silence and
// codec noise are far below.
const AUDIBLE_DB = -50;

window.within = (promise, what) => {
  let timer;
  const watchdog = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`never happened within ${WATCHDOG_MS} ms: ${what}`)), WATCHDOG_MS);
  });
  return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
};

window.until = (condition, what) => new Promise((resolve, reject) => {
  const deadline = performance.now() + WATCHDOG_MS;
  const check = async () => {
    let value;
    try {
      value = await condition();
    } catch (error) {
      reject(error);
      return;
    }
    if (value) {
      resolve(value);
    } else if (performance.now() > deadline) {
      reject(new Error(`never happened within ${WATCHDOG_MS} ms: ${what}`));
    } else {
      setTimeout(check, 20);
    }
  };
  check();
});

window.nextEvent = (target, type, what) => within(
  new Promise((resolve) => target.addEventListener(type, resolve, { once: true })), what);

// A round trip to the server: whatever it sent before has been handled when it resolves.
window.roundTrip = () => within(navigator.mediaDevices.enumerateDevices(), 'a round trip to the server');

window.playVideo = async (stream, how = 'srcObject') => {
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  document.body.appendChild(video);
  if (how === 'srcObject') {
    video.srcObject = stream;
  } else if (how === 'src') {
    video.src = URL.createObjectURL(stream);
  } else if (how === 'mozSrcObject') {
    video.mozSrcObject = stream;
  } else {
    throw new Error(`no way to play a stream called ${how}`);
  }
  await within(video.play(), `a <video> given a stream by ${how} plays`);
  return video;
};

window.grabFrame = (video) => {
  const width = video.videoWidth;
  const height = video.videoHeight;
  if (!width || !height) return null;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(video, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
};

window.readCounter = (video) => {
  const frame = grabFrame(video);
  const stamp = frame && readFramePattern(frame);
  return stamp ? stamp.counter : null;
};

window.counterAdvances = async (video, what) => {
  const first = await until(() => {
    const counter = readCounter(video);
    return counter === null ? null : { counter };
  }, `${what}: a frame with a readable counter`);
  const second = await until(() => {
    const counter = readCounter(video);
    return counter !== null && counter > first.counter ? { counter } : null;
  }, `${what}: the counter advances past ${first.counter}`);
  return [first.counter, second.counter];
};

window.meanLevel = (frame) => {
  let sum = 0;
  for (let offset = 0; offset < frame.data.length; offset += 4) {
    sum += frame.data[offset] + frame.data[offset + 1] + frame.data[offset + 2];
  }
  return sum / (3 * frame.width * frame.height);
};

window.blackFrame = (video, what) => until(() => {
  const frame = grabFrame(video);
  if (!frame || readFramePattern(frame) !== null) return null;
  const level = meanLevel(frame);
  return level < 8 ? { level } : null;
}, `${what}: a black frame`).then(({ level }) => level);

window.videoSize = (video, width, height, what) => until(
  () => video.videoWidth === width && video.videoHeight === height,
  `${what}: plays at ${width}x${height} (now ${video.videoWidth}x${video.videoHeight})`);

window.tonePeak = async (stream, what) => {
  const context = new AudioContext();
  await within(context.resume(), `${what}: an AudioContext runs`);
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  analyser.smoothingTimeConstant = 0;
  source.connect(analyser);
  const bins = new Float32Array(analyser.frequencyBinCount);
  const binHz = context.sampleRate / analyser.fftSize;
  const peak = () => {
    analyser.getFloatFrequencyData(bins);
    let loudest = 1;  // bin 0 is DC
    for (let bin = 2; bin < bins.length; bin++) {
      if (bins[bin] > bins[loudest]) loudest = bin;
    }
    return { frequency: loudest * binHz, level: bins[loudest], binHz };
  };
  try {
    const onset = await until(() => (peak().level > AUDIBLE_DB ? context.currentTime : null), `${what}: audible sound`);
    // The analyser's window then holds the onset; read once it holds sound only.
    const windowSeconds = analyser.fftSize / context.sampleRate;
    await until(() => context.currentTime > onset + windowSeconds, `${what}: one analysis window of sound`);
    return peak();
  } finally {
    source.disconnect();
    context.close();
  }
};

window.negotiate = async (offerer, answerer) => {
  await within(offerer.setLocalDescription(await offerer.createOffer()), 'the offer is set locally');
  await within(answerer.setRemoteDescription(offerer.localDescription), 'the offer is set remotely');
  await within(answerer.setLocalDescription(await answerer.createAnswer()), 'the answer is set locally');
  await within(offerer.setRemoteDescription(answerer.localDescription), 'the answer is set remotely');
};
}"""


def load_media_helpers(page: Page) -> None:
    # By content, not URL: pages of a served tree have no /static/.
    page.add_script_tag(path=FRAME_PATTERN_JS)
    page.evaluate(MEDIA_HELPERS)


def assert_near_tone(peak: dict[str, float], tone_hz: float = 440.0) -> None:
    """The loudest bin is the tone's, give or take two bins."""
    assert abs(peak["frequency"] - tone_hz) <= 2 * peak["binHz"], peak
