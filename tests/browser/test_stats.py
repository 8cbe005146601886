"""getStats through the real bridge: every webrtc-stats type with real, changing values,
the selectors, the 2013 forms, and the report compared with native Chromium's."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page

from .stats_types import ALL_TYPES, ALL_TYPES_READY, DATA_ONLY_TYPES, REFERENCES

# Fields Chromium 156 reports that we deliberately do not, and why.
NO_STUN_COUNTS = {"requestsSent", "requestsReceived", "responsesSent", "responsesReceived", "consentRequestsSent",
                  "totalRoundTripTime", "lastPacketSentTimestamp", "lastPacketReceivedTimestamp",
                  "bytesDiscardedOnSend", "packetsDiscardedOnSend"}  # aioice counts and times no check
NO_ENCODER_INTERNALS = {"encoderImplementation", "powerEfficientEncoder", "qpSum", "totalEncodeTime",
                        "keyFramesEncoded", "hugeFramesSent", "totalEncodedBytesTarget", "scalabilityMode",
                        "encodingIndex", "qualityLimitationDurations", "qualityLimitationReason",
                        "qualityLimitationResolutionChanges"}  # aiortc's encoders expose none but their target
NO_DECODER_INTERNALS = {"decoderImplementation", "powerEfficientDecoder", "qpSum", "totalDecodeTime",
                        "keyFramesDecoded", "totalAssemblyTime", "framesAssembledFromMultiplePackets",
                        "framesDropped"}  # nor do its decoders
NO_JITTER_BUFFER = {"jitterBufferDelay", "jitterBufferEmittedCount", "jitterBufferMinimumDelay",
                    "jitterBufferTargetDelay", "concealedSamples", "concealmentEvents", "silentConcealedSamples",
                    "insertedSamplesForDeceleration", "removedSamplesForAcceleration", "freezeCount", "pauseCount",
                    "totalFreezesDuration", "totalPausesDuration", "totalInterFrameDelay",
                    "totalSquaredInterFrameDelay", "totalProcessingDelay", "playoutId"}  # aiortc has no playout
# aiortc keeps its RTX SSRC to itself; we do not read it.
NO_RTX = {"rtxSsrc"}
NO_SENT_EXTRAS = {"headerBytesSent", "retransmittedPacketsSent", "retransmittedBytesSent", "packetsSentWithEct1",
                  "totalPacketSendDelay"}
NO_RECEIVED_EXTRAS = {"headerBytesReceived", "packetsDiscarded", "fecPacketsReceived", "fecPacketsDiscarded",
                      "retransmittedPacketsReceived", "retransmittedBytesReceived", "packetsReceivedWithEct1",
                      "packetsReceivedWithCe"}
CHROMIUM_ONLY = {"mediaType"}  # not (or no longer) in webrtc-stats
NOT_REPORTED: dict[str, set[str]] = {
    "candidate-pair": NO_STUN_COUNTS,
    "local-candidate": {"networkType"},  # Chromium only
    "codec": {"sdpFmtpLine"},  # only when the codec has fmtp parameters: aiortc's Opus and VP8 have none
    "inbound-rtp": NO_DECODER_INTERNALS | NO_JITTER_BUFFER | NO_RTX | NO_RECEIVED_EXTRAS
    | CHROMIUM_ONLY | {"googTimingFrameInfo"},
    "outbound-rtp": NO_ENCODER_INTERNALS | NO_RTX | NO_SENT_EXTRAS | CHROMIUM_ONLY,
    # aiortc keeps a smoothed RTT only, and counts no reports.
    "remote-inbound-rtp": {"totalRoundTripTime", "roundTripTimeMeasurements"} | CHROMIUM_ONLY,
    # Chromium measures these only when it negotiated RTCP XR.
    "remote-outbound-rtp": {"roundTripTime", "totalRoundTripTime", "roundTripTimeMeasurements", "reportsSent"}
    | CHROMIUM_ONLY,
    "media-source": {"echoReturnLoss", "echoReturnLossEnhancement"},  # no echo canceller on the server
}
# media-playout: the page plays remote audio natively; aiortc has no playout to describe.
TYPES_NOT_REPORTED = {"media-playout"}
# Fields we may report beyond Chromium's in the comparison's call: sdpFmtpLine and
# currentRoundTripTime (allowed since the comparison began), and availableIncomingBitrate:
# aiortc's video receivers estimate (REMB), Chromium makes no receive-side estimate once it
# negotiated transport-cc, as two Chromium pages do.
SHIM_ONLY = {"sdpFmtpLine", "currentRoundTripTime", "availableIncomingBitrate"}


def start_call(page: Page, *, media: bool) -> None:
    page.evaluate("async (media) => { window.call = await statsCall({ media }); }", media)


def assert_references_resolve(stats: dict[str, dict[str, Any]]) -> None:
    for entry in stats.values():
        for key in REFERENCES:
            if key in entry:
                assert entry[key] in stats, (entry["id"], key, entry[key])


# The counters of a stream (and of its source and transport), which only grow.
COUNTERS = ("bytesSent", "bytesReceived", "packetsSent", "packetsReceived", "framesEncoded", "framesSent",
            "framesDecoded", "framesReceived", "frames")
COUNTED_TYPES = ("outbound-rtp", "inbound-rtp", "media-source", "transport")
# Until every counter of every object of those types grew since `first` (the same ids).
COUNTERS_GREW = """(first) => whenStats(call.a, (stats) => Object.values(stats)
  .filter((entry) => TYPES.includes(entry.type))
  .every((entry) => first[entry.id] && COUNTERS.every((key) => !(key in entry) || entry[key] > first[entry.id][key])),
  'every counter grows')""".replace("TYPES", str(list(COUNTED_TYPES))).replace("COUNTERS", str(list(COUNTERS)))


def counters_not_grown(first: dict[str, Any], second: dict[str, Any]) -> list[tuple[str, str]]:
    """Each (id, counter) of the counted types that did not grow from one report to the next."""
    counted = {stats_id for stats_id, entry in second.items() if entry["type"] in COUNTED_TYPES}
    assert counted == {stats_id for stats_id, entry in first.items() if entry["type"] in COUNTED_TYPES}
    return [(stats_id, key) for stats_id in sorted(counted) for key in COUNTERS
            if key in second[stats_id] and not second[stats_id][key] > first[stats_id][key]]


def assert_timestamps_on_page_clock(timed: dict[str, Any]) -> None:
    """Each stat was taken during the call (RTCP-based ones earlier), on the page's clock."""
    for entry in timed["stats"].values():
        assert entry["timestamp"] <= timed["after"] + 1, entry
        if not entry["type"].startswith("remote-"):
            assert entry["timestamp"] >= timed["before"] - 1, entry


