"""RTCRtpSender/RTCRtpReceiver capabilities and parameters, and codec preferences, through
the bridge: read from the real negotiation, applied to aiortc's sender."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from rtcshim.dispatchers.transceiver import TransceiverDispatcher
from rtcshim.serving import ServerThread
from rtcshim.telephone_event import capabilities as rtcshim_capabilities

# A loopback call, camera and microphone from a to b, with the video sender's parameters
# read before the negotiation.
CALL = """async () => {
  const video = (a) => a.getTransceivers().find((transceiver) => transceiver.sender.track.kind === 'video');
  const { a, b } = await makeMediaCall((a) => { window.beforeNegotiation = video(a).sender.getParameters(); });
  window.call = { a, b, video: video(a) };
}"""

PACKETS_SENT = """async () => {
  const report = await window.call.video.sender.getStats();
  return [...report.values()].find((stats) => stats.type === 'outbound-rtp').packetsSent;
}"""


def server_capabilities(kind: str) -> dict[str, Any]:
    capabilities = rtcshim_capabilities(kind)
    codecs = []
    for codec in capabilities.codecs:
        entry: dict[str, Any] = {"mimeType": codec.mimeType, "clockRate": codec.clockRate}
        if codec.channels is not None:
            entry["channels"] = codec.channels
        if codec.parameters:
            entry["sdpFmtpLine"] = ";".join(f"{key}={value}" for key, value in codec.parameters.items())
        codecs.append(entry)
    return {"codecs": codecs, "headerExtensions": [{"uri": e.uri} for e in capabilities.headerExtensions]}


def video_transceiver(server: ServerThread) -> TransceiverDispatcher:
    return next(d for d in server.registry.objects()
                if isinstance(d, TransceiverDispatcher) and d.transceiver.kind == "video"
                and d.sender_track is not None)


def test_capabilities_are_the_servers(shim_page: Page) -> None:
    for kind in ("audio", "video"):
        for side in ("RTCRtpSender", "RTCRtpReceiver"):
            assert shim_page.evaluate(f"() => {side}.getCapabilities('{kind}')") == server_capabilities(kind)
    assert shim_page.evaluate("() => RTCRtpSender.getCapabilities('text')") is None


def test_parameters_come_from_the_negotiation(shim_page: Page) -> None:
    shim_page.evaluate(CALL)
    seen = shim_page.evaluate("""() => {
      const { a, b, video } = window.call;
      const receiver = b.getTransceivers().find((transceiver) => transceiver.mid === video.mid).receiver;
      return { before: window.beforeNegotiation, sender: video.sender.getParameters(),
               receiver: receiver.getParameters(), offer: a.localDescription.sdp };
    }""")
    assert seen["before"]["codecs"] == [] and seen["before"]["headerExtensions"] == []
    sender = seen["sender"]
    assert sender["encodings"] == [{"active": True, "scaleResolutionDownBy": 1}]
    assert sender["codecs"][0]["mimeType"] == "video/VP8" and sender["codecs"][0]["clockRate"] == 90000
    assert sender["codecs"] == seen["receiver"]["codecs"]
    assert {e["uri"] for e in sender["headerExtensions"]} <= {e["uri"] for e in server_capabilities("video")["headerExtensions"]}
    assert f"cname:{sender['rtcp']['cname']}" in seen["offer"]
    assert isinstance(sender["transactionId"], str) and sender["transactionId"]


def test_set_parameters_refuses_what_the_spec_refuses(shim_page: Page) -> None:
    shim_page.evaluate(CALL)
    errors = shim_page.evaluate("""async () => {
      const { video } = window.call;
      const sender = video.sender;
      const failure = (promise) => promise.then(() => 'resolved', (error) => error.name);
      const results = { unasked: await failure(sender.setParameters({ transactionId: 'x', encodings: [{}] })) };
      const stale = sender.getParameters();
      await new Promise((resolve) => setTimeout(resolve));
      results.stale = await failure(sender.setParameters(stale));
      let parameters = sender.getParameters();
      results.transactionId = await failure(sender.setParameters({ ...parameters, transactionId: 'other' }));
      parameters = sender.getParameters();
      results.encodings = await failure(sender.setParameters({ ...parameters, encodings: [{}, {}] }));
      parameters = sender.getParameters();
      results.codecs = await failure(sender.setParameters({ ...parameters, codecs: [] }));
      parameters = sender.getParameters();
      parameters.encodings[0].scaleResolutionDownBy = 0.5;
      results.scale = await failure(sender.setParameters(parameters));
      results.accepted = await failure(sender.setParameters(sender.getParameters()));
      return results;
    }""")
    assert errors == {"unasked": "InvalidStateError", "stale": "InvalidStateError",
                      "transactionId": "InvalidModificationError", "encodings": "InvalidModificationError",
                      "codecs": "InvalidModificationError", "scale": "RangeError", "accepted": "resolved"}


def test_an_inactive_encoding_sends_nothing_and_max_bitrate_caps_the_encoder(
        shim_page: Page, server: ServerThread) -> None:
    shim_page.evaluate(CALL)
    set_encoding = """async (encoding) => {
      const sender = window.call.video.sender;
      const parameters = sender.getParameters();
      Object.assign(parameters.encodings[0], encoding);
      await sender.setParameters(parameters);
      await new Promise((resolve) => setTimeout(resolve, 300));
      return sender.getParameters().encodings[0];
    }"""
    pause = "() => new Promise((resolve) => setTimeout(resolve, 1000))"
    assert shim_page.evaluate(set_encoding, {"active": False})["active"] is False
    stopped_at = shim_page.evaluate(PACKETS_SENT)
    shim_page.evaluate(pause)
    assert shim_page.evaluate(PACKETS_SENT) == stopped_at
    assert shim_page.evaluate(set_encoding, {"active": True, "maxBitrate": 300_000}) == {
        "active": True, "maxBitrate": 300_000, "scaleResolutionDownBy": 1}
    shim_page.evaluate(pause)
    assert shim_page.evaluate(PACKETS_SENT) > stopped_at
    encoder = video_transceiver(server).transceiver.sender._RTCRtpSender__encoder  # type: ignore[attr-defined]
    assert encoder.target_bitrate == 300_000


def test_codec_preferences_order_the_offer(shim_page: Page) -> None:
    offer = shim_page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      const transceiver = pc.addTransceiver('video');
      const h264 = RTCRtpReceiver.getCapabilities('video').codecs.filter((codec) => codec.mimeType === 'video/H264');
      let refused = null;
      try {
        transceiver.setCodecPreferences([{ mimeType: 'video/AV1', clockRate: 90000 }]);
      } catch (error) {
        refused = error.name;
      }
      transceiver.setCodecPreferences(h264);
      const { sdp } = await pc.createOffer();
      pc.close();
      return { refused, sdp };
    }""")
    assert offer["refused"] == "InvalidModificationError"
    video = next(line for line in offer["sdp"].splitlines() if line.startswith("m=video"))
    first = video.split()[3]
    assert f"a=rtpmap:{first} H264/90000" in offer["sdp"]
    assert "VP8/90000" not in offer["sdp"]


