// The page-side helpers of every browser test, loaded by page_helpers.py's
// `load_page_helpers(page)` (with static/frame-pattern.js, whose readFramePattern the
// frame readers use). Everything is defined on `window`; loading twice does nothing.
//
// Waits: every wait goes through `within` or `until`, since page.evaluate itself never
// times out; a wait that never ends fails after 30 s, naming what never happened (`what`:
// a string, or a function describing what was seen so far).
(function installPageHelpers(window) {
  'use strict';
  if (window.pageHelpersLoaded) return;
  window.pageHelpersLoaded = true;

  const WATCHDOG_MS = 30000;
  const POLL_MS = 20;
  // The loudest FFT bin of an audible tone (-12 dBFS here) is far above this; silence and
  // codec noise are far below.
  const AUDIBLE_DB = -50;
  // A tone, not a transient: the same loudest bin over this many reads (about three
  // 8192-sample analysis windows).
  const TONE_READS = 15;

  const describeWhat = (what) => (typeof what === 'function' ? what() : what);

  // --- waits and events ----------------------------------------------------------------

  // `promise`, or a rejection naming `what` after `ms`.
  const within = (promise, what, ms = WATCHDOG_MS) => {
    let timer;
    const watchdog = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`never happened within ${ms} ms: ${describeWhat(what)}`)), ms);
    });
    return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
  };

  // Polls `condition` (may be async) every `pollMs` until it returns something truthy,
  // which it resolves to; a condition that throws rejects at once.
  const until = (condition, what, ms = WATCHDOG_MS, pollMs = POLL_MS) => {
    let settled = false;
    const polling = new Promise((resolve, reject) => {
      const check = async () => {
        if (settled) return;
        let value;
        try {
          value = await condition();
        } catch (error) {
          reject(error);
          return;
        }
        if (value) resolve(value);
        else setTimeout(check, pollMs);
      };
      check();
    });
    return within(polling, what, ms).finally(() => { settled = true; });
  };

  const nextEvent = (target, type, what = `a ${type} event`) => within(
    new Promise((resolve) => target.addEventListener(type, resolve, { once: true })), what);

  // A round trip to the server: whatever it sent before has been handled when it resolves.
  const roundTrip = () => within(navigator.mediaDevices.enumerateDevices(), 'a round trip to the server');

  // Every event the server sent so far has been handled and every task they queued has
  // run: an event that has not fired by then is not going to.
  const settled = async () => {
    await roundTrip();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };

  // What `action` throws: {name, isDOMException, isTypeError}, or null.
  const errorOf = (action) => {
    try {
      action();
    } catch (error) {
      return { name: error.name, isDOMException: error instanceof DOMException, isTypeError: error instanceof TypeError };
    }
    return null;
  };

  // --- legacy callbacks -------------------------------------------------------------------

  // Runs `invoke(success, failure)` and waits for one of the callbacks; resolves to
  // {isPromise, resolvedUndefined, calls: [{callback, args}]}. The legacy forms never
  // reject: a rejection rejects this too.
  const callbackOutcome = async (invoke) => {
    let called;
    const callbackRan = new Promise((resolve) => { called = resolve; });
    const calls = [];
    const success = (...args) => { calls.push({ callback: 'success', args }); called(); };
    const failure = (...args) => { calls.push({ callback: 'failure', args }); called(); };
    const returned = invoke(success, failure);
    const isPromise = returned instanceof Promise;
    const resolvedTo = await within(returned, 'the legacy call settles');
    await within(callbackRan, 'a callback runs');
    return { isPromise, resolvedUndefined: resolvedTo === undefined, calls };
  };

  const describeDescription = (description) => ({
    isSessionDescription: description instanceof RTCSessionDescription,
    type: description.type,
    sdp: description.sdp,
  });

  const describeError = (error) => ({
    isDOMException: error instanceof DOMException,
    name: error.name,
    hasMessage: typeof error.message === 'string' && error.message.length > 0,
  });

  // An offer and the answer to it, from two connections that are then closed.
  const offerAndAnswer = async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    a.createDataChannel('x');
    const offer = await a.createOffer();
    await a.setLocalDescription(offer);
    await b.setRemoteDescription(a.localDescription);
    const answer = await b.createAnswer();
    a.close();
    b.close();
    return { offer, answer }; // RTCSessionDescriptionInit dictionaries, as webrtc-pc makes them
  };

  // --- data channel messages -------------------------------------------------------------

  const bytesOf = async (data) => {
    if (data instanceof Blob) data = await data.arrayBuffer();
    if (data instanceof ArrayBuffer) return Array.from(new Uint8Array(data));
    return Array.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  };

  // What a message was, as plain JSON: its class and its content.
  const describeMessage = async (data) => {
    if (typeof data === 'string') return { kind: 'string', value: data };
    const kind = data instanceof Blob ? 'Blob' : data instanceof ArrayBuffer ? 'ArrayBuffer'
      : Object.prototype.toString.call(data);
    return { kind, bytes: await bytesOf(data) };
  };

  // The data of the next `count` messages on `channel`.
  const receive = (channel, count, what = `${count} messages on ${channel.label}`) => within(new Promise((resolve) => {
    const received = [];
    const listener = (event) => {
      received.push(event.data);
      if (received.length === count) {
        channel.removeEventListener('message', listener);
        resolve(received);
      }
    };
    channel.addEventListener('message', listener);
  }), what);

  const sha256 = async (bytes) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));

  // --- offer and answer in one page -------------------------------------------------------

  // One offer/answer exchange, each side sending `sent(pc)`.
  const exchange = async (offerer, answerer, sent) => {
    await within(offerer.setLocalDescription(await offerer.createOffer()), 'the offer is set locally');
    await within(answerer.setRemoteDescription(await sent(offerer)), 'the offer is set remotely');
    await within(answerer.setLocalDescription(await answerer.createAnswer()), 'the answer is set locally');
    await within(offerer.setRemoteDescription(await sent(answerer)), 'the answer is set remotely');
  };

  // One offer/answer exchange; candidates travel in the SDP, each sent once gathered.
  const negotiate = (offerer, answerer) => exchange(offerer, answerer, (pc) => gatheredDescription(pc));

  // Candidates trickle from each to the other, then one offer/answer exchange.
  const trickleNegotiate = async (a, b) => {
    a.onicecandidate = (event) => { if (event.candidate) b.addIceCandidate(event.candidate); };
    b.onicecandidate = (event) => { if (event.candidate) a.addIceCandidate(event.candidate); };
    await exchange(a, b, (pc) => pc.localDescription);
  };

  const connected = (pc, what = 'connected') => until(() => {
    if (pc.connectionState === 'failed' || pc.connectionState === 'closed') {
      throw new Error(`${what}: the connection is ${pc.connectionState}`);
    }
    return pc.connectionState === 'connected';
  }, what);

  const gatheringComplete = (pc) => until(() => pc.iceGatheringState === 'complete', 'ICE gathering complete');

  // pc's local description once ICE gathering is complete, listing every candidate, for a
  // peer that does not trickle: as in browsers, setLocalDescription resolves before any
  // candidate is listed.
  const gatheredDescription = async (pc) => {
    await gatheringComplete(pc);
    return pc.localDescription;
  };

  // Descriptions for two pages without trickle: each carries every candidate.
  const gatheredOffer = async (pc) => {
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc);
    return { type: pc.localDescription.type, sdp: pc.localDescription.sdp };
  };
  const gatheredAnswer = async (pc, offer) => {
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    await gatheringComplete(pc);
    return { type: pc.localDescription.type, sdp: pc.localDescription.sdp };
  };

  // Two peer connections wired to each other; resolves once the data channel `a` made
  // (label "test") is open, to {a, b, channel, remoteChannel, events}: `events` lists the
  // "<side> <event> <state>" strings both ends fired, in order.
  const makePair = async (configuration = {}, channelInit = {}) => {
    const events = [];
    const a = new RTCPeerConnection(configuration);
    const b = new RTCPeerConnection(configuration);
    for (const [side, pc] of [['a', a], ['b', b]]) {
      const other = pc === a ? b : a;
      pc.onicecandidate = (event) => {
        events.push(`${side} icecandidate ${event.candidate ? 'candidate' : 'null'}`);
        if (event.candidate) other.addIceCandidate(event.candidate);
      };
      for (const name of ['signalingstatechange', 'icegatheringstatechange',
        'iceconnectionstatechange', 'connectionstatechange', 'negotiationneeded']) {
        pc.addEventListener(name, () => {
          const state = {
            signalingstatechange: pc.signalingState, icegatheringstatechange: pc.iceGatheringState,
            iceconnectionstatechange: pc.iceConnectionState, connectionstatechange: pc.connectionState,
            negotiationneeded: '',
          }[name];
          events.push(`${side} ${name} ${state}`.trim());
        });
      }
    }
    const channel = a.createDataChannel('test', channelInit);
    const remoteChannel = nextEvent(b, 'datachannel', 'the datachannel event').then((event) => event.channel);
    const opened = nextEvent(channel, 'open', 'the test channel opens');
    await exchange(a, b, (pc) => pc.localDescription);  // its candidates trickle
    const pair = { a, b, channel, remoteChannel: await remoteChannel, events };
    await opened;
    return pair;
  };

  // `a` sends the camera and microphone to `b`; `beforeOffer(a)` runs once the tracks are
  // added, before the offer. Resolves to {a, b} once `a` is connected.
  const makeMediaCall = async (beforeOffer = () => {}) => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true, video: true }), 'getUserMedia');
    stream.getTracks().forEach((track) => a.addTrack(track, stream));
    beforeOffer(a);
    await trickleNegotiate(a, b);
    await connected(a, 'the media call connects');
    return { a, b };
  };

  // The tracks `pc` receives, once `count` of them are unmuted: their media arrived.
  const unmutedRemoteTracks = (pc, count = 2) => until(() => {
    const live = pc.getReceivers().map((receiver) => receiver.track).filter((track) => !track.muted);
    return live.length === count ? live : null;
  }, `${count} remote tracks unmuted`);

  // --- stats -------------------------------------------------------------------------------

  // A call between two peer connections in the page (candidates trickle, so it runs in
  // native Chromium too); resolves once the data channel ("test") is open, to {a, b,
  // channel, remoteChannel, tracks, started}: with `media`, each end sends a camera and a
  // microphone (`tracks.a`, `tracks.b`); `started` is the page clock when it began.
  const statsCall = async ({ media = false } = {}) => {
    const started = performance.timeOrigin + performance.now();
    const a = new RTCPeerConnection({ iceServers: [] });
    const b = new RTCPeerConnection({ iceServers: [] });
    const tracks = {};
    if (media) {
      for (const [name, pc] of [['a', a], ['b', b]]) {
        const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true, video: true }), 'getUserMedia');
        tracks[name] = stream.getTracks();
        for (const track of tracks[name]) pc.addTrack(track, stream);
      }
    }
    const channel = a.createDataChannel('test');
    const opened = nextEvent(channel, 'open', 'the test channel opens');
    const remoteChannel = nextEvent(b, 'datachannel', 'the datachannel event').then((event) => event.channel);
    await trickleNegotiate(a, b);
    await opened;
    return { a, b, channel, remoteChannel: await remoteChannel, tracks, started };
  };

  // The report as a plain object by id.
  const statsOf = async (pc, selector) => {
    const stats = {};
    (await pc.getStats(selector)).forEach((entry, id) => { stats[id] = entry; });
    return stats;
  };

  // Chrome's 2013 form, read the way 2013 pages read it (`result()`, `names()`, `stat()`):
  // by report id, {type, name: value as a string}.
  const legacyStatsOf = (pc) => within(new Promise((resolve) => pc.getStats((response) => {
    const table = {};
    response.result().forEach((report) => {
      table[report.id] = { type: report.type };
      report.names().forEach((name) => { table[report.id][name] = report.stat(name); });
    });
    resolve(table);
  })), 'the legacy getStats callback');

  // Reads `read(pc)` every 100 ms until `ready(stats)` holds; resolves to those stats.
  const whenStats = (pc, ready, what, read = statsOf) => until(async () => {
    const stats = await read(pc);
    return ready(stats) ? stats : null;
  }, what, WATCHDOG_MS, 100);

  // {before, after, stats}: the page clock around one getStats.
  const timed = async (pc, selector) => {
    const before = performance.timeOrigin + performance.now();
    const stats = await statsOf(pc, selector);
    return { before, after: performance.timeOrigin + performance.now(), stats };
  };

  const ofType = (stats, type) => Object.values(stats).filter((entry) => entry.type === type);

  // --- DTMF --------------------------------------------------------------------------------

  // The 2013 way to get PCMU and telephone-event/8000: a's audio line rewritten to "0 126".
  const mungeAudioTo8000 = (sdp) => sdp.replace(/^m=audio (\d+) ([A-Z/]+) .*$/m, 'm=audio $1 $2 0 126');

  // Two peer connections in the page; `a` sends the server's microphone (and `b` too when
  // `answererSends`); `munge` applies mungeAudioTo8000 to a's offer. Resolves once both
  // are connected, to {a, b, sender, bHears, aHears} (the streams each side receives),
  // also kept in `window.dtmfPair`.
  const dtmfCall = async ({ munge = false, answererSends = false } = {}) => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true }), 'getUserMedia');
    const sender = a.addTrack(stream.getAudioTracks()[0], stream);
    if (answererSends) {
      const answerStream = await within(navigator.mediaDevices.getUserMedia({ audio: true }), 'getUserMedia');
      b.addTrack(answerStream.getAudioTracks()[0], answerStream);
    }
    const remoteStreams = [a, b].map((pc) => new Promise((resolve) => { pc.ontrack = (event) => resolve(event.streams[0]); }));
    const offer = await a.createOffer();
    await a.setLocalDescription({ type: 'offer', sdp: munge ? mungeAudioTo8000(offer.sdp) : offer.sdp });
    await b.setRemoteDescription(await gatheredDescription(a));
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(await gatheredDescription(b));
    await Promise.all([connected(a), connected(b)]);
    window.dtmfPair = {
      a, b, sender,
      bHears: await within(remoteStreams[1], 'b receives a track'),
      aHears: answererSends ? await within(remoteStreams[0], 'a receives a track') : null,
    };
    return window.dtmfPair;
  };

  // Records every tonechange as {tone, toneBuffer} in `dtmf.log`, its page time in `dtmf.times`.
  const logTones = (dtmf) => {
    dtmf.log = [];
    dtmf.times = [];
    dtmf.addEventListener('tonechange', (event) => {
      dtmf.log.push({ tone: event.tone, toneBuffer: dtmf.toneBuffer });
      dtmf.times.push(performance.now());
    });
  };

  // The log, once the `runs`-th final "" tonechange fired and is the last.
  const tonesDone = (dtmf, runs = 1) => until(() => {
    const ends = dtmf.log.filter((entry) => entry.tone === '').length;
    return ends >= runs && dtmf.log[dtmf.log.length - 1].tone === '' && dtmf.log;
  }, () => `the final empty tonechange (logged: ${JSON.stringify(dtmf.log)})`);

  // The time from the first tonechange logged to the last.
  const toneSpanMs = (dtmf) => dtmf.times[dtmf.times.length - 1] - dtmf.times[0];

  // --- video -------------------------------------------------------------------------------

  // A muted autoplaying <video> in the body (or, `inDocument` false, in none), given `stream`
  // by `how` ('srcObject', 'src' through URL.createObjectURL, or 'mozSrcObject'); returned at once.
  const showVideo = (stream, how = 'srcObject', inDocument = true) => {
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    if (inDocument) document.body.appendChild(video);
    if (how === 'srcObject') {
      video.srcObject = stream;
    } else if (how === 'src') {
      video.src = URL.createObjectURL(stream);
    } else if (how === 'mozSrcObject') {
      video.mozSrcObject = stream;
    } else {
      throw new Error(`no way to play a stream called ${how}`);
    }
    return video;
  };

  // showVideo, resolved once the element plays.
  const playVideo = async (stream, how = 'srcObject') => {
    const video = showVideo(stream, how);
    await within(video.play(), `a <video> given a stream by ${how} plays`);
    return video;
  };

  // The element's current frame at its natural size, as ImageData; null before it has one.
  const grabFrame = (video) => {
    if (!video) return null;
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

  // The frame counter stamped in the frame the element shows now, or null.
  const readCounter = (video) => {
    const frame = grabFrame(video);
    const stamp = frame && window.readFramePattern(frame);
    return stamp ? stamp.counter : null;
  };

  // Waits for a readable counter, then for a larger one; resolves to both.
  const counterAdvances = async (video, what) => {
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

  const meanLevel = (frame) => {
    let sum = 0;
    for (let offset = 0; offset < frame.data.length; offset += 4) {
      sum += frame.data[offset] + frame.data[offset + 1] + frame.data[offset + 2];
    }
    return sum / (3 * frame.width * frame.height);
  };

  // Waits for a frame without a stamp whose mean level is near black; resolves to that level.
  const blackFrame = (video, what) => until(() => {
    const frame = grabFrame(video);
    if (!frame || window.readFramePattern(frame) !== null) return null;
    const level = meanLevel(frame);
    return level < 8 ? { level } : null;
  }, `${what}: a black frame`).then(({ level }) => level);

  const videoSize = (video, width, height, what) => until(
    () => video.videoWidth === width && video.videoHeight === height,
    () => `${what}: plays at ${width}x${height} (now ${video.videoWidth}x${video.videoHeight})`);

  // The first `count` distinct frame stamps the element shows, in the order it showed them.
  const videoStamps = async (video, what, count = 3) => {
    const stamps = [];
    let reads = 0;
    await until(() => {
      const frame = grabFrame(video);
      if (!frame) return false;
      reads += 1;
      const stamp = window.readFramePattern(frame);
      if (stamp && (!stamps.length || stamps[stamps.length - 1].counter !== stamp.counter)) stamps.push(stamp);
      return stamps.length >= count;
    }, () => `${what}: ${count} distinct stamps; saw ${JSON.stringify(stamps)} in ${reads} reads`
      + ` of a ${video.videoWidth}x${video.videoHeight} video`);
    return { width: video.videoWidth, height: video.videoHeight, stamps, now: Date.now() };
  };

  // Where a page cannot read a video's pixels (WPE): waits until the element decoded 15
  // frames as its clock ran; resolves to its size and the frames decoded.
  const framesDecoded = async (video, what) => {
    const decoded = () => video.getVideoPlaybackQuality().totalVideoFrames;
    const start = await until(() => video.videoWidth && decoded() > 0 && { time: video.currentTime },
      `${what}: the video decodes a frame`);
    await until(() => decoded() >= 15 && video.currentTime > start.time + 0.3,
      () => `${what}: the video decodes 15 frames (${decoded()}) as its clock runs (${video.currentTime})`);
    return { width: video.videoWidth, height: video.videoHeight, frames: decoded() };
  };

  // The colours of the element's picture 20 px in from its left and right edges, on row
  // 60, once it shows one: {left, right, width} (left and right as [r, g, b]).
  const sideColours = (video, what) => until(() => {
    const frame = grabFrame(video);
    if (!frame) return null;
    const at = (x) => Array.from(frame.data.slice(4 * (60 * frame.width + x), 4 * (60 * frame.width + x) + 3));
    return { left: at(20), right: at(frame.width - 20), width: frame.width };
  }, `${what}: a picture`);

  // FNV-1a over the pixels: equal pictures, equal hashes.
  const hashPixels = (data) => {
    let hash = 0x811c9dc5;
    for (let index = 0; index < data.length; index++) {
      hash = Math.imul(hash ^ data[index], 0x01000193);
    }
    return (hash >>> 0).toString(16);
  };

  // Waits until the element shows two different pictures of the same size; returns them.
  const videoChanges = async (video, what) => {
    const seen = new Map(); // size -> distinct hashes at that size
    let changed = null;
    await until(() => {
      const frame = grabFrame(video);
      if (!frame) return false;
      const size = `${frame.width}x${frame.height}`;
      const hashes = seen.get(size) || new Set();
      seen.set(size, hashes);
      hashes.add(hashPixels(frame.data));
      if (hashes.size >= 2) changed = { width: frame.width, height: frame.height, hashes: [...hashes] };
      return changed;
    }, () => `${what}: two different pictures of one size; saw ${JSON.stringify([...seen].map(([size, hashes]) => [size, hashes.size]))}`);
    return changed;
  };

  // --- audio -------------------------------------------------------------------------------

  // Runs `read(analyser, sampleRate)` on `stream`'s audio every poll until it returns a result.
  const listen = async (stream, read, what) => {
    const context = new AudioContext();
    await within(context.resume(), `${describeWhat(what)}: an AudioContext runs`);
    // Chromium feeds a remote WebRTC stream to Web Audio only while a media element plays it.
    const element = new Audio();
    element.muted = true;
    element.srcObject = stream;
    element.play().catch(() => {});
    const analyser = context.createAnalyser();
    analyser.fftSize = 8192;
    analyser.smoothingTimeConstant = 0;
    const source = context.createMediaStreamSource(stream);
    source.connect(analyser);
    try {
      return await until(() => read(analyser, context.sampleRate),
        () => `${describeWhat(what)} (audio context ${context.state})`);
    } finally {
      source.disconnect();
      element.srcObject = null;
      context.close();
    }
  };

  // {frequency, level, binHz} of the loudest FFT bin of `stream`'s audio, once the same bin
  // is the loudest, above AUDIBLE_DB, over TONE_READS reads in a row: a steady tone.
  const tonePeak = (stream, what) => {
    let bins = null;
    let loudest = -Infinity;
    let peaks = []; // the loudest bin of consecutive audible reads
    return listen(stream, (analyser, sampleRate) => {
      bins = bins || new Float32Array(analyser.frequencyBinCount);
      analyser.getFloatFrequencyData(bins);
      let best = 1; // bin 0 is DC
      for (let index = 2; index < bins.length; index++) if (bins[index] > bins[best]) best = index;
      loudest = Math.max(loudest, bins[best]);
      if (!(bins[best] > AUDIBLE_DB) || (peaks.length && peaks[peaks.length - 1] !== best)) peaks = [];
      if (bins[best] > AUDIBLE_DB) peaks.push(best);
      if (peaks.length < TONE_READS) return null;
      return { frequency: best * sampleRate / analyser.fftSize, level: bins[best], binHz: sampleRate / analyser.fftSize };
    }, () => `${describeWhat(what)}: a steady tone above ${AUDIBLE_DB} dB; the loudest bin reached ${loudest} dB`
      + ` (last peak bins ${JSON.stringify(peaks.slice(-3))})`);
  };

  // Any sound (Chromium's fake microphone beeps briefly, twice a second): the peak sample,
  // once one exceeds `minLevel` (full scale 1).
  const soundPeak = (stream, what, minLevel) => {
    let samples = null;
    let loudest = 0;
    return listen(stream, (analyser) => {
      samples = samples || new Float32Array(analyser.fftSize);
      analyser.getFloatTimeDomainData(samples);
      for (const sample of samples) loudest = Math.max(loudest, Math.abs(sample));
      return loudest > minLevel ? { peak: loudest } : null;
    }, () => `${describeWhat(what)}: a sound above ${minLevel}; the loudest sample was ${loudest}`);
  };

  // --- a call with a peer outside the page ------------------------------------------------

  // `window.peer`: one peer connection whose other end is not in the page (plain aiortc in
  // the test process), signalled by the test: its trickled candidates (`candidatesEnded`
  // once the null one came), the state histories, the data channel it adopted and the
  // messages received ('bytes:1,2' for binary ones), the remote tracks in arrival order
  // (kind, stream, and a playing <video> for video). `offerMedia(constraints)` offers the
  // page's getUserMedia tracks once every candidate trickled (`offerStream(stream)` those of
  // a stream the page made); `connected()` waits for
  // 'connected'; `close()` closes it and stops the local tracks.
  // `videosInDocument: false` keeps each remote <video> out of the document, playing: headless
  // WPE's web process crashes when it paints a playing video.
  const openPagePeer = ({ videosInDocument = true } = {}) => {
    const peer = window.peer = {
      received: [], candidates: [], candidatesEnded: false, iceConnectionStates: [], connectionStates: [],
      channel: null, remote: [], localStreams: [],
    };
    const pc = peer.pc = new RTCPeerConnection({ iceServers: [] });
    pc.oniceconnectionstatechange = () => peer.iceConnectionStates.push(pc.iceConnectionState);
    pc.onconnectionstatechange = () => peer.connectionStates.push(pc.connectionState);
    pc.onicecandidate = (event) => {
      if (event.candidate) peer.candidates.push(event.candidate.toJSON());
      else peer.candidatesEnded = true;
    };
    peer.adopt = (channel) => {
      peer.channel = channel;
      channel.binaryType = 'arraybuffer';
      channel.onmessage = (event) => peer.received.push(typeof event.data === 'string'
        ? event.data : 'bytes:' + Array.from(new Uint8Array(event.data)).join(','));
    };
    pc.ondatachannel = (event) => peer.adopt(event.channel);
    pc.ontrack = (event) => {
      const entry = { kind: event.track.kind, stream: new MediaStream([event.track]), element: null };
      if (entry.kind === 'video') {
        // Never added then removed: an element leaving its document pauses.
        entry.element = showVideo(entry.stream, 'srcObject', videosInDocument);
        entry.element.play().catch(() => {});
      }
      peer.remote.push(entry);
    };
    peer.offerMedia = async (constraints) => peer.offerStream(
      await within(navigator.mediaDevices.getUserMedia(constraints), 'getUserMedia'));
    // The same with any stream the page made (its tracks may be the engine's own).
    peer.offerStream = async (stream) => {
      peer.localStreams.push(stream);
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await until(() => peer.candidatesEnded, "the end of the page's candidates");
      return {
        sdp: offer.sdp, candidates: peer.candidates,
        settings: stream.getTracks().map((track) => ({ kind: track.kind, ...track.getSettings() })),
      };
    };
    peer.connected = () => until(() => pc.connectionState === 'connected'
      || (['failed', 'closed'].includes(pc.connectionState) && `connection ${pc.connectionState}`),
    () => `the page's connection to its peer (${pc.connectionState})`);
    peer.close = () => {
      pc.close();
      for (const stream of peer.localStreams) stream.getTracks().forEach((track) => track.stop());
    };
    // When the other end is a page too, the test carries plain JSON between the two:
    // `addMedia(constraints)` adds getUserMedia tracks (resolves to their settings), `offer()`,
    // `answer(offer)` and `accept(answer)` make and take descriptions, `gathered()` resolves
    // to every candidate once gathering ended, `addCandidates(candidates)` adds the other's.
    peer.addMedia = async (constraints) => {
      const stream = await within(navigator.mediaDevices.getUserMedia(constraints), 'getUserMedia');
      peer.localStreams.push(stream);
      stream.getTracks().forEach((track) => pc.addTrack(track, stream));
      return stream.getTracks().map((track) => ({ kind: track.kind, ...track.getSettings() }));
    };
    const description = () => ({ type: pc.localDescription.type, sdp: pc.localDescription.sdp });
    peer.offer = async () => {
      await within(pc.setLocalDescription(await pc.createOffer()), 'the offer is set locally');
      return description();
    };
    peer.answer = async (offer) => {
      await within(pc.setRemoteDescription(offer), 'the offer is set remotely');
      await within(pc.setLocalDescription(await pc.createAnswer()), 'the answer is set locally');
      return description();
    };
    peer.accept = (answer) => within(pc.setRemoteDescription(answer), 'the answer is set remotely');
    peer.gathered = () => until(() => peer.candidatesEnded && peer.candidates, "the end of the page's candidates");
    peer.addCandidates = async (candidates) => {
      for (const candidate of candidates) await within(pc.addIceCandidate(candidate), 'a remote candidate is added');
    };
  };

  // --- a call between two pages through the relay ---------------------------------------------

  // Joins `/signal/<room>` and, once the other page is there, the offerer makes one offer:
  // with `media` (getUserMedia constraints) the page's tracks, with `channel` a data channel
  // of that label. Candidates trickle through the relay. Progress is kept in `window.call`:
  // `error`, the state histories, candidate counts, every description sent and received,
  // the remote tracks in arrival order (`remote`: kind, track, streamIds, stream, and a
  // playing <video> for video), the channel and the messages it `received`, and `ready`
  // once the channel is open and both connection states were 'connected'.
  // `call.until(check, what)` waits for `check(call)`, failing at once if the call failed;
  // `call.addCamera(constraints)` / `call.renegotiate()` start a later round from this page.
  // `configuration`: the RTCPeerConnection's (default: no ICE server).
  const joinCall = ({ room, offerer, media = null, channel = null, configuration = null }) => {
    const call = window.call = {
      ready: false, error: null, remote: [], localStreams: [], iceConnectionStates: [], connectionStates: [],
      negotiationNeeded: 0, candidatesSent: 0, candidatesReceived: 0, descriptionsApplied: [], descriptions: [],
      channel: null, received: [],
    };
    const fail = (error) => { call.error = call.error || String(error && error.stack || error); };
    const pc = call.pc = new RTCPeerConnection(configuration || { iceServers: [] });
    let socket = null;
    const send = (message) => socket.send(JSON.stringify(message));
    const sendDescription = () => {
      call.descriptions.push({ sent: true, type: pc.localDescription.type, sdp: pc.localDescription.sdp });
      send({ description: pc.localDescription });
    };
    const checkReady = () => {
      call.ready = Boolean(call.channel && call.channel.readyState === 'open'
        && call.iceConnectionStates.includes('connected') && call.connectionStates.includes('connected'));
    };
    const adoptChannel = (dataChannel) => {
      call.channel = dataChannel;
      dataChannel.binaryType = 'arraybuffer';
      dataChannel.onopen = checkReady;
      dataChannel.onmessage = (event) => {
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
    pc.onnegotiationneeded = () => { call.negotiationNeeded += 1; };
    pc.onicecandidate = (event) => {
      if (event.candidate) call.candidatesSent += 1;
      send({ candidate: event.candidate });
    };
    pc.ondatachannel = (event) => adoptChannel(event.channel);
    pc.ontrack = (event) => {
      const entry = {
        kind: event.track.kind, track: event.track, streamIds: event.streams.map((stream) => stream.id),
        stream: new MediaStream([event.track]), element: null,
      };
      if (entry.kind === 'video') {
        entry.element = showVideo(entry.stream);
        entry.element.play().catch(() => {});
      }
      call.remote.push(entry);
    };

    call.until = (check, what) => until(() => {
      if (call.error) throw new Error(call.error);
      return check(call);
    }, what);
    // A page-started round of offer and answer; resolves once the answer is applied.
    call.renegotiate = async () => {
      const answers = () => call.descriptionsApplied.filter((type) => type === 'answer').length;
      const before = answers();
      await pc.setLocalDescription(await pc.createOffer());
      sendDescription();
      await call.until(() => answers() > before, 'an answer to our re-offer');
    };
    call.addCamera = async (constraints = true) => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: constraints }), 'getUserMedia');
      call.localStreams.push(stream);
      pc.addTrack(stream.getVideoTracks()[0], stream);
      return stream.getVideoTracks()[0].getSettings();
    };

    // Messages are handled one at a time, in relay order; candidates that arrive before
    // the remote description wait for it.
    let earlyCandidates = [];
    let offered = false;
    const handle = async (message) => {
      if (message.relay === 'room' && message.peers > 0 || message.relay === 'joined') {
        if (offerer && !offered) {
          offered = true;
          if (channel) adoptChannel(pc.createDataChannel(channel));
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
      if (media) {
        const stream = await within(navigator.mediaDevices.getUserMedia(media), 'getUserMedia');
        call.localStreams.push(stream);
        for (const track of stream.getTracks()) pc.addTrack(track, stream);
      }
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

  // Ends what joinCall started: the connection, the relay socket and the local tracks.
  const leaveCall = () => {
    window.call.pc.close();
    if (window.call.socket) window.call.socket.close();
    for (const stream of window.call.localStreams) stream.getTracks().forEach((track) => track.stop());
  };

  // --- perfect negotiation (webrtc-pc 10.7) -----------------------------------------------

  // Joins `/signal/<room>` as one side of webrtc-pc's perfect negotiation: every change is
  // offered from negotiationneeded with an implicit setLocalDescription; an offer that
  // collides with ours is ignored by the impolite side and taken by the polite one (its
  // setRemoteDescription rolls ours back). While `window.perfect.held`, what the page would
  // send waits (a test releases both sides at once to make the offers cross: glare).
  // `window.perfect`: the connection, its `channels` by label with the messages each
  // `received`, the remote tracks, the offers `ignored`, the `collisions` seen, `error`.
  const joinPerfectNegotiation = ({ room, polite }) => {
    const perfect = window.perfect = {
      polite, error: null, held: true, outbox: [], channels: {}, remote: [], localStreams: [],
      ignored: 0, collisions: 0, signalingStates: [], connectionStates: [], joined: false,
    };
    const fail = (error) => { perfect.error = perfect.error || String(error && error.stack || error); };
    const pc = perfect.pc = new RTCPeerConnection({ iceServers: [] });
    let socket = null;
    const send = (message) => {
      if (perfect.held) perfect.outbox.push(message);
      else socket.send(JSON.stringify(message));
    };
    perfect.release = () => {
      perfect.held = false;
      for (const message of perfect.outbox.splice(0)) socket.send(JSON.stringify(message));
    };
    const adoptChannel = (channel) => {
      const entry = perfect.channels[channel.label] = { channel, received: [] };
      channel.onmessage = (event) => entry.received.push(event.data);
    };
    pc.onsignalingstatechange = () => perfect.signalingStates.push(pc.signalingState);
    pc.onconnectionstatechange = () => perfect.connectionStates.push(pc.connectionState);
    pc.ondatachannel = (event) => adoptChannel(event.channel);
    pc.ontrack = (event) => {
      const entry = { kind: event.track.kind, track: event.track, element: null };
      if (entry.kind === 'video') {
        entry.element = showVideo(new MediaStream([event.track]));
        entry.element.play().catch(() => {});
      }
      perfect.remote.push(entry);
    };
    pc.onicecandidate = ({ candidate }) => send({ candidate });

    let makingOffer = false;
    let ignoreOffer = false;
    let settingRemoteAnswer = false;
    pc.onnegotiationneeded = async () => {
      try {
        makingOffer = true;
        await pc.setLocalDescription();
        send({ description: pc.localDescription });
      } catch (error) {
        fail(error);
      } finally {
        makingOffer = false;
      }
    };
    const handle = async ({ description, candidate }) => {
      if (description) {
        const readyForOffer = !makingOffer && (pc.signalingState === 'stable' || settingRemoteAnswer);
        const collision = description.type === 'offer' && !readyForOffer;
        if (collision) perfect.collisions += 1;
        ignoreOffer = !polite && collision;
        if (ignoreOffer) {
          perfect.ignored += 1;
          return;
        }
        settingRemoteAnswer = description.type === 'answer';
        await pc.setRemoteDescription(description);
        settingRemoteAnswer = false;
        if (description.type === 'offer') {
          await pc.setLocalDescription();
          send({ description: pc.localDescription });
        }
      } else if (candidate !== undefined) {
        try {
          await pc.addIceCandidate(candidate);
        } catch (error) {
          if (!ignoreOffer) throw error;  // a candidate of an offer we ignored
        }
      }
    };
    // Each side's changes at once, in one task (so one offer carries them): its
    // getUserMedia tracks and a data channel.
    perfect.makeChanges = async (label, media) => {
      const stream = await within(navigator.mediaDevices.getUserMedia(media), 'getUserMedia');
      perfect.localStreams.push(stream);
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      adoptChannel(pc.createDataChannel(label));
    };
    perfect.until = (check, what) => until(() => {
      if (perfect.error) throw new Error(perfect.error);
      return check(perfect);
    }, () => `${what}; seen: ${JSON.stringify({
      signalingStates: perfect.signalingStates, connectionStates: perfect.connectionStates,
      ignored: perfect.ignored, collisions: perfect.collisions, remote: perfect.remote.map((entry) => entry.kind),
      channels: Object.fromEntries(Object.entries(perfect.channels).map(([label, { channel }]) => [label, channel.readyState])),
    })}`);

    const address = new URL('/signal/' + encodeURIComponent(room), location.href);
    address.protocol = 'ws:';
    socket = perfect.socket = new WebSocket(address.href);
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.relay) {
        perfect.joined = perfect.joined || message.relay === 'joined' || message.peers > 0;
        return;
      }
      handle(message).catch(fail);  // not serialised: the operations chain orders them
    };
    socket.onerror = () => fail('signaling socket error');
  };

  const leavePerfectNegotiation = () => {
    window.perfect.pc.close();
    window.perfect.socket.close();
    for (const stream of window.perfect.localStreams) stream.getTracks().forEach((track) => track.stop());
  };

  Object.assign(window, {
    within, until, nextEvent, roundTrip, settled, errorOf,
    callbackOutcome, describeDescription, describeError, offerAndAnswer,
    bytesOf, describeMessage, receive, sha256,
    negotiate, trickleNegotiate, connected, gatheringComplete, gatheredDescription, gatheredOffer, gatheredAnswer,
    makePair, makeMediaCall, unmutedRemoteTracks,
    statsCall, statsOf, legacyStatsOf, whenStats, timed, ofType,
    mungeAudioTo8000, dtmfCall, logTones, tonesDone, toneSpanMs,
    showVideo, playVideo, grabFrame, readCounter, counterAdvances, meanLevel, blackFrame, videoSize, videoStamps,
    sideColours, hashPixels, videoChanges, framesDecoded, tonePeak, soundPeak,
    openPagePeer, joinCall, leaveCall, joinPerfectNegotiation, leavePerfectNegotiation,
  });
})(window);