def of_type(stats: dict[str, dict[str, Any]], stats_type: str) -> list[dict[str, Any]]:
    return [entry for entry in stats.values() if entry["type"] == stats_type]


def sdp_fingerprint(sdp: str) -> str:
    match = re.search(r"^a=fingerprint:sha-256 (\S+)", sdp, re.M)
    assert match, sdp
    return match.group(1).upper()


def test_get_stats_reports_every_type_during_a_media_call(shim_page: Page) -> None:
    start_call(shim_page, media=True)
    shim_page.evaluate(f"() => whenStats(call.a, {ALL_TYPES_READY}, 'every type in the report')")
    shim_page.evaluate(f"() => whenStats(call.b, {ALL_TYPES_READY}, 'every type in the report')")
    first = shim_page.evaluate("() => timed(call.a)")
    shim_page.evaluate("() => call.channel.send('héllo')")
    shim_page.evaluate("""() => whenStats(call.b, (stats) => ofType(stats, 'data-channel')[0].messagesReceived === 1,
                                          'the message is counted')""")
    shim_page.evaluate(COUNTERS_GREW, first["stats"])
    second = shim_page.evaluate("() => timed(call.a)")
    stats, b_stats = second["stats"], shim_page.evaluate("() => statsOf(call.b)")
    assert {entry["type"] for entry in stats.values()} == ALL_TYPES
    assert {entry["type"] for entry in b_stats.values()} == ALL_TYPES
    for report in (first, second):
        assert_references_resolve(report["stats"])
        assert_timestamps_on_page_clock(report)
    assert counters_not_grown(first["stats"], stats) == []

    # Real values, the same ones the page and the SDP know.
    page_facts = shim_page.evaluate("""() => ({
      localSdp: call.a.localDescription.sdp, remoteSdp: call.a.remoteDescription.sdp,
      sent: call.tracks.a.map((track) => [track.kind, track.id]),
      received: call.a.getReceivers().map((receiver) => [receiver.track.kind, receiver.track.id]),
    })""")
    (transport,) = of_type(stats, "transport")
    assert transport["dtlsState"] == "connected" and transport["iceState"] == "connected"
    assert stats[transport["localCertificateId"]]["fingerprint"] == sdp_fingerprint(page_facts["localSdp"])
    assert stats[transport["remoteCertificateId"]]["fingerprint"] == sdp_fingerprint(page_facts["remoteSdp"])
    pair = stats[transport["selectedCandidatePairId"]]
    assert pair["state"] == "succeeded" and pair["nominated"] and pair["bytesSent"] > 0
    local_candidate = stats[pair["localCandidateId"]]
    assert f" {local_candidate['address']} {local_candidate['port']} typ" in page_facts["localSdp"]
    assert sorted([s["kind"], s["trackIdentifier"]] for s in of_type(stats, "media-source")) == sorted(
        page_facts["sent"])
    assert sorted([s["kind"], s["trackIdentifier"]] for s in of_type(stats, "inbound-rtp")) == sorted(
        page_facts["received"])
    for outbound in of_type(stats, "outbound-rtp"):
        previous = first["stats"][outbound["id"]]
        assert outbound["packetsSent"] > previous["packetsSent"]
        assert stats[outbound["codecId"]]["mimeType"] in ("audio/opus", "video/VP8")
        remote = stats[outbound["remoteId"]]
        assert remote["localId"] == outbound["id"] and remote["ssrc"] == outbound["ssrc"]
        assert 0 < remote["roundTripTime"] < 1
        assert 0 < remote["jitter"] < 0.5 and 0 <= remote["fractionLost"] <= 1, remote
    for inbound in of_type(stats, "inbound-rtp"):
        assert 0 < inbound["jitter"] < 0.5, inbound
        # Packets kept arriving, up to this report, on the page's clock.
        previous_packet = first["stats"][inbound["id"]]["lastPacketReceivedTimestamp"]
        assert previous_packet < inbound["lastPacketReceivedTimestamp"] <= second["after"] + 1, inbound
    video_in = next(s for s in of_type(stats, "inbound-rtp") if s["kind"] == "video")
    assert video_in["framesDecoded"] > first["stats"][video_in["id"]]["framesDecoded"]
    assert (video_in["frameWidth"], video_in["frameHeight"]) == (640, 480)
    audio_source = next(s for s in of_type(stats, "media-source") if s["kind"] == "audio")
    assert audio_source["audioLevel"] > 0.05 and audio_source["totalAudioEnergy"] > 0  # the 440 Hz tone
    (channel_b,) = of_type(b_stats, "data-channel")
    assert (channel_b["label"], channel_b["messagesReceived"], channel_b["bytesReceived"]) == ("test", 1, 6)
    assert stats["P"]["dataChannelsOpened"] == 1