def test_receivers_report_the_sources_they_hear(shim_page: Page) -> None:
    heard = shim_page.evaluate("""async () => {
      const { a, b } = await makeMediaCall();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const now = performance.timeOrigin + performance.now();
      const receiver = (kind) => b.getReceivers().find((receiver) => receiver.track.kind === kind);
      const ssrc = (kind) => Number(a.localDescription.sdp.split(`m=${kind}`)[1].match(/a=ssrc:(\\d+) /)[1]);
      return Object.fromEntries(['audio', 'video'].map((kind) => [kind, {
        sources: receiver(kind).getSynchronizationSources().map((source) => ({ ...source, age: now - source.timestamp })),
        contributing: receiver(kind).getContributingSources(), ssrc: ssrc(kind),
      }]));
    }""")
    for kind in ("audio", "video"):
        [source] = heard[kind]["sources"]
        assert source["source"] == heard[kind]["ssrc"]
        assert 0 <= source["rtpTimestamp"] < 2**32
        assert -50 < source["age"] < 1000  # heard within the last second of a live call
        assert heard[kind]["contributing"] == []  # no mixer on the way
    assert 0 < heard["audio"]["sources"][0]["audioLevel"] <= 1  # the server's 440 Hz tone
    assert "audioLevel" not in heard["video"]["sources"][0]
