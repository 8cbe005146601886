"""JavaScript for stats tests: a call between two peer connections in one page.

`page.evaluate(STATS_CALL)` defines `window.statsCall({media})`, which resolves once both
ends are connected and their data channel ("test") is open, to {a, b, channel,
remoteChannel, tracks, started}: with `media`, each end sends a camera and a microphone
(`tracks.a`, `tracks.b`); `started` is the page clock when it began. Candidates trickle
through `onicecandidate`, so the same script runs in native Chromium. Also defines:

- `statsOf(pc)`: the report as a plain object by id;
- `legacyStatsOf(pc)`: Chrome's 2013 form, `getStats(callback)`, read the way 2013 pages
  read it (`result()`, `names()`, `stat()`): by report id, {type, name: value as a string};
- `whenStats(pc, ready, what, read = statsOf)`: polls `read(pc)` every 100 ms until
  `ready(stats)` is true; rejects naming `what` after 30 s;
- `timed(pc, selector)`: {before, after, stats}: the page clock around one getStats;
- `ofType(stats, type)`: the stats of that type.
"""

from __future__ import annotations

import json

STATS_CALL = """() => {
window.statsCall = async ({ media = false } = {}) => {
  const started = performance.timeOrigin + performance.now();
  const a = new RTCPeerConnection({ iceServers: [] });
  const b = new RTCPeerConnection({ iceServers: [] });
  a.onicecandidate = (event) => event.candidate && b.addIceCandidate(event.candidate);
  b.onicecandidate = (event) => event.candidate && a.addIceCandidate(event.candidate);
  const tracks = {};
  if (media) {
    for (const [name, pc] of [['a', a], ['b', b]]) {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      tracks[name] = stream.getTracks();
      for (const track of tracks[name]) pc.addTrack(track, stream);
    }
  }
  const channel = a.createDataChannel('test');
  const opened = new Promise((resolve) => { channel.onopen = resolve; });
  const remoteChannel = new Promise((resolve) => { b.ondatachannel = (event) => resolve(event.channel); });
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  await opened;
  return { a, b, channel, remoteChannel: await remoteChannel, tracks, started };
};

window.statsOf = async (pc, selector) => {
  const stats = {};
  (await pc.getStats(selector)).forEach((entry, id) => { stats[id] = entry; });
  return stats;
};

window.legacyStatsOf = (pc) => new Promise((resolve) => pc.getStats((response) => {
  const table = {};
  response.result().forEach((report) => {
    table[report.id] = { type: report.type };
    report.names().forEach((name) => { table[report.id][name] = report.stat(name); });
  });
  resolve(table);
}));

window.whenStats = (pc, ready, what, read = statsOf) => new Promise((resolve, reject) => {
  const deadline = performance.now() + 30000;
  const poll = async () => {
    const stats = await read(pc);
    if (ready(stats)) resolve(stats);
    else if (performance.now() > deadline) reject(new Error(`never happened within 30 s: ${what}`));
    else setTimeout(poll, 100);
  };
  poll().catch(reject);
});

window.timed = async (pc, selector) => {
  const before = performance.timeOrigin + performance.now();
  const stats = await statsOf(pc, selector);
  return { before, after: performance.timeOrigin + performance.now(), stats };
};

window.ofType = (stats, type) => Object.values(stats).filter((entry) => entry.type === type);
}"""

# The W3C webrtc-stats types a browser reports for a call with media and a data channel.
ALL_TYPES = {
    "peer-connection", "transport", "candidate-pair", "local-candidate", "remote-candidate",
    "certificate", "codec", "inbound-rtp", "outbound-rtp", "remote-inbound-rtp",
    "remote-outbound-rtp", "media-source", "data-channel",
}
DATA_ONLY_TYPES = {
    "peer-connection", "transport", "candidate-pair", "local-candidate", "remote-candidate",
    "certificate", "data-channel",
}
# Fields that name another stats object of the same report.
REFERENCES = ("transportId", "codecId", "localCandidateId", "remoteCandidateId", "mediaSourceId",
              "remoteId", "localId", "selectedCandidatePairId", "localCertificateId", "remoteCertificateId")

# Until every type is in a report, with decoded frames, RTCP round trips measured and the
# peer's sender reports in for both kinds.
ALL_TYPES_READY = """(stats) => {
  const types = new Set(Object.values(stats).map((entry) => entry.type));
  return ALL_TYPES.every((type) => types.has(type))
    && ofType(stats, 'inbound-rtp').some((entry) => entry.framesDecoded > 0)
    && ofType(stats, 'remote-inbound-rtp').filter((entry) => entry.roundTripTime !== undefined).length === 2
    && ofType(stats, 'remote-outbound-rtp').length === 2;
}""".replace("ALL_TYPES", json.dumps(sorted(ALL_TYPES)))