def test_get_stats_of_a_data_channel_only_call(shim_page: Page) -> None:
    start_call(shim_page, media=False)
    first = shim_page.evaluate("() => timed(call.a)")
    stats = first["stats"]
    assert {entry["type"] for entry in stats.values()} == DATA_ONLY_TYPES
    assert_references_resolve(stats)
    assert_timestamps_on_page_clock(first)
    shim_page.evaluate("() => { for (let i = 0; i < 10; i++) call.channel.send(new Uint8Array(1000)); }")
    shim_page.evaluate("""() => whenStats(call.b,
        (stats) => ofType(stats, 'data-channel')[0].messagesReceived === 10, 'ten messages received')""")
    second = shim_page.evaluate("() => statsOf(call.a)")
    (channel,) = of_type(second, "data-channel")
    assert (channel["bytesSent"], channel["state"], channel["dataChannelIdentifier"]) == (10000, "open", 1)
    (transport,) = of_type(second, "transport")
    assert transport["bytesSent"] > of_type(stats, "transport")[0]["bytesSent"] + 10000
    assert second[transport["selectedCandidatePairId"]]["currentRoundTripTime"] > 0  # SCTP's RTT
    assert second["P"] == {**second["P"], "dataChannelsOpened": 1, "dataChannelsClosed": 0}


