"""Chrome's 2013-2016 getStats(callback) reports, through the real bridge: every name old
pages display and graph, on both ends of a call with audio and video both ways, with the
call's real values (as strings and integers, as Chrome gave them)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page

from .stats_types import ALL_TYPES_READY

# The names the issue lists, by legacy report type; an ssrc report's by direction and kind.
SESSION_NAMES = {"googInitiator"}
BANDWIDTH_NAMES = {"googAvailableSendBandwidth", "googAvailableReceiveBandwidth", "googTargetEncBitrate"}
STREAM_NAMES = {"ssrc", "googTrackId", "transportId", "googCodecName", "packetsLost"}
SSRC_NAMES = {
    ("send", "audio"): STREAM_NAMES | {"bytesSent", "packetsSent", "googRtt", "googJitterReceived", "audioInputLevel"},
    ("send", "video"): STREAM_NAMES | {"bytesSent", "packetsSent", "googRtt", "googFrameRateSent"},
    ("recv", "audio"): STREAM_NAMES | {"bytesReceived", "packetsReceived", "googJitterReceived", "audioOutputLevel"},
    ("recv", "video"): STREAM_NAMES | {"bytesReceived", "packetsReceived", "googJitterReceived",
                                       "googFrameWidthReceived", "googFrameHeightReceived", "googFrameRateReceived",
                                       "googFrameRateDecoded"},
}
# Beyond the list, also from real counters: the RTCP feedback each stream had.
FEEDBACK_NAMES = {
    ("send", "audio"): {"googNacksReceived"},
    ("send", "video"): {"googNacksReceived", "googPlisReceived", "googFirsReceived"},
    ("recv", "video"): {"googNacksSent", "googPlisSent", "googFirsSent"},
}
# Names whose values are counts, levels, rates or times: integers, as Chrome gave them.
INTEGER_NAMES = BANDWIDTH_NAMES | {name for names in [*SSRC_NAMES.values(), *FEEDBACK_NAMES.values()]
                                   for name in names} - {"googTrackId", "transportId", "googCodecName"}
CODECS = {"audio": "opus", "video": "VP8"}

# Until aiortc's REMBs went both ways: its estimators need about 3 s of video.
BANDWIDTH_KNOWN = """(table) => table.bweforvideo && Number(table.bweforvideo.googAvailableSendBandwidth) > 0
  && Number(table.bweforvideo.googAvailableReceiveBandwidth) > 0"""

# Both ends' legacy tables once media flowed and REMBs went both ways, with what the page
# knows of each end: its descriptions and the tracks it sends and receives.
LEGACY_CALL = """async () => {
  const call = await statsCall({ media: true });
  const ends = {};
  for (const [name, pc] of [['a', call.a], ['b', call.b]]) {
    await whenStats(pc, READY, 'every type in the report');
  }
  for (const [name, pc] of [['a', call.a], ['b', call.b]]) {
    await whenStats(pc, BANDWIDTH_KNOWN, 'a REMB each way', legacyStatsOf);
    ends[name] = {
      table: await legacyStatsOf(pc), localSdp: pc.localDescription.sdp, remoteSdp: pc.remoteDescription.sdp,
      sent: call.tracks[name].map((track) => [track.kind, track.id]),
      received: pc.getReceivers().map((receiver) => [receiver.track.kind, receiver.track.id]),
    };
  }
  window.call = call;
  return ends;
}""".replace("READY", ALL_TYPES_READY).replace("BANDWIDTH_KNOWN", BANDWIDTH_KNOWN)


def of_type(table: dict[str, dict[str, str]], legacy_type: str) -> list[dict[str, str]]:
    return [report for report in table.values() if report["type"] == legacy_type]


def sdp_ssrcs(sdp: str) -> dict[str, int]:
    """The first SSRC of each media section, by kind."""
    ssrcs = {}
    for section in sdp.split("\r\nm=")[1:]:
        match = re.search(r"^a=ssrc:(\d+) ", section, re.M)
        if match:
            ssrcs[section.split(" ", 1)[0]] = int(match.group(1))
    return ssrcs


def assert_end_carries_every_name(end: dict[str, Any], initiator: str) -> None:
    table = end["table"]
    (session,) = of_type(table, "googLibjingleSession")
    assert SESSION_NAMES <= set(session) and session["googInitiator"] == initiator
    (bandwidth,) = of_type(table, "VideoBwe")
    assert table["bweforvideo"] is bandwidth and BANDWIDTH_NAMES <= set(bandwidth)
    # VP8's target: REMB's estimate within aiortc's 250 kbps..1.5 Mbps.
    assert 250_000 <= int(bandwidth["googTargetEncBitrate"]) <= 1_500_000
    for legacy_type in ("googComponent", "googCandidatePair", "googCertificate"):
        assert of_type(table, legacy_type), legacy_type
    (active,) = [pair for pair in of_type(table, "googCandidatePair") if pair["googActiveConnection"] == "true"]
    assert re.fullmatch(r"\d+", active["googRtt"])

    streams = {("send" if id_.endswith("_send") else "recv", report["mediaType"]): report
               for id_, report in table.items() if report["type"] == "ssrc"}
    assert set(streams) == set(SSRC_NAMES)
    for (direction, kind), report in streams.items():
        what = (direction, kind)
        names = SSRC_NAMES[what] | FEEDBACK_NAMES.get(what, set())
        missing = names - set(report)
        assert not missing, (what, missing)
        assert all(re.fullmatch(r"\d+", report[name]) for name in names & INTEGER_NAMES), (what, report)
        sdp = end["localSdp"] if direction == "send" else end["remoteSdp"]
        assert int(report["ssrc"]) == sdp_ssrcs(sdp)[kind], what
        tracks = end["sent"] if direction == "send" else end["received"]
        assert [kind, report["googTrackId"]] in tracks, what
        assert table[report["transportId"]]["type"] == "googComponent"
        assert report["googCodecName"] == CODECS[kind]
        counted = ("bytesSent", "packetsSent") if direction == "send" else ("bytesReceived", "packetsReceived")
        assert all(int(report[name]) > 0 for name in counted), what
        if "googRtt" in SSRC_NAMES[what]:
            assert int(report["googRtt"]) < 1000, what  # ms
        if "googJitterReceived" in SSRC_NAMES[what]:
            assert int(report["googJitterReceived"]) < 500, what  # ms
    # The 440 Hz tone, sent and received (0..32767); the camera's 640x480 frames.
    assert 0.05 * 32767 < int(streams[("send", "audio")]["audioInputLevel"]) <= 32767
    assert 0 < int(streams[("recv", "audio")]["audioOutputLevel"]) <= 32767
    video_in = streams[("recv", "video")]
    assert (video_in["googFrameWidthReceived"], video_in["googFrameHeightReceived"]) == ("640", "480")
    assert int(video_in["googFrameRateReceived"]) > 0 and int(video_in["googFrameRateDecoded"]) > 0
    video_out = streams[("send", "video")]
    assert int(video_out["googFrameRateSent"]) > 0 and int(video_out["googFrameRateInput"]) > 0
    assert (video_out["googFrameWidthInput"], video_out["googFrameHeightInput"]) == ("640", "480")


def test_legacy_stats_carry_every_name_on_both_ends_of_a_call(shim_page: Page) -> None:
    ends = shim_page.evaluate(LEGACY_CALL)
    assert_end_carries_every_name(ends["a"], initiator="true")
    assert_end_carries_every_name(ends["b"], initiator="false")

    # The answerer offers next: the initiator is still the end that made the first offer.
    sessions = shim_page.evaluate("""async () => {
      await call.b.setLocalDescription(await call.b.createOffer());
      await call.a.setRemoteDescription(call.b.localDescription);
      await call.a.setLocalDescription(await call.a.createAnswer());
      await call.b.setRemoteDescription(call.a.localDescription);
      const initiator = async (pc) => Object.values(await legacyStatsOf(pc))
        .find((report) => report.type === 'googLibjingleSession').googInitiator;
      return [await initiator(call.a), await initiator(call.b)];
    }""")
    assert sessions == ["true", "false"]


def test_legacy_bandwidth_report_from_creation_to_close(shim_page: Page) -> None:
    """As in Chrome: a VideoBwe report with 0 where there is no estimate yet, and none once
    the connection is closed; no initiator before any offer."""
    tables = shim_page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      const fresh = await legacyStatsOf(pc);
      pc.close();
      return { fresh, closed: await legacyStatsOf(pc) };
    }""")
    fresh, closed = tables["fresh"], tables["closed"]
    assert fresh["bweforvideo"] == {"type": "VideoBwe", **dict.fromkeys(BANDWIDTH_NAMES, "0")}
    assert of_type(fresh, "googLibjingleSession")[0]["googInitiator"] == "false"
    assert of_type(closed, "VideoBwe") == [] and of_type(closed, "googLibjingleSession")