def test_get_stats_selects_by_track_sender_and_receiver(shim_page: Page) -> None:
    start_call(shim_page, media=True)
    shim_page.evaluate(f"() => whenStats(call.a, {ALL_TYPES_READY}, 'every type in the report')")
    result = shim_page.evaluate("""async () => {
      const types = async (report) => [...(await report).values()].map((entry) => entry.type).sort();
      const errorName = async (attempt) => { try { await attempt(); return 'no error'; } catch (e) { return e.name; } };
      const video = call.tracks.a.find((track) => track.kind === 'video');
      const sender = call.a.getSenders().find((s) => s.track === video);
      const receiver = call.a.getReceivers().find((r) => r.track.kind === 'audio');
      return {
        byTrack: await types(call.a.getStats(video)),
        bySender: await types(sender.getStats()),
        byReceiverTrack: await types(call.a.getStats(receiver.track)),
        byReceiver: await types(receiver.getStats()),
        senderKind: [...(await sender.getStats()).values()].find((e) => e.type === 'outbound-rtp').kind,
        foreignTrack: await errorName(() => call.a.getStats(call.tracks.b[0])),
        notATrack: await errorName(() => call.a.getStats({})),
        nullSelector: (await call.a.getStats(null)).size === (await call.a.getStats()).size,
      };
    }""")
    linked = ["candidate-pair", "certificate", "certificate", "codec", "local-candidate", "remote-candidate", "transport"]
    assert result["byTrack"] == sorted([*linked, "media-source", "outbound-rtp", "remote-inbound-rtp"])
    assert result["bySender"] == result["byTrack"] and result["senderKind"] == "video"
    assert result["byReceiverTrack"] == sorted([*linked, "inbound-rtp", "remote-outbound-rtp"])
    assert result["byReceiver"] == result["byReceiverTrack"]
    assert (result["foreignTrack"], result["notATrack"]) == ("InvalidAccessError", "TypeError")
    assert result["nullSelector"]


# How 2013 pages read stats: every names()/stat() pair of every report into a table.
LEGACY_TABLE = """() => new Promise((resolve, reject) => {
  call.a.getStats(function (response) {
    const table = {};
    response.result().forEach(function (report) {
      const row = { type: report.type, isDate: report.timestamp instanceof Date,
                    time: report.timestamp.getTime(), local: report.local === report };
      report.names().forEach(function (name) { row[name] = report.stat(name); });
      table[report.id] = row;
    });
    table.namedItemWorks = response.namedItem(response.result()[0].id) === response.result()[0];
    resolve(table);
  });
})"""


def test_get_stats_legacy_callback_forms(shim_page: Page) -> None:
    start_call(shim_page, media=True)
    shim_page.evaluate(f"() => whenStats(call.a, {ALL_TYPES_READY}, 'every type in the report')")
    before = shim_page.evaluate("() => Date.now()")
    table = shim_page.evaluate(LEGACY_TABLE)
    assert table.pop("namedItemWorks") is True
    rows = list(table.values())
    assert all(row["isDate"] and row["local"] and row["time"] >= before - 1000 for row in rows)
    types = {row["type"] for row in rows}
    assert {"googCandidatePair", "localcandidate", "remotecandidate", "googCertificate", "googComponent",
            "ssrc", "googTrack", "datachannel", "googLibjingleSession", "VideoBwe"} <= types
    (active,) = [row for row in rows if row["type"] == "googCandidatePair" and row["googActiveConnection"] == "true"]
    assert int(active["bytesSent"]) > 0 and active["googLocalCandidateType"] == "local"
    assert active["localCandidateId"] in table and active["googChannelId"] in table
    sends = [row for row in rows if row["type"] == "ssrc" and "bytesSent" in row]
    assert sorted(row["mediaType"] for row in sends) == ["audio", "video"]
    assert all(re.fullmatch(r"[1-9]\d*", row["bytesSent"]) for row in sends)  # strings, as in 2013
    video_send = next(row for row in sends if row["mediaType"] == "video")
    assert (video_send["googCodecName"], video_send["googFrameWidthSent"]) == ("VP8", "640")
    assert next(row for row in rows if row["type"] == "googComponent")["dtlsCipher"].startswith("TLS_")

    forms = shim_page.evaluate("""async () => {
      const video = call.tracks.a.find((track) => track.kind === 'video');
      const chromeSelected = await new Promise((resolve) => call.a.getStats(
        (response) => resolve(response.result().map((report) => report.type).sort()), video));
      const chromeFailure = await new Promise((resolve) => call.a.getStats(
        () => resolve('success'), call.tracks.b[0], (error) => resolve(error.name)));
      const firefox = await new Promise((resolve, reject) => call.a.getStats(video, resolve, reject));
      const firefoxFailure = await new Promise((resolve) => call.a.getStats(
        call.tracks.b[0], () => resolve('success'), (error) => resolve(error.name)));
      return { chromeSelected, chromeFailure, firefoxIsReport: firefox instanceof RTCStatsReport,
               firefoxTypes: [...firefox.values()].map((entry) => entry.type).sort(), firefoxFailure,
               returned: String(call.a.getStats(() => {})) };
    }""")
    assert "ssrc" in forms["chromeSelected"] and "datachannel" not in forms["chromeSelected"]
    assert "VideoBwe" not in forms["chromeSelected"]  # a whole report's, as in Chrome
    assert forms["firefoxIsReport"] and "outbound-rtp" in forms["firefoxTypes"]
    assert "inbound-rtp" not in forms["firefoxTypes"]
    assert forms["chromeFailure"] == forms["firefoxFailure"] == "InvalidAccessError"
    assert forms["returned"] == "[object Promise]"


def test_stats_report_is_a_readonly_maplike(shim_page: Page) -> None:
    start_call(shim_page, media=False)
    result = shim_page.evaluate("""async () => {
      const report = await call.a.getStats();
      const seen = [];
      report.forEach(function (value, key, map) { seen.push([key, value.id === key, map === report, this.tag]); },
                     { tag: 'this' });
      let constructed;
      try { new RTCStatsReport(); constructed = 'no error'; } catch (e) { constructed = e.name; }
      return {
        size: report.size, keys: [...report.keys()], entriesMatch: [...report].every(([k, v]) => report.get(k) === v),
        valuesMatch: [...report.values()].every((v) => report.has(v.id)), seen, missing: report.get('nope'),
        tag: Object.prototype.toString.call(report), constructed, lengths: ['get', 'has', 'forEach', 'keys', 'values',
          'entries'].map((name) => RTCStatsReport.prototype[name].length),
        getStatsLength: RTCPeerConnection.prototype.getStats.length,
        iterator: RTCStatsReport.prototype[Symbol.iterator] === RTCStatsReport.prototype.entries,
      };
    }""")
    assert result["size"] == len(result["keys"]) == len(result["seen"]) > 5
    assert all(key_matches and map_is_report and this == "this" for _, key_matches, map_is_report, this in result["seen"])
    assert [key for key, *_ in result["seen"]] == result["keys"]
    assert result["entriesMatch"] and result["valuesMatch"] and result["iterator"]
    assert result["missing"] is None  # undefined
    assert (result["tag"], result["constructed"]) == ("[object RTCStatsReport]", "TypeError")
    assert result["lengths"] == [1, 1, 1, 0, 0, 0] and result["getStatsLength"] == 0


# The comparison with native Chromium: the same call in both pages, then the fields each
# reports, by type and, for media, by kind ("outbound-rtp/audio"): every field of either kind
# is compared. Our bandwidth estimate comes with the first REMB, about 3 s into the video.
COMPARED = """async () => {
  await whenStats(call.a, READY, 'every type in the report');
  await whenStats(call.b, READY, 'every type in the report');
  const keys = {};
  for (const pc of [call.a, call.b]) {
    await whenStats(pc, (stats) => ofType(stats, 'candidate-pair').some((pair) => pair.availableOutgoingBitrate > 0),
                    'a bandwidth estimate');
    const timed = await window.timed(pc);
    for (const entry of Object.values(timed.stats)) {
      const group = entry.kind ? `${entry.type}/${entry.kind}` : entry.type;
      keys[group] = [...new Set([...(keys[group] || []), ...Object.keys(entry)])].sort();
      // The time base: ms since the epoch, taken during the call (Chromium keeps some
      // objects, e.g. certificates, with the time they were last updated).
      if (entry.timestamp < call.started - 1 || entry.timestamp > timed.after + 1) {
        throw new Error(`${entry.id} timestamp ${entry.timestamp} is not on the page clock`);
      }
    }
  }
  call.channel.close();
  await new Promise((resolve) => { call.remoteChannel.onclose = resolve; });
  call.a.close();
  const closed = await call.a.getStats();
  return { keys, closed: [...closed.values()].map(({ type, dataChannelsOpened, dataChannelsClosed }) =>
    ({ type, dataChannelsOpened, dataChannelsClosed })),
    prototype: Object.getOwnPropertyNames(RTCStatsReport.prototype).sort() };
}""".replace("READY", ALL_TYPES_READY)


def type_of(group: str) -> str:
    return group.split("/")[0]


def keys_by_type(keys: dict[str, list[str]]) -> dict[str, set[str]]:
    """Every field of each type, whatever the kind."""
    merged: dict[str, set[str]] = {}
    for group, group_keys in keys.items():
        merged.setdefault(type_of(group), set()).update(group_keys)
    return merged


def test_get_stats_matches_native_chromium(shim_page: Page, native_page: Page) -> None:
    reports = {}
    for name, page in (("native", native_page), ("shim", shim_page)):
        start_call(page, media=True)
        reports[name] = page.evaluate(COMPARED)
    native, shim = reports["native"], reports["shim"]
    assert {type_of(group) for group in native["keys"]} - TYPES_NOT_REPORTED == set(keys_by_type(shim["keys"])) \
        == ALL_TYPES
    assert {group for group in native["keys"] if type_of(group) not in TYPES_NOT_REPORTED} == set(shim["keys"])
    for group, native_keys in native["keys"].items():
        if type_of(group) in TYPES_NOT_REPORTED:
            continue
        missing = set(native_keys) - NOT_REPORTED.get(type_of(group), set()) - set(shim["keys"][group])
        extra = set(shim["keys"][group]) - set(native_keys) - SHIM_ONLY
        assert not missing and not extra, (group, missing, extra)
    native_types, shim_types = keys_by_type(native["keys"]), keys_by_type(shim["keys"])
    for stats_type, not_reported in NOT_REPORTED.items():  # the list is not stale, nor misfiled
        assert not_reported <= native_types[stats_type], (stats_type, not_reported - native_types[stats_type])
        assert not not_reported & shim_types[stats_type], (stats_type, not_reported & shim_types[stats_type])
    assert shim["closed"] == native["closed"]
    assert shim["prototype"] == native["prototype"]


# The video sender of call.a, its outbound-rtp and that stream's media-source.
VIDEO_SENT = """async () => {
  const stats = await statsOf(call.a);
  const outbound = ofType(stats, 'outbound-rtp').find((entry) => entry.kind === 'video');
  return { outbound, source: stats[outbound.mediaSourceId] || null };
}"""
# Turns call.a's video encoding on or off (setParameters).
SET_VIDEO_ACTIVE = """async (active) => {
  const sender = call.a.getSenders().find((s) => s.track && s.track.kind === 'video');
  const parameters = sender.getParameters();
  parameters.encodings[0].active = active;
  await sender.setParameters(parameters);
}"""


def test_get_stats_outbound_stops_counting_while_the_encoding_is_inactive(shim_page: Page) -> None:
    start_call(shim_page, media=True)
    shim_page.evaluate("""() => whenStats(call.a, (stats) => ofType(stats, 'outbound-rtp').some(
        (entry) => entry.kind === 'video' && entry.framesEncoded > 0), 'video frames encoded')""")
    before = shim_page.evaluate(VIDEO_SENT)
    shim_page.evaluate(SET_VIDEO_ACTIVE, False)
    # Ten frames of the source, twice: an encode under way when the encoding went
    # inactive has ended long before the second.
    later = """(source) => whenStats(call.a, (stats) => stats[source.id].frames >= source.frames + 10,
        'ten more frames from the source')"""
    shim_page.evaluate(later, before["source"])
    inactive = shim_page.evaluate(VIDEO_SENT)
    shim_page.evaluate(later, inactive["source"])
    still = shim_page.evaluate(VIDEO_SENT)
    assert before["outbound"]["active"] is True
    assert inactive["outbound"]["active"] is still["outbound"]["active"] is False
    assert still["outbound"]["framesEncoded"] == inactive["outbound"]["framesEncoded"]
    assert still["outbound"]["framesSent"] == inactive["outbound"]["framesSent"]
    assert still["source"]["frames"] >= inactive["source"]["frames"] + 10  # the source went on

    shim_page.evaluate(SET_VIDEO_ACTIVE, True)
    again = shim_page.evaluate("""(encoded) => whenStats(call.a, (stats) => ofType(stats, 'outbound-rtp').some(
        (entry) => entry.kind === 'video' && entry.framesEncoded > encoded), 'frames encoded again')""",
                               still["outbound"]["framesEncoded"])
    assert next(e for e in again.values() if e["type"] == "outbound-rtp" and e["kind"] == "video")["active"] is True


def test_get_stats_counters_keep_growing_across_replace_track(shim_page: Page) -> None:
    start_call(shim_page, media=True)
    shim_page.evaluate("""() => whenStats(call.a, (stats) => ofType(stats, 'outbound-rtp').some(
        (entry) => entry.kind === 'video' && entry.framesEncoded > 0), 'video frames encoded')""")
    before = shim_page.evaluate(VIDEO_SENT)
    replaced = shim_page.evaluate("""async () => {
      const sender = call.a.getSenders().find((s) => s.track && s.track.kind === 'video');
      window.firstVideo = sender.track;
      window.secondVideo = (await navigator.mediaDevices.getUserMedia({ video: true })).getVideoTracks()[0];
      await sender.replaceTrack(secondVideo);
      return secondVideo.id;
    }""")
    after = shim_page.evaluate(VIDEO_SENT)
    grown = shim_page.evaluate("""(encoded) => whenStats(call.a, (stats) => ofType(stats, 'outbound-rtp').some(
        (entry) => entry.kind === 'video' && entry.framesEncoded > encoded), 'frames encoded from the new track')""",
                               after["outbound"]["framesEncoded"])
    shim_page.evaluate("""async () => {
      const sender = call.a.getSenders().find((s) => s.track === secondVideo);
      await sender.replaceTrack(firstVideo);
    }""")
    back = shim_page.evaluate(VIDEO_SENT)

    outbound_id = before["outbound"]["id"]
    assert after["outbound"]["id"] == back["outbound"]["id"] == outbound_id
    grown_outbound = grown[outbound_id]
    encoded = [before["outbound"]["framesEncoded"], after["outbound"]["framesEncoded"],
               grown_outbound["framesEncoded"], back["outbound"]["framesEncoded"]]
    assert encoded == sorted(encoded) and encoded[2] > encoded[1], encoded  # never down, and on
    assert back["outbound"]["framesSent"] >= before["outbound"]["framesSent"]
    # One media-source per track: the new track's, then the first one's again, its count kept.
    assert after["source"]["trackIdentifier"] == replaced and after["source"]["id"] != before["source"]["id"]
    assert back["source"]["id"] == before["source"]["id"]
    assert back["source"]["frames"] >= before["source"]["frames"]


def test_get_stats_references_resolve_before_the_answer(shim_page: Page) -> None:
    """Between setRemoteDescription(offer) and setLocalDescription(answer) the answerer
    knows the codecs, but its transport has not started: nothing may name it."""
    reports = shim_page.evaluate("""async () => {
      const a = new RTCPeerConnection({ iceServers: [] });
      const b = new RTCPeerConnection({ iceServers: [] });
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      for (const track of stream.getTracks()) a.addTrack(track, stream);
      a.createDataChannel('test');
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription);
      const reports = { offerer: await statsOf(a), answerer: await statsOf(b) };
      a.close();
      b.close();
      return reports;
    }""")
    for stats in reports.values():
        assert_references_resolve(stats)
    assert {entry["type"] for entry in reports["offerer"].values()} >= {"transport", "media-source"}
